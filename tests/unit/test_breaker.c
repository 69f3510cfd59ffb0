/* Unit tests of publish's circuit breakers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "breaker.h"

static void test_breaker_opens_after_threshold_failures_in_a_row(void **state)
{
        publish_breakers_t *b = publish_breakers_new(3, 1000);

        (void)state;
        publish_breaker_result(b, "d", 0, 0);
        publish_breaker_result(b, "d", 0, 0);
        publish_breaker_result(b, "d", 1, 0); /* a success resets the count */
        publish_breaker_result(b, "d", 0, 0);
        publish_breaker_result(b, "d", 0, 0);
        assert_true(publish_breaker_allow(b, "d", 10));
        publish_breaker_result(b, "d", 0, 10);
        assert_int_equal(publish_breakers_open(b), 1);
        assert_false(publish_breaker_allow(b, "d", 20));
        assert_true(publish_breaker_allow(b, "other", 20));
        publish_breakers_destroy(b);
}

static void test_breaker_lets_one_probe_through_after_cooldown(void **state)
{
        publish_breakers_t *b = publish_breakers_new(1, 1000);

        (void)state;
        publish_breaker_result(b, "d", 0, 0);
        assert_false(publish_breaker_allow(b, "d", 999));
        assert_true(publish_breaker_allow(b, "d", 1000));  /* the probe */
        assert_false(publish_breaker_allow(b, "d", 1001)); /* only one */
        publish_breaker_result(b, "d", 0, 1100);           /* probe failed: open again */
        assert_false(publish_breaker_allow(b, "d", 1500));
        assert_true(publish_breaker_allow(b, "d", 2100));
        publish_breaker_result(b, "d", 1, 2200); /* probe succeeded: closed */
        assert_int_equal(publish_breakers_open(b), 0);
        assert_true(publish_breaker_allow(b, "d", 2201));
        assert_true(publish_breaker_allow(b, "d", 2202));
        publish_breakers_destroy(b);
}

static void test_breaker_destination_drops_path_and_credentials(void **state)
{
        char d[128];

        (void)state;
        assert_int_equal(publish_breaker_dest("https://u:p@Example.com/a?b", d, sizeof(d)), 0);
        assert_string_equal(d, "https://Example.com:443");
        assert_int_equal(publish_breaker_dest("http://127.0.0.1:8080/cb", d, sizeof(d)), 0);
        assert_string_equal(d, "http://127.0.0.1:8080");
        assert_int_equal(publish_breaker_dest("http://[::1]/cb", d, sizeof(d)), 0);
        assert_string_equal(d, "http://[::1]:80");
        assert_int_equal(publish_breaker_dest("no-scheme", d, sizeof(d)), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_breaker_opens_after_threshold_failures_in_a_row),
            cmocka_unit_test(test_breaker_lets_one_probe_through_after_cooldown),
            cmocka_unit_test(test_breaker_destination_drops_path_and_credentials),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
