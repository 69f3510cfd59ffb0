/* Unit tests of cb_wake: one descriptor that many sources make readable, librdkafka included. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <librdkafka/rdkafka.h>

#include "cb_time.h"
#include "cb_wake.h"

static void test_signals_before_a_wait_fold_into_one_wake_up(void **state)
{
        cb_wake_t w;
        int i;

        (void)state;
        assert_int_equal(cb_wake_open(&w), 0);
        assert_int_equal(cb_wake_wait(&w, 0), 0); /* nothing yet */
        cb_wake_signal(&w);
        assert_int_equal(cb_wake_wait(&w, 0), 1);
        assert_int_equal(cb_wake_wait(&w, 0), 0); /* emptied */
        /* more than a pipe holds: never blocks, and still one wake-up */
        for (i = 0; i < 200000; i++)
                cb_wake_signal(&w);
        assert_int_equal(cb_wake_wait(&w, 0), 1);
        assert_int_equal(cb_wake_wait(&w, 0), 0);
        cb_wake_close(&w);
        cb_wake_close(&w); /* closed: a no-op */
}

static void test_a_wait_without_signal_lasts_its_time_out(void **state)
{
        cb_wake_t w;
        int64_t t0;

        (void)state;
        assert_int_equal(cb_wake_open(&w), 0);
        t0 = cb_time_now_ms();
        assert_int_equal(cb_wake_wait(&w, 30), 0);
        assert_true(cb_time_now_ms() - t0 >= 29); /* a lower bound only: it may sleep longer */
        cb_wake_close(&w);
}

static void *signaller(void *arg)
{
        cb_wake_signal(arg);
        return NULL;
}

static void test_another_thread_wakes_a_wait_without_time_out(void **state)
{
        cb_wake_t w;
        pthread_t t;

        (void)state;
        assert_int_equal(cb_wake_open(&w), 0);
        assert_int_equal(pthread_create(&t, NULL, signaller, &w), 0);
        assert_int_equal(cb_wake_wait(&w, -1), 1); /* before or after: the pipe keeps it */
        pthread_join(t, NULL);
        cb_wake_close(&w);
}

static void on_report(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        (void)rk;
        *(int *)opaque = m->err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT;
}

/* librdkafka's IO event on a queue writes into the pipe: here a delivery report (a message
 * that times out, with no broker to go to) arriving on a producer's main queue. */
static void test_a_kafka_queue_event_wakes_it(void **state)
{
        char errstr[256];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *rk;
        rd_kafka_queue_t *q;
        cb_wake_t w;
        int woke = 0, reported = 0;
        int64_t deadline;

        (void)state;
        assert_int_equal(cb_wake_open(&w), 0);
        assert_int_equal(
            rd_kafka_conf_set(conf, "message.timeout.ms", "50", errstr, sizeof(errstr)),
            RD_KAFKA_CONF_OK);
        rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
        rd_kafka_conf_set_dr_msg_cb(conf, on_report); /* without one, no report is queued */
        rd_kafka_conf_set_opaque(conf, &reported);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        assert_non_null(rk);
        q = rd_kafka_queue_get_main(rk);
        rd_kafka_queue_io_event_enable(q, cb_wake_write_fd(&w), "1", 1);
        assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("nowhere"),
                                           RD_KAFKA_V_VALUE("x", 1), RD_KAFKA_V_END),
                         0);
        assert_int_equal(cb_wake_wait(&w, 0), 0);
        /* the report comes with librdkafka's next time-out scan (each second); 10 s bounds a
           stuck test */
        deadline = cb_time_now_ms() + 10000;
        while (!woke && cb_time_now_ms() < deadline)
                woke = cb_wake_wait(&w, deadline - cb_time_now_ms()) == 1;
        assert_true(woke);
        assert_int_equal(reported, 0); /* the report waits to be served */
        rd_kafka_poll(rk, 0);
        assert_int_equal(reported, 1);
        rd_kafka_queue_io_event_enable(q, -1, NULL, 0);
        rd_kafka_queue_destroy(q);
        rd_kafka_destroy(rk);
        cb_wake_close(&w);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_signals_before_a_wait_fold_into_one_wake_up),
            cmocka_unit_test(test_a_wait_without_signal_lasts_its_time_out),
            cmocka_unit_test(test_another_thread_wakes_a_wait_without_time_out),
            cmocka_unit_test(test_a_kafka_queue_event_wakes_it),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
