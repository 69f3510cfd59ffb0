/* Unit tests of the poller's dedupe state and rate-limit waits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "close_api.h"
#include "poll_state.h"

#define S 1000000LL /* one second in µs */

static void test_poll_state_publishes_each_event_version_once(void **state)
{
        ingest_poll_state_t st;
        const char *ids[] = {"ev_1", "ev_2"};
        int64_t dates[] = {100 * S, 101 * S};

        (void)state;
        ingest_poll_state_init(&st, 50 * S);
        assert_true(ingest_poll_state_is_new(&st, "ev_1", 100 * S));
        assert_int_equal(ingest_poll_state_advance(&st, ids, dates, 2, 1000 * S, 300 * S), 0);
        /* the next poll asks from the newest date on: ev_1 is behind it, ev_2 remembered */
        assert_int_equal(st.from_us, 101 * S);
        assert_false(ingest_poll_state_is_new(&st, "ev_2", 101 * S));
        /* consolidated by Close: same id, new date_updated: new again */
        assert_true(ingest_poll_state_is_new(&st, "ev_2", 102 * S));
        assert_true(ingest_poll_state_is_new(&st, "ev_3", 101 * S));
        ingest_poll_state_fini(&st);
}

static void test_poll_state_never_moves_closer_to_now_than_the_overlap(void **state)
{
        ingest_poll_state_t st;
        const char *ids[] = {"ev_1", "ev_2"};
        int64_t dates[] = {100 * S, 900 * S};

        (void)state;
        ingest_poll_state_init(&st, 50 * S);
        assert_int_equal(ingest_poll_state_advance(&st, ids, dates, 2, 1000 * S, 300 * S), 0);
        assert_int_equal(st.from_us, 700 * S);
        /* what lies before from is forgotten; what lies after is remembered */
        assert_int_equal(st.nseen, 1);
        assert_false(ingest_poll_state_is_new(&st, "ev_2", 900 * S));
        /* and it never moves back */
        assert_int_equal(ingest_poll_state_advance(&st, NULL, NULL, 0, 800 * S, 300 * S), 0);
        assert_int_equal(st.from_us, 700 * S);
        ingest_poll_state_fini(&st);
}

static void test_poll_state_round_trips_through_json(void **state)
{
        ingest_poll_state_t st, back;
        const char *ids[] = {"ev_1"};
        int64_t dates[] = {1548936000123456LL};
        char *json;

        (void)state;
        ingest_poll_state_init(&st, 1548936000000001LL);
        assert_int_equal(ingest_poll_state_advance(&st, ids, dates, 1, 1548936000999999LL, 0), 0);
        json = ingest_poll_state_format(&st);
        assert_non_null(json);
        assert_int_equal(ingest_poll_state_parse(&back, json, strlen(json), 0), 0);
        assert_int_equal(back.from_us, st.from_us);
        assert_false(ingest_poll_state_is_new(&back, "ev_1", 1548936000123456LL));
        free(json);
        ingest_poll_state_fini(&back);
        assert_int_equal(ingest_poll_state_parse(&back, "{}", 2, 42), -1);
        assert_int_equal(back.from_us, 42);
        ingest_poll_state_fini(&back);
        ingest_poll_state_fini(&st);
}

static void test_poll_state_keeps_a_busy_window_once_each(void **state)
{
        enum { N = 20000 };
        ingest_poll_state_t st, copy, back;
        const char **ids = calloc(2 * N, sizeof(*ids));
        int64_t *dates = calloc(2 * N, sizeof(*dates));
        char(*names)[16] = calloc(N, sizeof(*names));
        char *json;
        size_t i;

        (void)state;
        assert_true(ids && dates && names);
        /* every event twice (a page read twice), in no particular order */
        for (i = 0; i < N; i++) {
                snprintf(names[i], sizeof(names[i]), "ev_%zu", (i * 7919) % N);
                ids[i] = ids[N + i] = names[i];
                dates[i] = dates[N + i] = 600 * S + (int64_t)((i * 7919) % N);
        }
        /* all within the overlap window: from stays at 500 s, and every event is kept */
        ingest_poll_state_init(&st, 500 * S);
        assert_int_equal(ingest_poll_state_advance(&st, ids, dates, 2 * N, 700 * S, 300 * S), 0);
        assert_int_equal(st.from_us, 500 * S);
        assert_int_equal(st.nseen, N);
        for (i = 0; i < N; i++)
                assert_false(ingest_poll_state_is_new(&st, ids[i], dates[i]));
        assert_true(ingest_poll_state_is_new(&st, "ev_1", 600 * S + 2));
        assert_true(ingest_poll_state_is_new(&st, "ev_new", 600 * S));
        /* a copy, and the state read back from its JSON, know the same events */
        assert_int_equal(ingest_poll_state_copy(&copy, &st), 0);
        json = ingest_poll_state_format(&copy);
        assert_non_null(json);
        assert_int_equal(ingest_poll_state_parse(&back, json, strlen(json), 0), 0);
        assert_int_equal(back.nseen, N);
        for (i = 0; i < N; i++)
                assert_false(ingest_poll_state_is_new(&back, ids[i], dates[i]));
        free(json);
        ingest_poll_state_fini(&back);
        ingest_poll_state_fini(&copy);
        ingest_poll_state_fini(&st);
        free(names);
        free(dates);
        free(ids);
}

static void test_close_rate_limit_waits_take_the_longer_and_round_up(void **state)
{
        (void)state;
        assert_int_equal(ingest_close_rate_limit_wait("2", NULL), 2000);
        assert_int_equal(ingest_close_rate_limit_wait(NULL, "limit=100, remaining=0, reset=1.25"),
                         1250);
        assert_int_equal(ingest_close_rate_limit_wait("1", "limit=10, remaining=0, reset=3.0001"),
                         3001);
        assert_int_equal(ingest_close_rate_limit_wait(NULL, NULL), 1000);
        assert_int_equal(ingest_close_rate_limit_wait("soon", "reset=x"), 1000);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_poll_state_publishes_each_event_version_once),
            cmocka_unit_test(test_poll_state_never_moves_closer_to_now_than_the_overlap),
            cmocka_unit_test(test_poll_state_round_trips_through_json),
            cmocka_unit_test(test_poll_state_keeps_a_busy_window_once_each),
            cmocka_unit_test(test_close_rate_limit_waits_take_the_longer_and_round_up),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
