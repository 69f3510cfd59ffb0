/* Unit tests of the console index's queries (console/index_query.c): each list filter, the
 * members of an event, pages newest first, one event with its deliveries. */
#define _XOPEN_SOURCE 700
#include "fixture_console_index.h"

static console_index_t *list_fixture(void)
{
        static const char *const evs[][7] = {
            {"a", "1", "leads", "lead_a", "CREATED", "webhook", "delivered"},
            {"b", "1", "contacts", "cont_b", "UPDATED", "polling", "dead"},
            {"c", "2", "leads", "lead_c", "DELETED", "webhook", "retry"},
            {"d", "2", "leads", "lead_a", "CREATED", "polling", NULL},
            {"e", "10", "opportunities", "opp_e", "UPDATED", "webhook", "skipped"},
        };
        console_index_t *idx = open_new();
        console_rec_t r;
        int64_t i;

        for (i = 0; i < 5; i++) {
                r = ev_rec(evs[i][1], evs[i][0], T0 + 1000 * i, i);
                strcpy(r.object_type, evs[i][2]);
                strcpy(r.object_id, evs[i][3]);
                strcpy(r.event_type, evs[i][4]);
                strcpy(r.origin, evs[i][5]);
                apply(idx, &r);
                r = at_rec(evs[i][1], evs[i][0], T0 + 1000 * i + 10, i, 1,
                           evs[i][6] ? evs[i][6] : "", 200, "");
                if (evs[i][6])
                        apply(idx, &r);
        }
        r = at_rec("1", "f", T0 + 5000, 99, 1, "retry", 0, "timeout");
        apply(idx, &r);
        return idx;
}

static void test_index_lists_only_what_each_filter_asks_for(void **state)
{
        console_index_t *idx = list_fixture();
        console_filter_t f;

        (void)state;
        filter_all(&f);
        assert_string_equal(ids_of(idx, &f), "f,e,d,c,b,a");
        assert_string_equal(next, "");
        strcpy(f.instance_id, "1");
        assert_string_equal(ids_of(idx, &f), "f,b,a");
        filter_all(&f);
        f.states = 1u << CONSOLE_DEAD | 1u << CONSOLE_RETRYING;
        assert_string_equal(ids_of(idx, &f), "f,c,b");
        strcpy(f.instance_id, "2");
        assert_string_equal(ids_of(idx, &f), "c");
        f.states = 1u << 7; /* no known state: nothing */
        assert_string_equal(ids_of(idx, &f), "");
        filter_all(&f);
        f.since_ms = T0 + 1000; /* b's time: in */
        f.until_ms = T0 + 3000; /* d's time: out */
        assert_string_equal(ids_of(idx, &f), "c,b");
        filter_all(&f);
        strcpy(f.object_type, "leads");
        assert_string_equal(ids_of(idx, &f), "d,c,a");
        strcpy(f.origin, "webhook");
        assert_string_equal(ids_of(idx, &f), "c,a");
        filter_all(&f);
        strcpy(f.event_type, "CREATED");
        assert_string_equal(ids_of(idx, &f), "d,a");
        filter_all(&f);
        strcpy(f.object_id, "lead_a");
        strcpy(f.instance_id, "2");
        assert_string_equal(ids_of(idx, &f), "d");
        filter_all(&f);
        strcpy(f.origin, "polling");
        assert_string_equal(ids_of(idx, &f), "d,b");
        console_index_close(idx);
}

static void test_index_lists_events_with_every_member(void **state)
{
        console_index_t *idx = list_fixture();
        console_filter_t f;
        json_object *arr = NULL, *o;

        (void)state;
        filter_all(&f);
        OK(console_index_list(idx, &f, &arr, next, ERR));
        o = json_object_array_get_idx(arr, 5); /* a */
        assert_int_equal(json_object_object_length(o), 17);
        expect(o, "id", "a", "instanceId", "1", "eventDate", "2025-12-01T00:00:00.000Z", "status",
               "delivered", "eventType", "CREATED", "type", "com.close.lead.created", "origin",
               "webhook", "partition", "0", "deliveries", "(absent)", NULL);
        o = json_object_array_get_idx(arr, 0); /* f: an attempt only */
        expect(o, "status", "retrying", "lastStatus", "null", "lastError", "timeout", "nextDue",
               "2025-12-01T00:01:05.000Z", "offset", "null", NULL);
        json_object_put(arr);
        console_index_close(idx);
}

/* Walks every page of n events (three per millisecond) 50 at a time; checks the order. */

static void walk_pages(int n, int want_pages)
{
        console_index_t *idx = open_new();
        console_filter_t f;
        console_rec_t r;
        char env[32], *tok, *save;
        int i, pages = 0, seen = n;

        OK(console_index_begin(idx, ERR));
        for (i = 0; i < n; i++) {
                snprintf(env, sizeof(env), "e-%03d", i);
                r = ev_rec("1", env, T0 + i / 3, i);
                apply(idx, &r);
        }
        OK(console_index_commit(idx, ERR));
        filter_all(&f);
        do {
                pages++;
                for (tok = strtok_r(ids_of(idx, &f), ",", &save); tok;
                     tok = strtok_r(NULL, ",", &save)) {
                        snprintf(env, sizeof(env), "e-%03d", --seen);
                        assert_string_equal(tok, env);
                }
                f.has_cursor = console_cursor_parse(next, &f.cursor_time_ms, &f.cursor_row) == 0;
        } while (next[0] && pages < 10);
        assert_int_equal(seen, 0);
        assert_int_equal(pages, want_pages);
        console_index_close(idx);
}

static void test_index_pages_newest_first_until_no_cursor(void **state)
{
        (void)state;
        walk_pages(120, 3);
        walk_pages(100, 2); /* the second page ends at the last event: no cursor */
}

static void test_index_gets_an_event_with_its_deliveries_oldest_first_or_0(void **state)
{
        console_index_t *idx = open_new();
        console_rec_t r[] = {ev_rec("10", "e1", T0, 7),
                             at_rec("9", "e1", T0 + 200, 6, 2, "delivered", 204, ""),
                             at_rec("9", "e1", T0 + 100, 5, 1, "retry", 0, "connection refused"),
                             ev_rec("9", "e1", T0, 8)};
        json_object *o, *d;
        int i;

        (void)state;
        strcpy(r[1].replay, "rp_1"); /* the second attempt was a replay's */
        for (i = 0; i < 4; i++)
                apply(idx, &r[i]);
        o = get_ok(idx, "9", "e1");
        assert_true(json_object_object_get_ex(o, "deliveries", &d));
        assert_int_equal(json_object_array_length(d), 2);
        assert_int_equal(json_object_object_length(json_object_array_get_idx(d, 0)), 9);
        expect(json_object_array_get_idx(d, 0), "attempt", "1", "at", "2025-12-01T00:00:00.098Z",
               "status", "null", "error", "connection refused", "durationMs", "10", "outcome",
               "retry", "nextDue", "2025-12-01T00:01:00.100Z", "url", "https://example.com/hook",
               "replay", "null", NULL);
        expect(json_object_array_get_idx(d, 1), "status", "204", "nextDue", "null", "replay",
               "rp_1", NULL);
        expect(o, "lastStatus", "204", NULL);
        json_object_put(o);
        /* by envelope id alone: the lowest instance id, as a number */
        o = get_ok(idx, NULL, "e1");
        expect(o, "instanceId", "9", NULL);
        json_object_put(o);
        o = get_ok(idx, "", "e1");
        expect(o, "instanceId", "9", NULL);
        json_object_put(o);
        o = get_ok(idx, "10", "e1");
        expect(o, "instanceId", "10", "deliveries", "[ ]", NULL);
        json_object_put(o);
        /* unknown: 0 and no object */
        assert_int_equal(console_index_get(idx, "9", "nope", &o, ERR), 0);
        assert_null(o);
        assert_int_equal(console_index_get(idx, "8", "e1", &o, ERR), 0);
        assert_int_equal(console_index_get(idx, NULL, "nope", &o, ERR), 0);
        console_index_close(idx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_index_lists_only_what_each_filter_asks_for),
            cmocka_unit_test(test_index_lists_events_with_every_member),
            cmocka_unit_test(test_index_pages_newest_first_until_no_cursor),
            cmocka_unit_test(test_index_gets_an_event_with_its_deliveries_oldest_first_or_0),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
