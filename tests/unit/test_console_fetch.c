/* Unit tests of the console's fetcher (console/fetch.h) against librdkafka's mock cluster: a
 * record read back by its position, with or without its headers, and what it answers for a
 * position that holds nothing and for a partition that does not exist. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture_console_kafka.h"
#include "fetch.h"

#define TOPIC      "t.closeio.events"
#define TIMEOUT_MS 3000

typedef struct world {
        fx_kafka_t *fx;
        console_fetch_t *fe;
} world_t;

static char errstr[512];

static int setup(void **state)
{
        world_t *w = calloc(1, sizeof(*w));

        assert_non_null(w);
        w->fx = fx_kafka_new();
        fx_topic(w->fx, TOPIC, 2);
        w->fe = console_fetch_new(&w->fx->kc, errstr, sizeof(errstr));
        if (!w->fe)
                fail_msg("console_fetch_new: %s", errstr);
        *state = w;
        return 0;
}

static int teardown(void **state)
{
        world_t *w = *state;

        console_fetch_destroy(w->fe);
        fx_kafka_destroy(w->fx);
        free(w);
        return 0;
}

static void test_a_records_value_and_headers_come_back_by_position(void **state)
{
        world_t *w = *state;
        rd_kafka_headers_t *hdrs = NULL;
        char *out = NULL;
        size_t len = 1234;

        assert_int_equal(fx_produce(w->fx, TOPIC, 1, "20931", "{\"id\":\"ev_0\"}", NULL), 0);
        assert_int_equal(fx_produce(w->fx, TOPIC, 1, "20931", "{\"id\":\"ev_1\"}", "content-type",
                                    "application/json", "cb-attempt", "2", "x-null", NULL, NULL),
                         1);
        assert_int_equal(fx_produce(w->fx, TOPIC, 1, "20931", "{\"id\":\"ev_2\"}", NULL), 2);

        assert_int_equal(console_fetch_value(w->fe, TOPIC, 1, 1, TIMEOUT_MS, &out, &len, &hdrs,
                                             errstr, sizeof(errstr)),
                         0);
        assert_non_null(out);
        assert_string_equal(out, "{\"id\":\"ev_1\"}");
        assert_int_equal(len, strlen("{\"id\":\"ev_1\"}"));
        assert_non_null(hdrs);
        assert_string_equal(fx_headers(hdrs), "content-type=application/json;cb-attempt=2;x-null");
        free(out);
        rd_kafka_headers_destroy(hdrs);

        /* the same fetcher goes back to an earlier position: one without headers */
        hdrs = (rd_kafka_headers_t *)&len; /* must be overwritten */
        assert_int_equal(console_fetch_value(w->fe, TOPIC, 1, 0, TIMEOUT_MS, &out, &len, &hdrs,
                                             errstr, sizeof(errstr)),
                         0);
        assert_string_equal(out, "{\"id\":\"ev_0\"}");
        assert_null(hdrs);
        free(out);

        /* and forward again, to the last one */
        assert_int_equal(console_fetch_value(w->fe, TOPIC, 1, 2, TIMEOUT_MS, &out, &len, NULL,
                                             errstr, sizeof(errstr)),
                         0);
        assert_string_equal(out, "{\"id\":\"ev_2\"}");
        free(out);
}

static void test_headers_are_left_alone_when_not_asked_for(void **state)
{
        world_t *w = *state;
        char *out = NULL;
        size_t len = 0;

        assert_int_equal(fx_produce(w->fx, TOPIC, 0, "20931", "v", "cb-attempt", "3", NULL), 0);
        assert_int_equal(console_fetch_value(w->fe, TOPIC, 0, 0, TIMEOUT_MS, &out, &len, NULL,
                                             errstr, sizeof(errstr)),
                         0);
        assert_string_equal(out, "v");
        assert_int_equal(len, 1);
        free(out);
}

static void test_a_record_without_a_value_gives_1(void **state)
{
        world_t *w = *state;
        rd_kafka_headers_t *hdrs = NULL;
        char *out = (char *)"not reset";
        size_t len = 99;

        assert_int_equal(fx_produce(w->fx, TOPIC, 0, "20931", NULL, "h", "v", NULL), 0);
        assert_int_equal(console_fetch_value(w->fe, TOPIC, 0, 0, TIMEOUT_MS, &out, &len, &hdrs,
                                             errstr, sizeof(errstr)),
                         1);
        assert_null(out);
        assert_int_equal(len, 0);
        assert_null(hdrs);
}

/* Nothing is at the end offset nor beyond it: 1 (nothing there), promptly, not a time-out. */
static void test_an_offset_at_or_past_the_end_gives_1_before_the_time_out(void **state)
{
        world_t *w = *state;
        rd_kafka_headers_t *hdrs = NULL;
        char *out = NULL;
        size_t len = 0;
        int64_t offsets[] = {2, 5, 1000000}, t0;
        size_t i;

        assert_int_equal(fx_produce(w->fx, TOPIC, 0, "20931", "a", NULL), 0);
        assert_int_equal(fx_produce(w->fx, TOPIC, 0, "20931", "b", NULL), 1);
        for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
                t0 = fx_now_ms();
                assert_int_equal(console_fetch_value(w->fe, TOPIC, 0, offsets[i], TIMEOUT_MS, &out,
                                                     &len, &hdrs, errstr, sizeof(errstr)),
                                 1);
                assert_null(out);
                assert_null(hdrs);
                assert_true(fx_now_ms() - t0 < TIMEOUT_MS);
        }
        /* and the fetcher still reads what is there afterwards */
        assert_int_equal(console_fetch_value(w->fe, TOPIC, 0, 1, TIMEOUT_MS, &out, &len, NULL,
                                             errstr, sizeof(errstr)),
                         0);
        assert_string_equal(out, "b");
        free(out);
}

/* The fetcher still reads what is there after a failed read. */
static void still_reads(world_t *w)
{
        char *out = NULL;
        size_t len = 0;

        assert_int_equal(fx_produce(w->fx, TOPIC, 0, "20931", "after", NULL), 0);
        assert_int_equal(console_fetch_value(w->fe, TOPIC, 0, 0, TIMEOUT_MS, &out, &len, NULL,
                                             errstr, sizeof(errstr)),
                         0);
        assert_string_equal(out, "after");
        free(out);
}

static void test_a_partition_that_does_not_exist_gives_minus_1_with_a_message(void **state)
{
        world_t *w = *state;
        rd_kafka_headers_t *hdrs = NULL;
        char *out = NULL;
        size_t len = 0;

        errstr[0] = '\0';
        assert_int_equal(
            console_fetch_value(w->fe, TOPIC, 7, 0, 500, &out, &len, &hdrs, errstr, sizeof(errstr)),
            -1);
        assert_null(out);
        assert_null(hdrs);
        assert_non_null(strstr(errstr, TOPIC " [7]"));
        still_reads(w);
}

/* The mock cluster creates a topic a client asks about; a real one (auto.create.topics.enable
 * false) answers UNKNOWN_TOPIC_OR_PART, which the mock is told to answer here. */
static void test_a_topic_that_does_not_exist_gives_minus_1_with_a_message(void **state)
{
        world_t *w = *state;
        char *out = NULL;
        size_t len = 0;

        rd_kafka_mock_topic_set_error(w->fx->mock, "t.nowhere",
                                      RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
        errstr[0] = '\0';
        assert_int_equal(console_fetch_value(w->fe, "t.nowhere", 0, 0, 500, &out, &len, NULL,
                                             errstr, sizeof(errstr)),
                         -1);
        assert_null(out);
        assert_true(errstr[0] != '\0');
        print_message("t.nowhere: %s\n", errstr);
        still_reads(w);
}

static void test_many_records_of_two_partitions_come_back_at_once(void **state)
{
        world_t *w = *state;
        console_fetch_item_t it[4] = {
            {.topic = TOPIC, .partition = 1, .offset = 2}, /* past the end: not there */
            {.topic = TOPIC, .partition = 0, .offset = 1},
            {.topic = TOPIC, .partition = 1, .offset = 0},
            {.topic = TOPIC, .partition = 0, .offset = 0},
        };
        int i;

        assert_int_equal(fx_produce(w->fx, TOPIC, 0, "1", "p0-0", NULL), 0);
        assert_int_equal(fx_produce(w->fx, TOPIC, 0, "1", "p0-1", "x-h", "y", NULL), 1);
        assert_int_equal(fx_produce(w->fx, TOPIC, 1, "1", "p1-0", NULL), 0);
        assert_int_equal(console_fetch_many(w->fe, it, 4, TIMEOUT_MS, errstr, sizeof(errstr)), 0);
        assert_int_equal(it[0].rc, 1);
        assert_null(it[0].value);
        assert_int_equal(it[1].rc, 0);
        assert_string_equal(it[1].value, "p0-1");
        assert_string_equal(fx_headers(it[1].hdrs), "x-h=y");
        assert_string_equal(it[2].value, "p1-0");
        assert_int_equal(it[2].len, 4);
        assert_null(it[2].hdrs);
        assert_string_equal(it[3].value, "p0-0");
        for (i = 0; i < 4; i++) {
                free(it[i].value);
                if (it[i].hdrs)
                        rd_kafka_headers_destroy(it[i].hdrs);
        }
        /* nothing asked for: nothing to wait for */
        assert_int_equal(console_fetch_many(w->fe, it, 0, TIMEOUT_MS, errstr, sizeof(errstr)), 0);
}

static void test_a_time_out_gives_minus_1_saying_so(void **state)
{
        world_t *w = *state;
        char *out = NULL;
        size_t len = 0;
        int64_t t0;

        assert_int_equal(fx_produce(w->fx, TOPIC, 0, "20931", "a", NULL), 0);
        /* the only broker is down: nothing can come back */
        assert_int_equal(rd_kafka_mock_broker_set_down(w->fx->mock, 1), 0);
        t0 = fx_now_ms();
        assert_int_equal(
            console_fetch_value(w->fe, TOPIC, 0, 0, 500, &out, &len, NULL, errstr, sizeof(errstr)),
            -1);
        assert_null(out);
        assert_true(fx_now_ms() - t0 < 2000);
        assert_non_null(strstr(errstr, "timed out reading " TOPIC " [0] at 0"));
        assert_int_equal(rd_kafka_mock_broker_set_up(w->fx->mock, 1), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_a_records_value_and_headers_come_back_by_position,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_headers_are_left_alone_when_not_asked_for, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_a_record_without_a_value_gives_1, setup, teardown),
            cmocka_unit_test_setup_teardown(
                test_an_offset_at_or_past_the_end_gives_1_before_the_time_out, setup, teardown),
            cmocka_unit_test_setup_teardown(
                test_a_partition_that_does_not_exist_gives_minus_1_with_a_message, setup, teardown),
            cmocka_unit_test_setup_teardown(
                test_a_topic_that_does_not_exist_gives_minus_1_with_a_message, setup, teardown),
            cmocka_unit_test_setup_teardown(test_many_records_of_two_partitions_come_back_at_once,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_a_time_out_gives_minus_1_saying_so, setup,
                                            teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
