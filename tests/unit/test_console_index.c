/* Unit tests of the console index: a real SQLite database in a temporary directory. */
#define _XOPEN_SOURCE 700
#include "fixture_console_index.h"

static void test_index_creates_its_schema_and_keeps_positions_across_reopen(void **state)
{
        const char *path = db_path();
        console_index_t *idx = console_index_open(path, 0, ERR);
        console_rec_t r = ev_rec("1", "e1", T0, 41);

        (void)state;
        assert_non_null(idx);
        assert_int_equal(count_of(idx, 0) + count_of(idx, 1), 0);
        assert_int_equal(console_index_position(idx, "closeio.events", 0), -1);
        OK(console_index_begin(idx, ERR));
        apply(idx, &r);
        OK(console_index_skip(idx, "closeio.deliveries", 2, 100, ERR));
        OK(console_index_skip(idx, "closeio.deliveries", 2, 50, ERR)); /* never moves back */
        OK(console_index_commit(idx, ERR));
        console_index_close(idx);
        idx = console_index_open(path, 0, ERR);
        assert_non_null(idx);
        assert_int_equal(console_index_position(idx, "closeio.events", 0), 42);
        assert_int_equal(console_index_position(idx, "closeio.deliveries", 2), 100);
        assert_int_equal(console_index_position(idx, "closeio.deliveries", 0), -1);
        assert_int_equal(count_of(idx, 0), 1);
        console_index_close(idx);
}

/* The four records of an event delivered on its second attempt. */

static void delivered_story(const char *env, console_rec_t rec[4])
{
        rec[0] = ev_rec("7", env, T0, 10);
        rec[1] = at_rec("7", env, T0 + 100, 20, 1, "retry", 503, "HTTP 503");
        rec[2] = base(CONSOLE_TOPIC_RETRY, "closeio.events.retry.1m", "7", env, T0 + 101, 30,
                      CONSOLE_RETRYING);
        rec[2].next_due_ms = T0 + 60150;
        rec[3] = at_rec("7", env, T0 + 60200, 21, 2, "delivered", 200, "");
}

static void test_index_gives_one_state_whatever_the_order_and_repeats_of_records(void **state)
{
        console_index_t *idx = open_new();
        console_rec_t rec[4];
        char env[32], first[2048] = "";
        json_object *o, *d;
        int perm, i, j, order[4], tmp;

        (void)state;
        for (perm = 0; perm < 24; perm++) { /* all 24 orders: swap each slot with a choice */
                for (i = 0; i < 4; i++)
                        order[i] = i;
                for (i = 3, j = perm; i > 0; j /= i + 1, i--)
                        tmp = order[i], order[i] = order[j % (i + 1)], order[j % (i + 1)] = tmp;
                snprintf(env, sizeof(env), "env-%d", perm);
                delivered_story(env, rec);
                for (i = 0; i < 4; i++)
                        apply(idx, &rec[order[i]]);
                o = get_ok(idx, "7", env);
                json_object_object_del(o, "id");
                if (!perm)
                        snprintf(first, sizeof(first), "%s", json_object_to_json_string(o));
                else
                        assert_string_equal(json_object_to_json_string(o), first);
                json_object_put(o);
        }
        /* applying them all again changes nothing */
        delivered_story("env-0", rec);
        for (i = 0; i < 4; i++)
                apply(idx, &rec[i]);
        o = get_ok(idx, "7", "env-0");
        json_object_object_del(o, "id");
        assert_string_equal(json_object_to_json_string(o), first);
        json_object_put(o);
        assert_int_equal(count_of(idx, 1), 48);
        o = get_ok(idx, "7", "env-5");
        expect(o, "status", "delivered", "attempts", "2", "lastStatus", "200", "lastError", "null",
               "nextDue", "null", "reason", "null", "eventDate", "2025-12-01T00:00:00.000Z",
               "objectType", "leads", "topic", "closeio.events", "offset", "10", NULL);
        assert_true(json_object_object_get_ex(o, "deliveries", &d));
        assert_int_equal(json_object_array_length(d), 2);
        json_object_put(o);
        console_index_close(idx);
}

static void test_index_marks_dead_and_skipped_with_their_reasons(void **state)
{
        console_index_t *idx = open_new();
        console_rec_t ev, dead, dlq;
        json_object *o;
        int pass;

        (void)state;
        for (pass = 0; pass < 2; pass++) { /* the attempt and its DLQ record of one time */
                ev = ev_rec("7", pass ? "e2" : "e1", T0, 1);
                dead = at_rec("7", ev.env_id, T0 + 500, 2, 1, "dead", 400, "HTTP 400");
                dlq = base(CONSOLE_TOPIC_DLQ, "closeio.events.dlq", "7", ev.env_id, T0 + 500, 3,
                           CONSOLE_DEAD);
                strcpy(dlq.reason, "permanent: HTTP 400");
                strcpy(dlq.error, "HTTP 400");
                apply(idx, &ev);
                apply(idx, pass ? &dlq : &dead);
                apply(idx, pass ? &dead : &dlq);
                o = get_ok(idx, "7", ev.env_id);
                expect(o, "status", "dead", "reason", "permanent: HTTP 400", "lastStatus", "400",
                       "lastError", "HTTP 400", NULL);
                json_object_put(o);
        }
        /* without a reason, its error; without an event record, no object and the first time */
        dlq = base(CONSOLE_TOPIC_DLQ, "closeio.events.dlq", "7", "e3", T0, 4, CONSOLE_DEAD);
        strcpy(dlq.error, "connection refused");
        apply(idx, &dlq);
        o = get_ok(idx, "7", "e3");
        expect(o, "status", "dead", "reason", "connection refused", "attempts", "0", "objectType",
               "null", "topic", "null", "eventDate", "2025-12-01T00:00:00.000Z", NULL);
        json_object_put(o);
        /* skipped; the event record, older, does not undo it */
        dead = at_rec("7", "e4", T0 + 50, 1, 1, "skipped", 0, "instance disabled");
        strcpy(dead.reason, "instance disabled");
        ev = ev_rec("7", "e4", T0, 9);
        apply(idx, &dead);
        apply(idx, &ev);
        o = get_ok(idx, "7", "e4");
        expect(o, "status", "skipped", "reason", "instance disabled", "lastStatus", "null",
               "objectId", "lead_a", NULL);
        json_object_put(o);
        console_index_close(idx);
}

/* Six events a second apart: a-e with their event records, f only an attempt. */

static void test_index_prune_removes_old_events_and_their_attempts(void **state)
{
        console_index_t *idx = open_new();
        console_rec_t r;
        json_object *o = NULL;
        char env[32];
        int i;

        (void)state;
        OK(console_index_begin(idx, ERR));
        for (i = 0; i < 2502; i++) { /* more than a chunk of old ones */
                int64_t t = i < 2500 ? T0 : T0 + 100000;

                snprintf(env, sizeof(env), "e-%d", i);
                r = ev_rec("1", env, t, i);
                apply(idx, &r);
                r = at_rec("1", env, t + 10, i, 1, "delivered", 200, "");
                apply(idx, &r);
        }
        OK(console_index_commit(idx, ERR));
        assert_int_equal(console_index_prune(idx, T0 + 50000, ERR), 2500);
        assert_int_equal(count_of(idx, 0), 2);
        assert_int_equal(count_of(idx, 1), 2);
        assert_int_equal(console_index_get(idx, "1", "e-0", &o, ERR), 0);
        json_object_put(get_ok(idx, "1", "e-2501"));
        assert_int_equal(console_index_prune(idx, T0 + 50000, ERR), 0);
        console_index_close(idx);
}

static void test_index_reader_sees_what_the_writer_committed(void **state)
{
        const char *path = db_path();
        console_index_t *w = console_index_open(path, 0, ERR);
        console_index_t *rd = console_index_open(path, 1, ERR);
        console_rec_t r = ev_rec("1", "e1", T0, 3);
        console_filter_t f;

        (void)state;
        assert_non_null(w);
        assert_non_null(rd);
        OK(console_index_begin(w, ERR));
        apply(w, &r);
        assert_int_equal(count_of(rd, 0), 0);
        OK(console_index_commit(w, ERR));
        assert_int_equal(count_of(rd, 0), 1);
        assert_int_equal(console_index_position(rd, "closeio.events", 0), 4);
        json_object_put(get_ok(rd, "1", "e1"));
        filter_all(&f);
        assert_string_equal(ids_of(rd, &f), "e1");
        /* and it never writes */
        assert_int_equal(console_index_apply(rd, &r, ERR), -1);
        assert_non_null(strstr(errstr, "read-only"));
        console_index_close(rd);
        console_index_close(w);
}

static void test_index_reset_empties_it_for_another_cluster(void **state)
{
        char path[128], cluster[64];
        console_index_t *idx;
        console_rec_t ev = ev_rec("20931", "e1", T0, 5);

        (void)state;
        snprintf(path, sizeof(path), "%s", db_path());
        idx = console_index_open(path, 0, ERR);
        assert_non_null(idx);
        OK(console_index_cluster(idx, cluster, sizeof(cluster), ERR));
        assert_string_equal(cluster, ""); /* a new database comes from nowhere yet */
        OK(console_index_begin(idx, ERR));
        apply(idx, &ev);
        OK(console_index_commit(idx, ERR));
        assert_int_equal(count_of(idx, 0), 1);
        OK(console_index_reset(idx, "cluster-b", ERR));
        assert_int_equal(count_of(idx, 0) + count_of(idx, 1), 0);
        assert_int_equal(console_index_position(idx, ev.topic, ev.partition), -1);
        OK(console_index_cluster(idx, cluster, sizeof(cluster), ERR));
        assert_string_equal(cluster, "cluster-b");
        /* and it is kept */
        console_index_close(idx);
        idx = console_index_open(path, 0, ERR);
        assert_non_null(idx);
        OK(console_index_cluster(idx, cluster, sizeof(cluster), ERR));
        assert_string_equal(cluster, "cluster-b");
        console_index_close(idx);
}

static void test_index_readonly_open_of_a_missing_database_fails(void **state)
{
        char path[128];
        FILE *fp;

        (void)state;
        errstr[0] = '\0';
        snprintf(path, sizeof(path), "%s/missing.db", dir);
        assert_null(console_index_open(path, 1, ERR));
        assert_non_null(strstr(errstr, "index: open"));
        snprintf(path, sizeof(path), "%s/empty.db", dir); /* a file without the schema */
        fp = fopen(path, "w");
        assert_non_null(fp);
        fclose(fp);
        errstr[0] = '\0';
        assert_null(console_index_open(path, 1, ERR));
        assert_non_null(strstr(errstr, "no such table"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_index_creates_its_schema_and_keeps_positions_across_reopen),
            cmocka_unit_test(test_index_gives_one_state_whatever_the_order_and_repeats_of_records),
            cmocka_unit_test(test_index_marks_dead_and_skipped_with_their_reasons),
            cmocka_unit_test(test_index_prune_removes_old_events_and_their_attempts),
            cmocka_unit_test(test_index_reader_sees_what_the_writer_committed),
            cmocka_unit_test(test_index_reset_empties_it_for_another_cluster),
            cmocka_unit_test(test_index_readonly_open_of_a_missing_database_fails),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
