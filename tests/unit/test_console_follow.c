/* Unit tests of the console's follower (console/follow.h) against librdkafka's mock cluster:
 * it reads the followed topics into the index, says when it caught up, keeps following, and a
 * new follower on the same database resumes where the last one stopped. */
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <ftw.h>
#include <cmocka.h>

#include "fixture_console_kafka.h"
#include "cb_metrics.h"
#include "follow.h"
#include "index.h"

#define EVENTS     "t.closeio.events"
#define DELIVERIES "t.closeio.deliveries"
#define DLQ        "t.closeio.events.dlq"
#define RETRY      "t.closeio.events.retry.5s"
#define INST       "20931"
#define ENV_ID     "ev_abc-20190115124823395000"
#define ENVELOPE                                                                                   \
        "{\"specversion\":\"1.0\",\"id\":\"" ENV_ID "\","                                          \
        "\"source\":\"/closeio/instances/20931\",\"type\":\"io.close.lead.updated\","              \
        "\"subject\":\"lead/lead_BW9v\",\"time\":\"2017-05-18T21:55:26.451Z\","                    \
        "\"datacontenttype\":\"application/json\",\"instanceid\":\"20931\","                       \
        "\"elementkey\":\"closeio\",\"origin\":\"webhook\",\"data\":{\"eventType\":\"UPDATED\","   \
        "\"objectType\":\"leads\",\"objectId\":\"lead_BW9v\","                                     \
        "\"date\":\"2017-05-18T21:55:26.451Z\",\"raw\":{\"id\":\"lead_BW9v\"}}}"
/* publish/attempt_log.c's record of an attempt */
#define ATTEMPT(n, status, outcome, at)                                                            \
        "{\"envelopeId\":\"" ENV_ID "\",\"instanceId\":\"20931\",\"url\":\"https://x/y\","         \
        "\"attempt\":" #n ",\"status\":" #status ",\"error\":null,\"durationMs\":12,"              \
        "\"outcome\":\"" outcome "\",\"nextDueMs\":null,\"at\":\"" at "\"}"
#define ATTEMPT_1 ATTEMPT(1, 503, "retry", "2026-12-01T10:00:00.123Z")
#define ATTEMPT_2 ATTEMPT(2, 200, "delivered", "2026-12-01T10:00:05.000Z")

typedef struct world {
        fx_kafka_t *fx;
        char dir[64], db[128];
        console_follow_conf_t conf;
        console_follow_t *f;
} world_t;

static char errstr[512];

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
        (void)sb, (void)flag, (void)ftw;
        return remove(path);
}

static int setup(void **state)
{
        world_t *w = calloc(1, sizeof(*w));

        assert_non_null(w);
        strcpy(w->dir, "/tmp/test_console_follow.XXXXXX");
        assert_non_null(mkdtemp(w->dir));
        snprintf(w->db, sizeof(w->db), "%s/index.db", w->dir);
        w->fx = fx_kafka_new();
        w->conf = (console_follow_conf_t){.kafka = &w->fx->kc,
                                          .db_path = w->db,
                                          .topic_events = EVENTS,
                                          .topic_deliveries = DELIVERIES,
                                          .topic_dlq = DLQ,
                                          .retention_ms = 30LL * 24 * 3600 * 1000,
                                          .batch_max = 100};
        *state = w;
        return 0;
}

static int teardown(void **state)
{
        world_t *w = *state;

        console_follow_destroy(w->f);
        fx_kafka_destroy(w->fx);
        assert_int_equal(nftw(w->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
        free(w);
        return 0;
}

/* The four followed topics, and an event with one attempt and its retry record on them. */
static void topics_and_first_records(world_t *w)
{
        fx_topic(w->fx, EVENTS, 2);
        fx_topic(w->fx, DELIVERIES, 1);
        fx_topic(w->fx, DLQ, 1);
        fx_topic(w->fx, RETRY, 1);
        assert_int_equal(fx_produce(w->fx, EVENTS, 1, INST, ENVELOPE, "content-type",
                                    "application/cloudevents+json", NULL),
                         0);
        assert_int_equal(fx_produce(w->fx, DELIVERIES, 0, INST, ATTEMPT_1, NULL), 0);
        assert_int_equal(fx_produce(w->fx, RETRY, 0, INST, ENVELOPE, "cb-attempt", "2", "cb-due-ms",
                                    "1796119205123", "cb-last-status", "503", NULL),
                         0);
}

static void start(world_t *w)
{
        w->f = console_follow_new(&w->conf, errstr, sizeof(errstr));
        if (!w->f)
                fail_msg("console_follow_new: %s", errstr);
}

static void stop(world_t *w)
{
        console_follow_destroy(w->f);
        w->f = NULL;
}

static void nap(void)
{
        struct timespec step = {0, 10 * 1000000};

        nanosleep(&step, NULL);
}

/* Waits until the follower caught up, FX_DEADLINE_MS at most. */
static void caught_up(world_t *w)
{
        int64_t deadline = fx_now_ms() + FX_DEADLINE_MS;

        while (!console_follow_caught_up(w->f) && fx_now_ms() < deadline)
                nap();
        assert_int_equal(console_follow_caught_up(w->f), 1);
}

/* The event as a reader of the database sees it (the caller puts it), or NULL when absent. */
static json_object *event(world_t *w)
{
        console_index_t *idx = console_index_open(w->db, 1, errstr, sizeof(errstr));
        json_object *o = NULL;
        int rc;

        if (!idx)
                fail_msg("console_index_open: %s", errstr);
        rc = console_index_get(idx, INST, ENV_ID, &o, errstr, sizeof(errstr));
        console_index_close(idx);
        if (rc < 0)
                fail_msg("console_index_get: %s", errstr);
        return o;
}

/* The member k of o as text ("null" for a JSON null, "(absent)" when missing; static). */
static const char *member(json_object *o, const char *k)
{
        static char buf[256];
        json_object *v;

        if (!o || !json_object_object_get_ex(o, k, &v))
                return "(absent)";
        snprintf(buf, sizeof(buf), "%s", v ? json_object_get_string(v) : "null");
        return buf;
}

/* Waits until the event's member k reads want, FX_DEADLINE_MS at most. */
static void event_becomes(world_t *w, const char *k, const char *want)
{
        int64_t deadline = fx_now_ms() + FX_DEADLINE_MS;
        json_object *o;
        char got[256];

        do {
                o = event(w);
                snprintf(got, sizeof(got), "%s", member(o, k));
                json_object_put(o);
                if (!strcmp(got, want))
                        return;
                nap();
        } while (fx_now_ms() < deadline);
        fail_msg("%s: \"%s\", not \"%s\"", k, got, want);
}

static int64_t position(world_t *w, const char *topic, int32_t partition)
{
        console_index_t *idx = console_index_open(w->db, 1, errstr, sizeof(errstr));
        int64_t pos;

        assert_non_null(idx);
        pos = console_index_position(idx, topic, partition);
        console_index_close(idx);
        return pos;
}

/* closebridge_console_records_total of kind ("deliveries", ...): what the follower applied in
 * this process so far. */
static double records_total(const char *kind)
{
        char *text = cb_metrics_render(), series[128];
        const char *at;
        double n = 0;

        assert_non_null(text);
        snprintf(series, sizeof(series), "closebridge_console_records_total{topic=\"%s\"} ", kind);
        at = strstr(text, series);
        if (at)
                n = strtod(at + strlen(series), NULL);
        free(text);
        return n;
}

static void test_the_follower_catches_up_and_the_index_shows_the_event_and_its_attempt(void **state)
{
        world_t *w = *state;
        json_object *o, *d;

        topics_and_first_records(w);
        start(w);
        caught_up(w);
        o = event(w);
        assert_non_null(o);
        assert_string_equal(member(o, "status"), "retrying");
        assert_string_equal(member(o, "instanceId"), INST);
        assert_string_equal(member(o, "objectType"), "leads");
        assert_string_equal(member(o, "objectId"), "lead_BW9v");
        assert_string_equal(member(o, "eventType"), "UPDATED");
        assert_string_equal(member(o, "origin"), "webhook");
        assert_string_equal(member(o, "topic"), EVENTS);
        assert_string_equal(member(o, "partition"), "1");
        assert_string_equal(member(o, "offset"), "0");
        assert_string_equal(member(o, "attempts"), "1");
        assert_string_equal(member(o, "lastStatus"), "503");
        assert_string_not_equal(member(o, "nextDue"), "null"); /* the retry record's cb-due-ms */
        assert_true(json_object_object_get_ex(o, "deliveries", &d));
        assert_int_equal(json_object_array_length(d), 1);
        assert_string_equal(member(json_object_array_get_idx(d, 0), "attempt"), "1");
        assert_string_equal(member(json_object_array_get_idx(d, 0), "status"), "503");
        assert_string_equal(member(json_object_array_get_idx(d, 0), "outcome"), "retry");
        assert_string_equal(member(json_object_array_get_idx(d, 0), "url"), "https://x/y");
        json_object_put(o);
        /* where each partition resumes: after its one record, or nothing stored for the empty */
        assert_int_equal(position(w, EVENTS, 1), 1);
        assert_int_equal(position(w, DELIVERIES, 0), 1);
        assert_int_equal(position(w, RETRY, 0), 1);
        assert_int_equal(position(w, EVENTS, 0), -1);
}

static void test_records_produced_after_start_show_up_too(void **state)
{
        world_t *w = *state;

        topics_and_first_records(w);
        start(w);
        caught_up(w);
        assert_int_equal(fx_produce(w->fx, DELIVERIES, 0, INST, ATTEMPT_2, NULL), 1);
        event_becomes(w, "status", "delivered");
        event_becomes(w, "attempts", "2");
        event_becomes(w, "lastStatus", "200");
        assert_int_equal(position(w, DELIVERIES, 0), 2);
        /* and a DLQ record after that (later time, higher rank): the event is dead */
        assert_int_equal(fx_produce(w->fx, DLQ, 0, INST, ENVELOPE, "cb-dead-reason", "gone",
                                    "cb-attempt", "2", NULL),
                         0);
        event_becomes(w, "status", "dead");
        event_becomes(w, "reason", "gone");
}

static void test_a_new_follower_on_the_same_database_resumes_where_the_last_stopped(void **state)
{
        world_t *w = *state;
        double applied;

        topics_and_first_records(w);
        start(w);
        caught_up(w);
        stop(w);
        applied = records_total("deliveries");

        start(w);
        /* every position stored is its partition's end: caught up without reading anything */
        assert_int_equal(console_follow_caught_up(w->f), 1);
        assert_int_equal(fx_produce(w->fx, DELIVERIES, 0, INST, ATTEMPT_2, NULL), 1);
        event_becomes(w, "attempts", "2");
        event_becomes(w, "status", "delivered");
        /* only the new attempt was read: the first was not read again */
        assert_true(records_total("deliveries") == applied + 1);
        assert_int_equal(position(w, DELIVERIES, 0), 2);
}

static void test_caught_up_stays_0_while_the_dlq_topic_is_missing(void **state)
{
        world_t *w = *state;

        fx_topic(w->fx, EVENTS, 1);
        fx_topic(w->fx, DELIVERIES, 1);
        assert_int_equal(fx_produce(w->fx, EVENTS, 0, INST, ENVELOPE, NULL), 0);
        start(w);
        /* the record is indexed, so every partition it follows was read to its end */
        event_becomes(w, "status", "received");
        assert_int_equal(console_follow_caught_up(w->f), 0);
        /* the topic appears: the follower's rescan finds it and it catches up */
        fx_topic(w->fx, DLQ, 1);
        caught_up(w);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(
                test_the_follower_catches_up_and_the_index_shows_the_event_and_its_attempt, setup,
                teardown),
            cmocka_unit_test_setup_teardown(test_records_produced_after_start_show_up_too, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(
                test_a_new_follower_on_the_same_database_resumes_where_the_last_stopped, setup,
                teardown),
            cmocka_unit_test_setup_teardown(test_caught_up_stays_0_while_the_dlq_topic_is_missing,
                                            setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
