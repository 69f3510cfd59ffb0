/* Unit tests of the console's instance figures (index_stats.c) and of the embedded page's table
 * (web.c): a real SQLite database in a temporary directory. */
#define _XOPEN_SOURCE 700
#include "fixture_console_index.h"
#include "index_stats.h"
#include "web.h"

#define HOUR (3600 * 1000LL)
#define NOW  (T0 + 24 * HOUR)

static console_index_t *world(void)
{
        console_index_t *idx = open_new();
        console_rec_t r;
        int64_t off = 0;

        /* instance 7: delivered 10 min ago, dead 5 h ago, retrying 30 min ago (its attempt the
           latest), received only 20 min ago, delivered two days ago (outside the day) */
        apply(idx, (r = ev_rec("7", "e_ok", NOW - HOUR / 6, off++), &r));
        apply(idx,
              (r = at_rec("7", "e_ok", NOW - HOUR / 6 + 100, off++, 1, "delivered", 200, ""), &r));
        apply(idx, (r = ev_rec("7", "e_dead", NOW - 5 * HOUR, off++), &r));
        apply(idx,
              (r = at_rec("7", "e_dead", NOW - 5 * HOUR + 100, off++, 1, "dead", 410, "HTTP 410"),
               &r));
        apply(idx, (r = ev_rec("7", "e_retry", NOW - HOUR / 2, off++), &r));
        apply(idx,
              (r = at_rec("7", "e_retry", NOW - 60000, off++, 2, "retry", 503, "HTTP 503"), &r));
        apply(idx, (r = ev_rec("7", "e_new", NOW - HOUR / 3, off++), &r));
        apply(idx, (r = ev_rec("7", "e_old", NOW - 48 * HOUR, off++), &r));
        apply(idx,
              (r = at_rec("7", "e_old", NOW - 48 * HOUR + 5, off++, 1, "delivered", 200, ""), &r));
        /* instance 8: one event in the hour; instance 9: its breaker stopped the attempt */
        apply(idx, (r = ev_rec("8", "e8", NOW - HOUR / 6, off++), &r));
        apply(idx, (r = ev_rec("9", "e9", NOW - 2 * HOUR, off++), &r));
        apply(idx, (r = at_rec("9", "e9", NOW - 2 * HOUR + 50, off++, 1, "breaker-open", 0,
                               "the destination's circuit breaker is open"),
                    &r));
        return idx;
}

static void test_stats_count_the_hour_and_the_day_by_state(void **state)
{
        console_index_t *idx = world();
        console_instance_stats_t st;
        int i;

        (void)state;
        OK(console_index_instance_stats(idx, "7", NOW, &st, ERR));
        assert_int_equal(st.hour[CONSOLE_DELIVERED], 1);
        assert_int_equal(st.hour[CONSOLE_RETRYING], 1);
        assert_int_equal(st.hour[CONSOLE_RECEIVED], 1);
        assert_int_equal(st.hour[CONSOLE_DEAD], 0);
        assert_int_equal(st.day[CONSOLE_DEAD], 1);
        assert_int_equal(st.day[CONSOLE_DELIVERED], 1); /* not the one of two days ago */
        /* per hour: the last hour ends now; 5 h ago is hour 19 */
        assert_int_equal(st.delivered[CONSOLE_STATS_HOURS - 1], 1);
        assert_int_equal(st.failing[CONSOLE_STATS_HOURS - 1], 1);
        assert_int_equal(st.failing[19], 1);
        for (i = 0; i < CONSOLE_STATS_HOURS - 1; i++)
                assert_int_equal(st.delivered[i], 0);
        /* the latest attempt is the retry of a minute ago */
        assert_int_equal(st.last_at_ms, NOW - 60000 - 2);
        assert_int_equal(st.last_status, 503);
        assert_string_equal(st.last_outcome, "retry");
        assert_string_equal(st.last_error, "HTTP 503");
        assert_string_equal(st.last_env_id, "e_retry");
        console_index_close(idx);
}

static void test_stats_of_other_instances_and_of_none(void **state)
{
        console_index_t *idx = world();
        console_instance_stats_t st;

        (void)state;
        OK(console_index_instance_stats(idx, "8", NOW, &st, ERR));
        assert_int_equal(st.hour[CONSOLE_RECEIVED], 1);
        assert_int_equal(st.day[CONSOLE_DELIVERED] + st.day[CONSOLE_DEAD], 0);
        assert_int_equal(st.last_at_ms, -1); /* no attempt */
        OK(console_index_instance_stats(idx, "9", NOW, &st, ERR));
        assert_string_equal(st.last_outcome, "breaker-open");
        assert_int_equal(st.last_status, 0);
        assert_int_equal(st.failing[22], 1); /* 2 h ago */
        OK(console_index_instance_stats(idx, "404", NOW, &st, ERR));
        assert_int_equal(st.day[CONSOLE_RECEIVED] + st.day[CONSOLE_DELIVERED], 0);
        assert_int_equal(st.last_at_ms, -1);
        /* a day later, instance 7's events are all out of the day */
        OK(console_index_instance_stats(idx, "7", NOW + 25 * HOUR, &st, ERR));
        assert_int_equal(st.day[CONSOLE_DELIVERED] + st.day[CONSOLE_RETRYING], 0);
        assert_int_equal(st.last_at_ms, -1);
        console_index_close(idx);
}

static void test_the_page_is_in_the_binary(void **state)
{
        const console_web_file_t *page = console_web_find("/console/");
        const console_web_file_t *f;

        (void)state;
        assert_non_null(page);
        assert_string_equal(page->type, "text/html; charset=utf-8");
        assert_int_equal(strlen(page->data), page->len);
        assert_non_null(strstr(page->data, "app.js"));
        assert_non_null(console_web_find("/console/app.js"));
        assert_non_null(console_web_find("/console/app.css"));
        assert_null(console_web_find("/console/index.html")); /* served as /console/ only */
        assert_null(console_web_find("/console"));
        assert_null(console_web_find("/console/../CMakeLists.txt"));
        for (f = console_web_files; f->path; f++)
                assert_true(f->len > 0 && !strncmp(f->path, "/console/", 9));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_stats_count_the_hour_and_the_day_by_state),
            cmocka_unit_test(test_stats_of_other_instances_and_of_none),
            cmocka_unit_test(test_the_page_is_in_the_binary),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
