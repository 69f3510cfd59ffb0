/* Unit tests of publish's retry ladder policy. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "retry.h"

#define NOW 1700000000000LL

static publish_ladder_t ladder(const char *spec)
{
        publish_ladder_t l;
        char err[128];

        assert_int_equal(publish_ladder_parse(spec, &l, err, sizeof(err)), 0);
        return l;
}

static void test_retry_parses_the_default_ladder(void **state)
{
        publish_ladder_t l = ladder("5s,5m,30m,2h,5h,10h,10h");
        char topic[128];

        (void)state;
        assert_int_equal(l.steps, 7);
        assert_int_equal(l.delay_s[0], 5);
        assert_int_equal(l.delay_s[1], 300);
        assert_int_equal(l.delay_s[6], 36000);
        publish_ladder_topic(&l, 0, "closeio.events", topic, sizeof(topic));
        assert_string_equal(topic, "closeio.events.retry.5s");
        publish_ladder_topic(&l, 2, "closeio.events", topic, sizeof(topic));
        assert_string_equal(topic, "closeio.events.retry.30m");
        publish_ladder_topic(&l, 6, "closeio.events", topic, sizeof(topic));
        assert_string_equal(topic, "closeio.events.retry.10h");
        l = ladder("90s, 1d");
        publish_ladder_topic(&l, 0, "e", topic, sizeof(topic));
        assert_string_equal(topic, "e.retry.90s");
        publish_ladder_topic(&l, 1, "e", topic, sizeof(topic));
        assert_string_equal(topic, "e.retry.1d");
}

static void test_retry_rejects_bad_ladders(void **state)
{
        static const char *const bad[] = {"5", "5x", "0s", "-5s", "5s,abc", "5ss"};
        publish_ladder_t l;
        char err[128];
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(publish_ladder_parse(bad[i], &l, err, sizeof(err)), -1);
}

static void test_retry_success_is_final(void **state)
{
        publish_ladder_t l = ladder("5s,5m");

        (void)state;
        assert_int_equal(publish_retry_decide(&l, 1, 200, 0, -1, 3600, NOW).outcome,
                         PUBLISH_DELIVERED);
        assert_int_equal(publish_retry_decide(&l, 3, 204, 0, -1, 3600, NOW).outcome,
                         PUBLISH_DELIVERED);
}

static void test_retry_failures_climb_the_ladder_then_dead_letter(void **state)
{
        publish_ladder_t l = ladder("5s,5m");
        publish_decision_t d;

        (void)state;
        d = publish_retry_decide(&l, 1, 500, 0, -1, 3600, NOW);
        assert_int_equal(d.outcome, PUBLISH_RETRY);
        assert_int_equal(d.step, 0);
        assert_int_equal(d.due_ms, NOW + 5000);
        d = publish_retry_decide(&l, 2, -1, 0, -1, 3600, NOW);
        assert_int_equal(d.outcome, PUBLISH_RETRY);
        assert_int_equal(d.step, 1);
        assert_int_equal(d.due_ms, NOW + 300000);
        d = publish_retry_decide(&l, 3, 503, 0, -1, 3600, NOW);
        assert_int_equal(d.outcome, PUBLISH_DEAD);
        assert_non_null(strstr(d.reason, "exhausted"));
}

static void test_retry_gone_and_refused_end_at_once(void **state)
{
        publish_ladder_t l = ladder("5s,5m");
        publish_decision_t d;

        (void)state;
        d = publish_retry_decide(&l, 1, 410, 0, -1, 3600, NOW);
        assert_int_equal(d.outcome, PUBLISH_DEAD);
        assert_non_null(strstr(d.reason, "410"));
        d = publish_retry_decide(&l, 1, -1, 1, -1, 3600, NOW);
        assert_int_equal(d.outcome, PUBLISH_DEAD);
        assert_non_null(strstr(d.reason, "not allowed"));
}

static void test_retry_after_moves_the_next_attempt_later_within_bounds(void **state)
{
        publish_ladder_t l = ladder("5s,5m");

        (void)state;
        assert_int_equal(publish_retry_decide(&l, 1, 429, 0, 60, 3600, NOW).due_ms, NOW + 60000);
        /* never earlier than the step */
        assert_int_equal(publish_retry_decide(&l, 1, 429, 0, 1, 3600, NOW).due_ms, NOW + 5000);
        /* never later than the bound */
        assert_int_equal(publish_retry_decide(&l, 1, 503, 0, 999999, 600, NOW).due_ms,
                         NOW + 600000);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_retry_parses_the_default_ladder),
            cmocka_unit_test(test_retry_rejects_bad_ladders),
            cmocka_unit_test(test_retry_success_is_final),
            cmocka_unit_test(test_retry_failures_climb_the_ladder_then_dead_letter),
            cmocka_unit_test(test_retry_gone_and_refused_end_at_once),
            cmocka_unit_test(test_retry_after_moves_the_next_attempt_later_within_bounds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
