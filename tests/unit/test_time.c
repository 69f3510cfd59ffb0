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

static void test_time_rejects_what_is_not_a_date(void **state)
{
        static const char *const bad[] = {"",
                                          "yesterday",
                                          "2019-01-15",
                                          "2019-13-15T12:48:23",
                                          "2019-01-15T25:48:23",
                                          "2019-01-15T12:48:23.",
                                          "2019-01-15T12:48:23+0000",
                                          "2019-01-15T12:48:23.395000 trailing"};
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
            cmocka_unit_test(test_time_rejects_what_is_not_a_date),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
