/* console task: task ids and their partition, building a task's filter from its parameters,
 * the record on the tasks topic (encode, decode, cancel requests, what is refused) and the
 * API's view of a task. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "record.h"
#include "task.h"

#define NOW_MS   1796119200123LL /* 2026-12-01T10:00:00.123Z */
#define JAN_MS   1767225600000LL /* 2026-01-01T00:00:00Z */
#define FEB_MS   1769904000000LL /* 2026-02-01T00:00:00Z */
#define NEXT_MS  1798761600000LL /* 2027-01-01T00:00:00Z */
#define ID       "tk_0123456789abcdef"
#define OTHER_ID "tk_fedcba9876543210"
#define REC_TAIL "\"createdMs\":1,\"untilMs\":2,\"seq\":0,\"updatedMs\":1,\"unavailable\":0"

/* A task record of id with the given params members, state, matched and produced. */
static void rec(char *buf, size_t size, const char *id, const char *params, const char *st,
                const char *matched, const char *produced)
{
        snprintf(buf, size,
                 "{\"id\":\"%s\",\"instanceId\":\"\",\"params\":{%s},\"state\":\"%s\","
                 "\"matched\":%s,\"produced\":%s," REC_TAIL "}",
                 id, params, st, matched, produced);
}

static int decode(const char *key, const char *value, console_task_t *t, char *err, size_t err_size)
{
        return console_task_decode(key, key ? strlen(key) : 0, value, value ? strlen(value) : 0, t,
                                   err, err_size);
}

/* Expects the record (key, value of value_len bytes) to be refused with a message, t zeroed. */
static void decode_fails_len(const char *key, const char *value, size_t value_len)
{
        console_task_t t;
        char err[256] = "";

        memset(&t, 0x5a, sizeof(t));
        if (console_task_decode(key, key ? strlen(key) : 0, value, value_len, &t, err,
                                sizeof(err)) != -1)
                fail_msg("taken: key %s value %s", key ? key : "(null)", value ? value : "(null)");
        if (!err[0])
                fail_msg("refused without a message: %s", value ? value : "(null)");
        assert_int_equal(t.id[0], 0);
        assert_int_equal(t.nparams, 0);
        assert_int_equal(t.cancel, 0);
}

static void decode_fails(const char *key, const char *value)
{
        decode_fails_len(key, value, strlen(value));
}

static void test_task_id_form_and_validity(void **state)
{
        char a[CONSOLE_TASK_ID_MAX], b[CONSOLE_TASK_ID_MAX], small[CONSOLE_TASK_ID_MAX - 1];
        static const char *const bad[] = {
            "tx_0123456789abcdef",
            "TK_0123456789abcdef",
            "tk_0123456789ABCDEF",
            "tk_0123456789abcde",
            "tk_0123456789abcdef0",
            "tk_0123456789abcdeg",
            "tk_0123456789abcd-f",
            "tk_",
            "",
            "tk_0123456789abcdef/cancel",
        };
        size_t i;

        (void)state;
        assert_int_equal(console_task_id(a, sizeof(a)), 0);
        assert_int_equal(console_task_id(b, sizeof(b)), 0);
        assert_int_equal(strlen(a), CONSOLE_TASK_ID_MAX - 1);
        assert_memory_equal(a, "tk_", 3);
        assert_true(console_task_id_valid(a));
        assert_true(console_task_id_valid(b));
        assert_string_not_equal(a, b);
        assert_int_equal(console_task_id(small, sizeof(small)), -1);
        assert_true(console_task_id_valid(ID));
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (console_task_id_valid(bad[i]))
                        fail_msg("\"%s\" taken as a task id", bad[i]);
}

static void test_task_partition_is_stable_and_spread(void **state)
{
        char id[CONSOLE_TASK_ID_MAX];
        int counts[3] = {0, 0, 0}, i;
        int32_t p;

        (void)state;
        assert_int_equal(console_task_partition(ID, 12), console_task_partition(ID, 12));
        assert_int_equal(console_task_partition(ID, 1), 0);
        for (i = 0; i < 100; i++) {
                assert_int_equal(console_task_id(id, sizeof(id)), 0);
                p = console_task_partition(id, 3);
                assert_true(p >= 0 && p < 3);
                assert_int_equal(console_task_partition(id, 3), p);
                assert_int_equal(console_task_partition(id, 1), 0);
                p = console_task_partition(id, 7);
                assert_true(p >= 0 && p < 7);
                counts[console_task_partition(id, 3)]++;
        }
        for (i = 0; i < 3; i++)
                if (counts[i] == 0)
                        fail_msg("partition %d of 3 got none of 100 ids", i);
}

static void test_task_init_is_a_new_running_task(void **state)
{
        console_task_t t;

        (void)state;
        memset(&t, 0x5a, sizeof(t));
        assert_int_equal(console_task_init(&t, "20931", NOW_MS), 0);
        assert_true(console_task_id_valid(t.id));
        assert_string_equal(t.instance_id, "20931");
        assert_int_equal(t.state, CONSOLE_TASK_RUNNING);
        assert_int_equal(t.matched, -1);
        assert_int_equal(t.produced, 0);
        assert_int_equal(t.unavailable, 0);
        assert_int_equal(t.nparams, 0);
        assert_int_equal(t.seq, 0);
        assert_int_equal(t.has_cursor, 0);
        assert_int_equal(t.cancel, 0);
        assert_true(t.created_ms == NOW_MS && t.until_ms == NOW_MS && t.updated_ms == NOW_MS);
        assert_int_equal(console_task_init(&t, "", NOW_MS), 0);
        assert_string_equal(t.instance_id, "");
}

static void test_task_add_param_takes_the_filter_parameters(void **state)
{
        static const char *const params[][2] = {
            {"status", "dead,retrying"},
            {"since", "2026-01-01T00:00:00Z"},
            {"until", "2026-02-01T00:00:00Z"},
            {"objectType", "leads"},
            {"eventType", "CREATED"},
            {"objectId", "lead_abc"},
            {"origin", "webhook"},
        };
        console_task_t t;
        console_filter_t f;
        char err[256] = "";
        int i;

        (void)state;
        assert_int_equal(console_task_init(&t, "", NOW_MS), 0);
        console_filter_init(&f);
        for (i = 0; i < 7; i++)
                if (console_task_add_param(&t, &f, params[i][0], params[i][1], err, sizeof(err)))
                        fail_msg("%s=%s refused: %s", params[i][0], params[i][1], err);
        assert_int_equal(console_filter_check(&f, err, sizeof(err)), 0);
        assert_int_equal(t.nparams, 7);
        for (i = 0; i < 7; i++) {
                assert_string_equal(t.params[i].name, params[i][0]);
                assert_string_equal(t.params[i].value, params[i][1]);
        }
        assert_int_equal(f.states, (1u << CONSOLE_DEAD) | (1u << CONSOLE_RETRYING));
        assert_true(f.since_ms == JAN_MS && f.until_ms == FEB_MS);
        assert_string_equal(f.object_type, "leads");
        assert_string_equal(f.event_type, "CREATED");
        assert_string_equal(f.object_id, "lead_abc");
        assert_string_equal(f.origin, "webhook");
}

/* Expects name=value to be refused on a fresh task with a message holding what. */
static void add_fails(const char *name, const char *value, const char *what)
{
        console_task_t t;
        console_filter_t f;
        char err[256] = "";

        assert_int_equal(console_task_init(&t, "", NOW_MS), 0);
        console_filter_init(&f);
        assert_int_equal(console_task_add_param(&t, &f, name, value, err, sizeof(err)), -1);
        if (!strstr(err, what))
                fail_msg("%s: message \"%s\" lacks \"%s\"", name, err, what);
        assert_int_equal(t.nparams, 0);
}

static void test_task_add_param_refuses(void **state)
{
        console_task_t t;
        console_filter_t f;
        char err[256] = "", lng[256] = "dead", cursor[CONSOLE_CURSOR_MAX];

        (void)state;
        add_fails("pageSize", "10", "pageSize");
        /* paging parameters, even ones filter.h takes: a task is never a page */
        assert_int_equal(console_cursor_format(JAN_MS, 5, cursor, sizeof(cursor)), 0);
        add_fails("nextPage", cursor, "nextPage");
        assert_int_equal(console_task_init(&t, "", NOW_MS), 0);
        console_filter_init(&f);
        assert_int_equal(console_task_add_param(&t, &f, "nextPage", cursor, err, sizeof(err)), -1);
        assert_int_equal(console_task_add_param(&t, &f, "pageSize", "10", err, sizeof(err)), -1);
        assert_true(f.seen == 0 && !f.has_cursor && f.page_size == CONSOLE_PAGE_DEFAULT);
        add_fails("colour", "red", "colour");
        add_fails("status", "paused", "status");
        /* a value filter.h takes but a record cannot hold */
        while (strlen(lng) < CONSOLE_TASK_VALUE_MAX)
                strcat(lng, ",dead");
        add_fails("status", lng, "status");
        /* a parameter given twice: filter.h leaves it to console_filter_check */
        assert_int_equal(console_task_init(&t, "", NOW_MS), 0);
        console_filter_init(&f);
        assert_int_equal(console_task_add_param(&t, &f, "status", "dead", err, sizeof(err)), 0);
        console_task_add_param(&t, &f, "status", "retrying", err, sizeof(err));
        assert_int_equal(console_filter_check(&f, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "status"));
        assert_int_equal(f.states, 1u << CONSOLE_DEAD);
}

static void test_task_filter_rebuilds_the_tasks_filter(void **state)
{
        console_task_t t;
        console_filter_t f, g;
        char err[256] = "";

        (void)state;
        assert_int_equal(console_task_init(&t, "20931", NOW_MS), 0);
        console_filter_init(&f);
        assert_int_equal(console_task_add_param(&t, &f, "status", "dead", err, sizeof(err)), 0);
        assert_int_equal(
            console_task_add_param(&t, &f, "since", "2026-01-01T00:00:00Z", err, sizeof(err)), 0);
        assert_int_equal(console_task_filter(&t, &g, err, sizeof(err)), 0);
        assert_int_equal(g.states, 1u << CONSOLE_DEAD);
        assert_true(g.since_ms == JAN_MS);
        assert_true(g.until_ms == NOW_MS); /* no until: the task's own bound */
        assert_string_equal(g.instance_id, "20931");
        /* an until before the task's: the filter's */
        assert_int_equal(
            console_task_add_param(&t, &f, "until", "2026-02-01T00:00:00Z", err, sizeof(err)), 0);
        assert_int_equal(console_task_filter(&t, &g, err, sizeof(err)), 0);
        assert_true(g.until_ms == FEB_MS);
        /* an until after the task's: the task's */
        snprintf(t.params[2].value, sizeof(t.params[2].value), "2027-01-01T00:00:00Z");
        assert_int_equal(console_task_filter(&t, &g, err, sizeof(err)), 0);
        assert_true(g.until_ms == NOW_MS && NOW_MS < NEXT_MS);
        /* parameters that no longer parse */
        snprintf(t.params[0].name, sizeof(t.params[0].name), "colour");
        err[0] = '\0';
        assert_int_equal(console_task_filter(&t, &g, err, sizeof(err)), -1);
        assert_true(err[0] != '\0');
}

static void assert_same_task(const console_task_t *a, const console_task_t *b)
{
        int i;

        assert_string_equal(a->id, b->id);
        assert_string_equal(a->instance_id, b->instance_id);
        assert_int_equal(a->nparams, b->nparams);
        for (i = 0; i < a->nparams; i++) {
                assert_string_equal(a->params[i].name, b->params[i].name);
                assert_string_equal(a->params[i].value, b->params[i].value);
        }
        assert_true(a->created_ms == b->created_ms && a->until_ms == b->until_ms);
        assert_int_equal(a->state, b->state);
        assert_true(a->seq == b->seq && a->updated_ms == b->updated_ms);
        assert_true(a->matched == b->matched && a->produced == b->produced &&
                    a->unavailable == b->unavailable);
        assert_int_equal(a->has_cursor, b->has_cursor);
        assert_true(a->cursor_time_ms == b->cursor_time_ms);
        assert_string_equal(a->cursor_instance, b->cursor_instance);
        assert_string_equal(a->cursor_env, b->cursor_env);
        assert_int_equal(b->cancel, 0);
}

static void round_trip(const console_task_t *t)
{
        console_task_t back;
        char err[256] = "", *text = console_task_encode(t);

        assert_non_null(text);
        if (decode(t->id, text, &back, err, sizeof(err)) != 1)
                fail_msg("%s refused: %s", text, err);
        assert_same_task(t, &back);
        free(text);
}

static void test_task_encode_decode_round_trip(void **state)
{
        console_task_t t;
        console_filter_t f;
        char err[256] = "";

        (void)state;
        assert_int_equal(console_task_init(&t, "20931", NOW_MS), 0);
        console_filter_init(&f);
        assert_int_equal(
            console_task_add_param(&t, &f, "status", "dead,retrying", err, sizeof(err)), 0);
        assert_int_equal(
            console_task_add_param(&t, &f, "objectId", "lead \"a\"/\\b", err, sizeof(err)), 0);
        t.until_ms = FEB_MS;
        t.state = CONSOLE_TASK_DONE;
        t.seq = 3;
        t.updated_ms = NOW_MS + 5000;
        t.matched = 10;
        t.produced = 7;
        t.unavailable = 2;
        t.has_cursor = 1;
        t.cursor_time_ms = JAN_MS + 1;
        snprintf(t.cursor_instance, sizeof(t.cursor_instance), "20931");
        snprintf(t.cursor_env, sizeof(t.cursor_env), "cb_abc/\xc3\xa9");
        round_trip(&t);
        /* every instance, no cursor, nothing counted yet */
        assert_int_equal(console_task_init(&t, "", NOW_MS), 0);
        t.state = CONSOLE_TASK_CANCELLED;
        round_trip(&t);
        t.state = CONSOLE_TASK_RUNNING;
        t.matched = 0;
        round_trip(&t);
}

static void test_task_decode_reads_a_cancel_request(void **state)
{
        console_task_t t;
        char err[256] = "";

        (void)state;
        memset(&t, 0x5a, sizeof(t));
        assert_int_equal(decode(ID "/cancel", "{\"cancel\":\"" ID "\"}", &t, err, sizeof(err)), 2);
        assert_string_equal(t.id, ID);
        assert_int_equal(t.cancel, 1);
        assert_int_equal(t.nparams, 0);
        decode_fails(ID "/cancel", "{\"cancel\":\"" OTHER_ID "\"}");
        decode_fails(ID "/cancel", "{\"cancel\":\"tk_nothex\"}");
        decode_fails(ID "/cancel", "{\"cancel\":1}");
        decode_fails("tk_0123/cancel", "{\"cancel\":\"" ID "\"}");
}

static void test_task_decode_refuses_what_is_not_a_task(void **state)
{
        console_task_t t;
        char buf[1024], err[256];
        const char eight[] = "\"a\":\"1\",\"b\":\"1\",\"c\":\"1\",\"d\":\"1\",\"e\":\"1\","
                             "\"f\":\"1\",\"g\":\"1\",\"h\":\"1\"";

        (void)state;
        /* the record the cases below each break one thing of */
        rec(buf, sizeof(buf), ID, "\"status\":\"dead\"", "running", "-1", "0");
        assert_int_equal(decode(ID, buf, &t, err, sizeof(err)), 1);
        rec(buf, sizeof(buf), ID, eight, "done", "0", "0"); /* CONSOLE_TASK_PARAMS_MAX of them */
        assert_int_equal(decode(ID, buf, &t, err, sizeof(err)), 1);
        assert_int_equal(t.nparams, CONSOLE_TASK_PARAMS_MAX);

        decode_fails(ID, "nope");
        rec(buf, sizeof(buf), ID, "", "running", "-1", "0");
        strcat(buf, "x");
        decode_fails(ID, buf);
        decode_fails(ID, "[1,2]");
        decode_fails(ID, "{\"instanceId\":\"\",\"params\":{},\"state\":\"running\","
                         "\"matched\":-1,\"produced\":0," REC_TAIL "}");
        rec(buf, sizeof(buf), "tk_nothex", "", "running", "-1", "0");
        decode_fails("tk_nothex", buf);
        rec(buf, sizeof(buf), ID, "", "running", "-1", "0");
        decode_fails(OTHER_ID, buf);
        decode_fails("", buf);
        rec(buf, sizeof(buf), ID, "", "paused", "-1", "0");
        decode_fails(ID, buf);
        rec(buf, sizeof(buf), ID, "", "running", "-1", "-1");
        decode_fails(ID, buf);
        rec(buf, sizeof(buf), ID, "", "running", "-2", "0");
        decode_fails(ID, buf);
        rec(buf, sizeof(buf), ID, "", "running", "1.5", "0");
        decode_fails(ID, buf);
        rec(buf, sizeof(buf), ID, "\"status\":1", "running", "-1", "0");
        decode_fails(ID, buf);
        rec(buf, sizeof(buf), ID, "\"status\":null", "running", "-1", "0");
        decode_fails(ID, buf);
        snprintf(buf, sizeof(buf),
                 "{\"id\":\"%s\",\"instanceId\":\"\",\"params\":{%s,\"i\":\"1\"}"
                 ",\"state\":\"done\",\"matched\":0,\"produced\":0," REC_TAIL "}",
                 ID, eight);
        decode_fails(ID, buf);
        decode_fails(ID, "{\"cancel\":\"" ID "\"}"); /* a cancel under the task's own key */
        /* times an RFC 3339 date cannot write (and whose microseconds overflow) */
        decode_fails(ID, "{\"id\":\"" ID "\",\"instanceId\":\"\",\"params\":{},"
                         "\"state\":\"running\",\"matched\":-1,\"produced\":0,"
                         "\"createdMs\":9223372036854775807,\"untilMs\":1,\"seq\":0,"
                         "\"updatedMs\":1,\"unavailable\":0}");
        decode_fails(ID, "{\"id\":\"" ID "\",\"instanceId\":\"\",\"params\":{},"
                         "\"state\":\"running\",\"matched\":-1,\"produced\":0,"
                         "\"createdMs\":1,\"untilMs\":-5,\"seq\":0,"
                         "\"updatedMs\":1,\"unavailable\":0}");
        decode_fails_len(ID, "", 0);
        decode_fails_len(ID, NULL, 0);
        decode_fails_len(ID, "{}", 0);
}

static const char *str_member(json_object *o, const char *name)
{
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, name, &v))
                fail_msg("no member %s", name);
        if (!json_object_is_type(v, json_type_string))
                fail_msg("member %s is not a string", name);
        return json_object_get_string(v);
}

/* 1 when o has the member name and it is null. */
static int null_member(json_object *o, const char *name)
{
        json_object *v = (json_object *)1;

        return json_object_object_get_ex(o, name, &v) && v == NULL;
}

static void test_task_json_is_the_apis_view(void **state)
{
        console_task_t t;
        console_filter_t f;
        json_object *o, *v;
        char err[256] = "";

        (void)state;
        assert_int_equal(console_task_init(&t, "", 1500000000000LL), 0);
        console_filter_init(&f);
        assert_int_equal(console_task_add_param(&t, &f, "status", "dead", err, sizeof(err)), 0);
        assert_non_null(o = console_task_json(&t, -1));
        assert_string_equal(str_member(o, "id"), t.id);
        assert_string_equal(str_member(o, "status"), "running");
        assert_true(null_member(o, "instanceId"));
        assert_true(null_member(o, "matched"));
        assert_true(null_member(o, "delivered"));
        assert_string_equal(str_member(o, "created"), "2017-07-14T02:40:00.000Z");
        assert_string_equal(str_member(o, "until"), "2017-07-14T02:40:00.000Z");
        assert_true(json_object_object_get_ex(o, "filter", &v));
        assert_string_equal(str_member(v, "status"), "dead");
        assert_true(json_object_object_get_ex(o, "cancelRequested", &v));
        assert_true(json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v));
        json_object_put(o);

        snprintf(t.instance_id, sizeof(t.instance_id), "20931");
        t.state = CONSOLE_TASK_DONE;
        t.matched = 5;
        t.produced = 4;
        t.unavailable = 1;
        t.cancel = 1;
        assert_non_null(o = console_task_json(&t, 3));
        assert_string_equal(str_member(o, "status"), "done");
        assert_string_equal(str_member(o, "instanceId"), "20931");
        assert_true(json_object_object_get_ex(o, "matched", &v) && json_object_get_int64(v) == 5);
        assert_true(json_object_object_get_ex(o, "produced", &v) && json_object_get_int64(v) == 4);
        assert_true(json_object_object_get_ex(o, "unavailable", &v) &&
                    json_object_get_int64(v) == 1);
        assert_true(json_object_object_get_ex(o, "delivered", &v) &&
                    json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 3);
        assert_true(json_object_object_get_ex(o, "cancelRequested", &v) &&
                    json_object_get_boolean(v));
        json_object_put(o);
        t.state = CONSOLE_TASK_CANCELLED;
        t.matched = 0; /* counted, none: 0, not null */
        assert_non_null(o = console_task_json(&t, 0));
        assert_string_equal(str_member(o, "status"), "cancelled");
        assert_false(null_member(o, "matched"));
        assert_false(null_member(o, "delivered"));
        json_object_put(o);
        assert_string_equal(console_task_state_name(CONSOLE_TASK_NSTATES), "unknown");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_task_id_form_and_validity),
            cmocka_unit_test(test_task_partition_is_stable_and_spread),
            cmocka_unit_test(test_task_init_is_a_new_running_task),
            cmocka_unit_test(test_task_add_param_takes_the_filter_parameters),
            cmocka_unit_test(test_task_add_param_refuses),
            cmocka_unit_test(test_task_filter_rebuilds_the_tasks_filter),
            cmocka_unit_test(test_task_encode_decode_round_trip),
            cmocka_unit_test(test_task_decode_reads_a_cancel_request),
            cmocka_unit_test(test_task_decode_refuses_what_is_not_a_task),
            cmocka_unit_test(test_task_json_is_the_apis_view),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
