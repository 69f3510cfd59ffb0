/* Unit tests of cb_time: Close's dates normalised to RFC 3339 UTC. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cb_time.h"

static void test_time_reads_object_dates_with_offset(void **state)
{
        char out[40];
        int64_t us;

        (void)state;
        assert_int_equal(cb_time_parse("2017-05-18T21:55:26.451000+00:00", &us), 0);
        assert_int_equal(cb_time_format_ms(us, out, sizeof(out)), 0);
        assert_string_equal(out, "2017-05-18T21:55:26.451Z");
        assert_int_equal(cb_time_parse("2017-05-18T23:55:26.451000+02:00", &us), 0);
        assert_int_equal(cb_time_format_ms(us, out, sizeof(out)), 0);
        assert_string_equal(out, "2017-05-18T21:55:26.451Z");
}

static void test_time_takes_event_dates_without_zone_as_utc(void **state)
{
        char out[40];
        int64_t us;

        (void)state;
        assert_int_equal(cb_time_parse("2019-01-15T12:48:23.395000", &us), 0);
        assert_int_equal(cb_time_format_ms(us, out, sizeof(out)), 0);
        assert_string_equal(out, "2019-01-15T12:48:23.395Z");
        assert_int_equal(cb_time_format_compact(us, out, sizeof(out)), 0);
        assert_string_equal(out, "20190115124823395000");
}

static void test_time_keeps_microseconds_for_ids(void **state)
{
        char out[40];
        int64_t us;

        (void)state;
        assert_int_equal(cb_time_parse("2019-01-15T12:48:23.395123Z", &us), 0);
        assert_int_equal(cb_time_format_compact(us, out, sizeof(out)), 0);
        assert_string_equal(out, "20190115124823395123");
        assert_int_equal(cb_time_parse("2019-01-15T12:48:23Z", &us), 0);
        assert_int_equal(cb_time_format_ms(us, out, sizeof(out)), 0);
        assert_string_equal(out, "2019-01-15T12:48:23.000Z");
}

static void test_time_knows_leap_years_and_the_ends_of_time(void **state)
{
        char out[40];
        int64_t us;

        (void)state;
        assert_int_equal(cb_time_parse("2020-02-29T00:00:00Z", &us), 0);
        assert_int_equal(cb_time_parse("2000-02-29T00:00:00Z", &us), 0);
        assert_int_equal(cb_time_parse("1900-02-29T00:00:00Z", &us), -1);
        assert_int_equal(cb_time_parse("9999-12-31T23:59:59.999999Z", &us), 0);
        assert_int_equal(cb_time_format_ms(us, out, 25), 0);
        assert_string_equal(out, "9999-12-31T23:59:59.999Z");
        assert_int_equal(cb_time_parse("0000-01-01T00:00:00Z", &us), 0);
        assert_int_equal(cb_time_format_compact(us, out, 21), 0);
        assert_string_equal(out, "00000101000000000000");
        assert_int_equal(cb_time_format_compact(us, out, 20), -1);
        assert_int_equal(cb_time_format_ms(us, out, 24), -1);
        assert_int_equal(cb_time_parse("2019-01-15T12:48:23.395001", &us), 0);
        assert_int_equal(cb_time_format_us(us, out, 28), 0);
        assert_string_equal(out, "2019-01-15T12:48:23.395001Z");
        assert_int_equal(cb_time_format_close(us, out, 27), 0);
        assert_string_equal(out, "2019-01-15T12:48:23.395001");
        assert_int_equal(cb_time_format_close(us, out, 26), -1);
        /* before 1970 the fraction still counts forward from the second */
        assert_int_equal(cb_time_parse("1969-12-31T23:59:59.250000Z", &us), 0);
        assert_int_equal(cb_time_format_us(us, out, 28), 0);
        assert_string_equal(out, "1969-12-31T23:59:59.250000Z");
}

static void test_time_rejects_what_is_not_a_date(void **state)
{
        static const char *const bad[] = {"",
                                          "yesterday",
                                          "2019-01-15",
                                          "2019-13-15T12:48:23",
                                          "2019-01-15T25:48:23",
                                          "2019-01-15T12:48:23.",
                                          "2019-01-15T12:48:23+0000",
                                          "2019-01-15T12:48:23.395000 trailing",
                                          "2019-02-29T00:00:00Z", /* not a leap year */
                                          "2019-02-31T00:00:00Z",
                                          "1969-06-31T00:00:00Z",
                                          "9999-12-31T23:59:59-01:00", /* year 10000 in UTC */
                                          "0000-01-01T00:00:00+00:01"};
        int64_t us;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(cb_time_parse(bad[i], &us), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_time_reads_object_dates_with_offset),
            cmocka_unit_test(test_time_takes_event_dates_without_zone_as_utc),
            cmocka_unit_test(test_time_keeps_microseconds_for_ids),
            cmocka_unit_test(test_time_knows_leap_years_and_the_ends_of_time),
            cmocka_unit_test(test_time_rejects_what_is_not_a_date),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
