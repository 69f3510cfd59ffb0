/* Unit tests of the Retry-After reader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cb_retry_after.h"

static void test_retry_after_reads_seconds_and_http_dates(void **state)
{
        (void)state;
        assert_int_equal(cb_retry_after_ms("120", 0), 120000);
        assert_int_equal(cb_retry_after_ms(" 7 ", 0), 7000);
        assert_int_equal(cb_retry_after_ms("0", 0), 0);
        assert_int_equal(cb_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 30),
                         30000);
        assert_int_equal(cb_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 + 30), 0);
}

static void test_retry_after_takes_a_decimal_as_it_is_rounded_up(void **state)
{
        (void)state;
        /* Close's rate-limit answers: what the two readers disagreed on */
        assert_int_equal(cb_retry_after_ms("1.5", 0), 1500);
        assert_int_equal(cb_retry_after_ms("0.0001", 0), 1);
        assert_int_equal(cb_retry_after_ms("99999999999", 0), 86400000); /* at most a day */
}

static void test_retry_after_refuses_what_is_neither(void **state)
{
        (void)state;
        assert_int_equal(cb_retry_after_ms("soon", 0), -1);
        assert_int_equal(cb_retry_after_ms("-3", 0), -1);
        assert_int_equal(cb_retry_after_ms("5 s", 0), -1);
        assert_int_equal(cb_retry_after_ms("", 0), -1);
        assert_int_equal(cb_retry_after_ms("  ", 0), -1);
        assert_int_equal(cb_retry_after_ms(NULL, 0), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_retry_after_reads_seconds_and_http_dates),
            cmocka_unit_test(test_retry_after_takes_a_decimal_as_it_is_rounded_up),
            cmocka_unit_test(test_retry_after_refuses_what_is_neither),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
