/* The events API's page cursor (console/filter.h): its text, round trips, what parse refuses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "filter.h"
#include "record.h"

/* A fresh filter with name=value set, expecting it to be taken and the filter to check. */
static void test_cursor_round_trips(void **state)
{
        static const int64_t cases[][2] = {
            {0, 1}, {1495144526451LL, 812}, {INT64_MAX, INT64_MAX}, {253402300799999LL, 1}};
        char cursor[CONSOLE_CURSOR_MAX];
        int64_t t, r;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                assert_int_equal(
                    console_cursor_format(cases[i][0], cases[i][1], cursor, sizeof(cursor)), 0);
                assert_int_equal(console_cursor_parse(cursor, &t, &r), 0);
                assert_true(t == cases[i][0]);
                assert_true(r == cases[i][1]);
        }
}

static void test_cursor_text_is_url_safe(void **state)
{
        char cursor[CONSOLE_CURSOR_MAX];
        size_t i;

        (void)state;
        assert_int_equal(console_cursor_format(INT64_MAX, INT64_MAX, cursor, sizeof(cursor)), 0);
        assert_true(strlen(cursor) > 0);
        for (i = 0; cursor[i]; i++)
                assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz"
                                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~",
                                       cursor[i]));
}

static void test_cursor_format_refuses_a_buffer_too_small(void **state)
{
        char cursor[8] = "junk";

        (void)state;
        assert_int_equal(console_cursor_format(1495144526451LL, 812, cursor, sizeof(cursor)), -1);
        assert_string_equal(cursor, "");
        assert_int_equal(console_cursor_format(1, 1, cursor, 0), -1);
}

static void test_cursor_format_refuses_what_parse_would_not_take(void **state)
{
        char cursor[CONSOLE_CURSOR_MAX];

        (void)state;
        assert_int_equal(console_cursor_format(INT64_MIN, 5, cursor, sizeof(cursor)), -1);
        assert_int_equal(console_cursor_format(5, 0, cursor, sizeof(cursor)), -1);
        assert_int_equal(console_cursor_format(5, -3, cursor, sizeof(cursor)), -1);
}

static void test_cursor_of_an_event_before_1970_round_trips(void **state)
{
        char cursor[CONSOLE_CURSOR_MAX];
        int64_t t = 0, r = 0;

        (void)state;
        assert_int_equal(console_cursor_format(-1, 7, cursor, sizeof(cursor)), 0);
        assert_string_equal(cursor, "c1.-1.7");
        assert_int_equal(console_cursor_parse(cursor, &t, &r), 0);
        assert_true(t == -1 && r == 7);
        assert_int_equal(console_cursor_format(INT64_MIN + 1, 1, cursor, sizeof(cursor)), 0);
        assert_int_equal(console_cursor_parse(cursor, &t, &r), 0);
        assert_true(t == INT64_MIN + 1 && r == 1);
}

static void test_cursor_parse_rejects_what_format_never_writes(void **state)
{
        static const char *const bad[] = {
            "",
            "c1.",
            "c1..5",
            "c1.5.",
            "c1.5",
            "c2.5.5",
            "C1.5.5",
            "c1.05.5",
            "c1.5.05",
            "c1.00.5",
            "c1.5.0",
            "c1.-0.5",
            "c1.--5.5",
            "c1.-05.5",
            "c1.5.-5",
            "c1.+5.5",
            "c1. 5.5",
            "c1.5.5 ",
            "c1.5.5.",
            "c1.5.5x",
            "c1.5x.5",
            "c1.9223372036854775808.1",
            "c1.1.9223372036854775808",
            "c1.99999999999999999999.1",
            "xc1.5.5",
        };
        int64_t t = 11, r = 22;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (console_cursor_parse(bad[i], &t, &r) != -1)
                        fail_msg("cursor \"%s\" taken", bad[i]);
                assert_true(t == 11 && r == 22); /* left as they were */
        }
        assert_int_equal(console_cursor_parse(NULL, &t, &r), -1);
}

static void test_cursor_parse_takes_the_int64_limits(void **state)
{
        int64_t t, r;

        (void)state;
        assert_int_equal(console_cursor_parse("c1.9223372036854775807.9223372036854775807", &t, &r),
                         0);
        assert_true(t == INT64_MAX && r == INT64_MAX);
        assert_int_equal(console_cursor_parse("c1.0.1", &t, &r), 0);
        assert_true(t == 0 && r == 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_cursor_round_trips),
            cmocka_unit_test(test_cursor_text_is_url_safe),
            cmocka_unit_test(test_cursor_format_refuses_a_buffer_too_small),
            cmocka_unit_test(test_cursor_format_refuses_what_parse_would_not_take),
            cmocka_unit_test(test_cursor_of_an_event_before_1970_round_trips),
            cmocka_unit_test(test_cursor_parse_rejects_what_format_never_writes),
            cmocka_unit_test(test_cursor_parse_takes_the_int64_limits),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
