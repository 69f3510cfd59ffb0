/* Unit tests of the console's replay producer (console/replay.h) against librdkafka's mock
 * cluster: what lands on the replay topic (read back with a plain consumer), the replay ids, and
 * a replay Kafka does not acknowledge in time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <ctype.h>
#include <cmocka.h>

#include "fixture_console_kafka.h"
#include "replay.h"

#define TOPIC    "t.closeio.events.replay"
#define ENVELOPE "{\"id\":\"ev_abc-1\",\"instanceid\":\"20931\",\"data\":{}}"

typedef struct world {
        fx_kafka_t *fx;
        console_replay_t *rp;
} world_t;

static char errstr[512];

static int setup(void **state)
{
        world_t *w = calloc(1, sizeof(*w));

        assert_non_null(w);
        w->fx = fx_kafka_new();
        fx_topic(w->fx, TOPIC, 1);
        w->rp = console_replay_new(&w->fx->kc, TOPIC, errstr, sizeof(errstr));
        if (!w->rp)
                fail_msg("console_replay_new: %s", errstr);
        *state = w;
        return 0;
}

static int teardown(void **state)
{
        world_t *w = *state;

        console_replay_destroy(w->rp);
        fx_kafka_destroy(w->fx);
        free(w);
        return 0;
}

/* A record read back: copies of its key, value and headers. */
typedef struct back {
        int64_t offset;
        char key[64], value[512];
        size_t key_len, len;
        rd_kafka_headers_t *hdrs; /* NULL without any */
} back_t;

/* The record at offset of topic's partition 0, read with a plain consumer (the caller destroys
 * b->hdrs); fails the test when none comes within the deadline. */
static void read_back(fx_kafka_t *fx, const char *topic, int64_t offset, back_t *b)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
        int64_t deadline = fx_now_ms() + FX_DEADLINE_MS;
        rd_kafka_message_t *rkm = NULL;
        rd_kafka_headers_t *kh;
        rd_kafka_t *rk;
        char err[512];

        memset(b, 0, sizeof(*b));
        b->offset = -1;
        assert_int_equal(
            rd_kafka_conf_set(conf, "bootstrap.servers", fx->servers, err, sizeof(err)),
            RD_KAFKA_CONF_OK);
        assert_int_equal(rd_kafka_conf_set(conf, "group.id", "reader", err, sizeof(err)),
                         RD_KAFKA_CONF_OK);
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
        assert_non_null(rk);
        rd_kafka_poll_set_consumer(rk);
        rd_kafka_topic_partition_list_add(list, topic, 0)->offset = offset;
        assert_int_equal(rd_kafka_assign(rk, list), 0);
        rd_kafka_topic_partition_list_destroy(list);
        while (b->offset < 0 && fx_now_ms() < deadline) {
                rkm = rd_kafka_consumer_poll(rk, 100);
                if (rkm && !rkm->err) {
                        b->offset = rkm->offset;
                        b->key_len = rkm->key_len < sizeof(b->key) ? rkm->key_len : 0;
                        if (b->key_len)
                                memcpy(b->key, rkm->key, b->key_len);
                        b->len = rkm->len < sizeof(b->value) ? rkm->len : 0;
                        if (b->len)
                                memcpy(b->value, rkm->payload, b->len);
                        if (!rd_kafka_message_headers(rkm, &kh))
                                b->hdrs = rd_kafka_headers_copy(kh);
                }
                if (rkm)
                        rd_kafka_message_destroy(rkm);
        }
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        if (b->offset < 0)
                fail_msg("nothing came back from %s at %lld", topic, (long long)offset);
}

static void test_a_replay_keeps_key_value_and_headers_but_cb_ones_and_adds_its_own(void **state)
{
        world_t *w = *state;
        rd_kafka_headers_t *in = rd_kafka_headers_new(8);
        char id[CONSOLE_REPLAY_ID_MAX], want[256];
        back_t b;

        rd_kafka_header_add(in, "content-type", -1, "application/cloudevents+json", -1);
        rd_kafka_header_add(in, "cb-attempt", -1, "4", -1);
        rd_kafka_header_add(in, "traceparent", -1, "00-abc-01", -1);
        rd_kafka_header_add(in, "cb-due-ms", -1, "1700000000000", -1);
        rd_kafka_header_add(in, "cb-replay", -1, "rp_0000000000000000", -1);
        rd_kafka_header_add(in, "x-null", -1, NULL, 0);
        rd_kafka_header_add(in, "cbx", -1, "not ours", -1);
        assert_int_equal(console_replay_id(id, sizeof(id)), 0);
        if (console_replay_produce(w->rp, "20931", ENVELOPE, strlen(ENVELOPE), in, id, 5000, errstr,
                                   sizeof(errstr)))
                fail_msg("console_replay_produce: %s", errstr);
        /* borrowed: still the caller's, unchanged */
        assert_int_equal(rd_kafka_header_cnt(in), 7);
        rd_kafka_headers_destroy(in);

        read_back(w->fx, TOPIC, 0, &b);
        assert_int_equal(b.offset, 0);
        assert_int_equal(b.key_len, 5);
        assert_memory_equal(b.key, "20931", 5);
        assert_int_equal(b.len, strlen(ENVELOPE));
        assert_memory_equal(b.value, ENVELOPE, strlen(ENVELOPE));
        snprintf(want, sizeof(want),
                 "content-type=application/cloudevents+json;traceparent=00-abc-01;"
                 "x-null;cbx=not ours;cb-replay=%s;cb-attempt=1",
                 id);
        assert_string_equal(fx_headers(b.hdrs), want);
        assert_string_equal(fx_header(b.hdrs, "cb-replay"), id);
        assert_string_equal(fx_header(b.hdrs, "cb-attempt"), "1");
        rd_kafka_headers_destroy(b.hdrs);
}

static void test_a_replay_without_headers_gets_only_the_replay_ones(void **state)
{
        world_t *w = *state;
        back_t b;

        if (console_replay_produce(w->rp, "20931", "{}", 2, NULL, "rp_00112233445566ff", 5000,
                                   errstr, sizeof(errstr)))
                fail_msg("console_replay_produce: %s", errstr);
        read_back(w->fx, TOPIC, 0, &b);
        assert_int_equal(b.len, 2);
        assert_string_equal(fx_headers(b.hdrs), "cb-replay=rp_00112233445566ff;cb-attempt=1");
        rd_kafka_headers_destroy(b.hdrs);
}

static void test_replay_ids_are_rp_and_16_lowercase_hex_digits_and_differ(void **state)
{
        char a[CONSOLE_REPLAY_ID_MAX], b[CONSOLE_REPLAY_ID_MAX], small[CONSOLE_REPLAY_ID_MAX - 1];
        size_t i;

        (void)state;
        assert_int_equal(console_replay_id(a, sizeof(a)), 0);
        assert_int_equal(console_replay_id(b, sizeof(b)), 0);
        assert_int_equal(strlen(a), 19);
        assert_int_equal(strncmp(a, "rp_", 3), 0);
        for (i = 3; i < 19; i++)
                assert_true(isdigit((unsigned char)a[i]) || (a[i] >= 'a' && a[i] <= 'f'));
        assert_string_not_equal(a, b);
        assert_int_equal(console_replay_id(small, sizeof(small)), -1);
}

static void test_a_replay_kafka_does_not_acknowledge_in_time_gives_minus_1(void **state)
{
        world_t *w = *state;
        int64_t t0;

        assert_int_equal(rd_kafka_mock_broker_set_down(w->fx->mock, 1), 0);
        t0 = fx_now_ms();
        assert_int_equal(console_replay_produce(w->rp, "20931", "{}", 2, NULL,
                                                "rp_00112233445566ff", 300, errstr, sizeof(errstr)),
                         -1);
        assert_string_equal(errstr, "Kafka did not acknowledge the replay in time");
        /* the purged record's report is waited for, not the broker */
        assert_true(fx_now_ms() - t0 < 2000);
        assert_int_equal(rd_kafka_mock_broker_set_up(w->fx->mock, 1), 0);
}

static void test_a_replay_the_broker_refuses_gives_minus_1_with_its_error(void **state)
{
        world_t *w = *state;

        /* ApiKey 0: Produce; an error no retry helps */
        rd_kafka_mock_push_request_errors(w->fx->mock, 0, 1,
                                          RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
        assert_int_equal(console_replay_produce(w->rp, "20931", "{}", 2, NULL,
                                                "rp_00112233445566ff", 5000, errstr,
                                                sizeof(errstr)),
                         -1);
        assert_non_null(strstr(errstr, "the replay failed: "));
        assert_non_null(strstr(errstr, "authoriz"));
}

/* The mock cluster creates a topic a producer asks about; a real one (auto.create.topics.enable
 * false) answers UNKNOWN_TOPIC_OR_PART, which the mock is told to answer here: the record waits
 * for the topic to appear, and the replay times out. */
static void test_a_replay_to_a_topic_that_does_not_exist_times_out(void **state)
{
        world_t *w = *state;
        console_replay_t *rp;
        int64_t t0;

        rd_kafka_mock_topic_set_error(w->fx->mock, "t.nowhere",
                                      RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
        rp = console_replay_new(&w->fx->kc, "t.nowhere", errstr, sizeof(errstr));
        assert_non_null(rp);
        t0 = fx_now_ms();
        assert_int_equal(console_replay_produce(rp, "20931", "{}", 2, NULL, "rp_00112233445566ff",
                                                500, errstr, sizeof(errstr)),
                         -1);
        assert_true(fx_now_ms() - t0 < 2000);
        print_message("missing topic: %s\n", errstr);
        assert_true(errstr[0] != '\0');
        console_replay_destroy(rp);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(
                test_a_replay_keeps_key_value_and_headers_but_cb_ones_and_adds_its_own, setup,
                teardown),
            cmocka_unit_test_setup_teardown(test_a_replay_without_headers_gets_only_the_replay_ones,
                                            setup, teardown),
            cmocka_unit_test(test_replay_ids_are_rp_and_16_lowercase_hex_digits_and_differ),
            cmocka_unit_test_setup_teardown(
                test_a_replay_kafka_does_not_acknowledge_in_time_gives_minus_1, setup, teardown),
            cmocka_unit_test_setup_teardown(
                test_a_replay_the_broker_refuses_gives_minus_1_with_its_error, setup, teardown),
            cmocka_unit_test_setup_teardown(test_a_replay_to_a_topic_that_does_not_exist_times_out,
                                            setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
