/* Unit tests of publish's parked retry-topic items. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "parked.h"

static publish_item_t *item(int64_t due_ms)
{
        publish_item_t *it = calloc(1, sizeof(*it));

        assert_non_null(it);
        it->due_ms = due_ms;
        return it;
}

static void test_parked_pause_once_release_when_due_resume_when_empty(void **state)
{
        publish_parked_t *p = publish_parked_new();
        publish_item_t *a = item(100), *b = item(150), *c = item(120), *got;
        const char *topic;
        int32_t partition;
        int empty;

        (void)state;
        assert_int_equal(publish_parked_hold(p, "t.retry.5s", 0, a), 1); /* pause it */
        assert_int_equal(publish_parked_hold(p, "t.retry.5s", 0, b), 0);
        assert_int_equal(publish_parked_hold(p, "t.retry.5s", 1, c), 1); /* another partition */
        assert_int_equal(publish_parked_wait(p, 0, 1000), 100);
        assert_int_equal(publish_parked_wait(p, 0, 50), 50);
        assert_null(publish_parked_take_due(p, 99, &topic, &partition, &empty));

        got = publish_parked_take_due(p, 130, &topic, &partition, &empty);
        assert_ptr_equal(got, a);
        assert_string_equal(topic, "t.retry.5s");
        assert_int_equal(partition, 0);
        assert_false(empty); /* b is still held there */
        publish_item_free(got);
        got = publish_parked_take_due(p, 130, &topic, &partition, &empty);
        assert_ptr_equal(got, c);
        assert_int_equal(partition, 1);
        assert_true(empty); /* resume partition 1 */
        publish_item_free(got);
        assert_null(publish_parked_take_due(p, 130, &topic, &partition, &empty));
        assert_int_equal(publish_parked_wait(p, 130, 1000), 20);
        assert_int_equal(publish_parked_wait(p, 200, 1000), 0); /* overdue */

        /* held again after being emptied: paused again */
        got = item(300);
        assert_int_equal(publish_parked_hold(p, "t.retry.5s", 1, got), 1);
        publish_parked_destroy(p); /* frees b and got */
}

static int resumed;

static void resume(void *opaque, const char *topic, int32_t partition)
{
        (void)opaque;
        assert_string_equal(topic, "r");
        resumed += 1 + partition * 10;
}

static void test_parked_clear_frees_all_and_resumes_only_what_holds_something(void **state)
{
        publish_parked_t *p = publish_parked_new();
        publish_item_t *got;
        const char *topic;
        int32_t partition;
        int empty;

        (void)state;
        publish_parked_hold(p, "r", 0, item(10));
        publish_parked_hold(p, "r", 2, item(10));
        publish_parked_hold(p, "r", 3, item(5));
        got = publish_parked_take_due(p, 5, &topic, &partition, &empty);
        assert_int_equal(partition, 3);
        publish_item_free(got);
        resumed = 0;
        publish_parked_clear(p, resume, NULL);
        assert_int_equal(resumed, 1 + 21); /* partitions 0 and 2, not the emptied 3 */
        assert_int_equal(publish_parked_wait(p, 0, 1000), 1000);
        publish_parked_destroy(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parked_pause_once_release_when_due_resume_when_empty),
            cmocka_unit_test(test_parked_clear_frees_all_and_resumes_only_what_holds_something),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
