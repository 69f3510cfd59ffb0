/* Unit tests of publish's commits (group.h) against librdkafka's mock cluster (fault injection
 * only; the integration tests use a real broker): one asynchronous commit at a time, the next
 * carrying what became final meanwhile, and every position sent again after a refused one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "group.h"
#include "state.h"

#define TOPIC         "t.closeio.events"
#define OFFSET_COMMIT 8 /* the ApiKey of Kafka's OffsetCommit request */

typedef struct {
        publish_t pub;
        rd_kafka_mock_cluster_t *mock;
} world_t;

static int setup(void **state)
{
        world_t *w = calloc(1, sizeof(*w));
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char err[512];

        assert_non_null(w);
        assert_int_equal(rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", err, sizeof(err)),
                         RD_KAFKA_CONF_OK);
        assert_int_equal(rd_kafka_conf_set(conf, "group.id", "g", err, sizeof(err)),
                         RD_KAFKA_CONF_OK);
        assert_int_equal(rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err)),
                         RD_KAFKA_CONF_OK);
        w->pub.rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
        assert_non_null(w->pub.rk);
        w->mock = rd_kafka_handle_mock_cluster(w->pub.rk);
        assert_non_null(w->mock);
        assert_int_equal(rd_kafka_mock_topic_create(w->mock, TOPIC, 1, 1), 0);
        w->pub.state = calloc(1, sizeof(*w->pub.state));
        w->pub.offsets = publish_offsets_new();
        assert_non_null(w->pub.state);
        assert_non_null(w->pub.offsets);
        *state = w;
        return 0;
}

static int teardown(void **state)
{
        world_t *w = *state;

        publish_group_commits_close(&w->pub);
        rd_kafka_destroy(w->pub.rk);
        publish_offsets_destroy(w->pub.offsets);
        free(w->pub.state);
        free(w);
        return 0;
}

/* offset of TOPIC/0 taken and final: what the consume loop does with a delivered envelope */
static void finish(world_t *w, int64_t offset)
{
        assert_int_equal(publish_offsets_track(w->pub.offsets, TOPIC, 0, offset), 0);
        assert_true(publish_offsets_done(w->pub.offsets, TOPIC, 0, offset) >= 0);
        w->pub.state->stored = 1;
}

/* Serves commit answers until none is outstanding, for 10 s at most. */
static void answered(world_t *w)
{
        struct timespec step = {0, 5 * 1000000};
        int i;

        for (i = 0; i < 2000 && w->pub.state->commit_out; i++) {
                publish_group_serve(&w->pub);
                nanosleep(&step, NULL);
        }
        assert_int_equal(w->pub.state->commit_out, 0);
}

static int64_t committed(world_t *w)
{
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
        int64_t offset;

        rd_kafka_topic_partition_list_add(parts, TOPIC, 0);
        assert_int_equal(rd_kafka_committed(w->pub.rk, parts, 10000), 0);
        offset = parts->elems[0].offset;
        rd_kafka_topic_partition_list_destroy(parts);
        return offset;
}

static void test_one_commit_at_a_time_the_next_carries_what_finished_meanwhile(void **state)
{
        world_t *w = *state;
        int64_t sent;

        /* each commit takes 300 ms to come back */
        assert_int_equal(rd_kafka_mock_broker_set_rtt(w->mock, 1, 300), 0);
        finish(w, 0);
        publish_group_commit(&w->pub, 1, 0);
        assert_int_equal(w->pub.state->commit_out, 1);
        assert_int_equal(w->pub.state->stored, 0);
        sent = w->pub.state->last_commit_ms;
        finish(w, 1);
        finish(w, 2);
        /* unanswered: nothing is sent, and what is final waits for the next */
        publish_group_commit(&w->pub, 1, 0);
        assert_int_equal(w->pub.state->last_commit_ms, sent);
        assert_int_equal(w->pub.state->stored, 1);
        answered(w);
        assert_int_equal(committed(w), 1);
        publish_group_commit(&w->pub, 1, 0);
        assert_int_equal(w->pub.state->commit_out, 1);
        assert_int_equal(w->pub.state->stored, 0);
        answered(w);
        assert_int_equal(committed(w), 3);
}

static void test_a_refused_commit_makes_the_next_send_every_position(void **state)
{
        world_t *w = *state;

        finish(w, 0);
        rd_kafka_mock_push_request_errors(w->mock, OFFSET_COMMIT, 1,
                                          RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE);
        publish_group_commit(&w->pub, 1, 0);
        answered(w);
        assert_int_equal(w->pub.state->recommit, 1);
        assert_true(committed(w) < 1);
        /* nothing new is final, and the position is sent again all the same */
        publish_group_commit(&w->pub, 1, 0);
        assert_int_equal(w->pub.state->recommit, 0);
        answered(w);
        assert_int_equal(committed(w), 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(
                test_one_commit_at_a_time_the_next_carries_what_finished_meanwhile, setup,
                teardown),
            cmocka_unit_test_setup_teardown(
                test_a_refused_commit_makes_the_next_send_every_position, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
