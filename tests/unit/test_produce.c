/* Unit tests of ingest's producer against librdkafka's mock cluster (fault injection only; the
 * integration tests use a real broker). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <time.h>
#include <cmocka.h>

#include "cb_config.h"
#include "produce.h"

static const cb_option_t opts[] = {CB_KAFKA_OPTIONS};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static void test_produce_reports_a_fatal_error_so_ingest_exits(void **state)
{
        char *argv[] = {"t", "--kafka", "test.mock.num.brokers=1"};
        char *envp[] = {NULL};
        char err[512];
        cb_config_t *cfg = cb_config_new("t", "1", opts, NOPTS);
        cb_kafka_conf_t kc;
        ingest_producer_t *p;
        struct timespec step = {0, 10 * 1000000};
        int i;

        (void)state;
        assert_int_equal(cb_config_parse(cfg, 3, argv, envp, stdout, err, sizeof(err)), 0);
        cb_kafka_conf_read(&kc, cfg);
        p = ingest_producer_new(&kc, 5000, 1, err, sizeof(err));
        assert_non_null(p);
        assert_false(ingest_producer_fatal(p));
        /* what an idempotent producer's broken sequence would raise */
        assert_int_equal(rd_kafka_test_fatal_error(ingest_producer_rk(p),
                                                   RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                                   "test"),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        /* the producer's poll thread runs the error callback: wait for it, with a deadline */
        for (i = 0; i < 500 && !ingest_producer_fatal(p); i++)
                nanosleep(&step, NULL);
        assert_true(ingest_producer_fatal(p));
        ingest_producer_destroy(p);
        cb_config_destroy(cfg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_produce_reports_a_fatal_error_so_ingest_exits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
