/* Unit tests of publish's commit bookkeeping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "offsets.h"

static void test_offsets_commit_only_past_a_final_prefix(void **state)
{
        publish_offsets_t *o = publish_offsets_new();
        int64_t i;

        (void)state;
        for (i = 10; i < 15; i++)
                assert_int_equal(publish_offsets_track(o, "t", 0, i), 0);
        assert_int_equal(publish_offsets_pending(o), 5);
        /* finishing out of order: nothing moves until 10 is final */
        assert_int_equal(publish_offsets_done(o, "t", 0, 12), -1);
        assert_int_equal(publish_offsets_done(o, "t", 0, 11), -1);
        assert_int_equal(publish_offsets_done(o, "t", 0, 10), 13);
        assert_int_equal(publish_offsets_done(o, "t", 0, 14), -1);
        assert_int_equal(publish_offsets_done(o, "t", 0, 13), 15);
        assert_int_equal(publish_offsets_pending(o), 0);
        publish_offsets_destroy(o);
}

static void test_offsets_keep_partitions_apart(void **state)
{
        publish_offsets_t *o = publish_offsets_new();

        (void)state;
        publish_offsets_track(o, "t", 0, 5);
        publish_offsets_track(o, "t", 1, 5);
        publish_offsets_track(o, "u", 0, 5);
        assert_int_equal(publish_offsets_done(o, "t", 1, 5), 6);
        assert_int_equal(publish_offsets_done(o, "u", 0, 5), 6);
        assert_int_equal(publish_offsets_pending(o), 1);
        assert_int_equal(publish_offsets_done(o, "t", 0, 5), 6);
        publish_offsets_destroy(o);
}

static void test_offsets_ignore_unknown_repeated_and_forgotten(void **state)
{
        publish_offsets_t *o = publish_offsets_new();

        (void)state;
        publish_offsets_track(o, "t", 0, 1);
        publish_offsets_track(o, "t", 0, 2);
        assert_int_equal(publish_offsets_done(o, "t", 0, 7), -1);
        assert_int_equal(publish_offsets_done(o, "x", 0, 1), -1);
        assert_int_equal(publish_offsets_done(o, "t", 0, 2), -1);
        assert_int_equal(publish_offsets_done(o, "t", 0, 2), -1);
        publish_offsets_forget(o, "t", 0);
        assert_int_equal(publish_offsets_pending(o), 0);
        assert_int_equal(publish_offsets_done(o, "t", 0, 1), -1);
        publish_offsets_destroy(o);
}

static void test_offsets_grow_past_the_first_ring(void **state)
{
        publish_offsets_t *o = publish_offsets_new();
        int64_t i;

        (void)state;
        for (i = 0; i < 1000; i++)
                publish_offsets_track(o, "t", 0, i);
        for (i = 999; i > 0; i--)
                assert_int_equal(publish_offsets_done(o, "t", 0, i), -1);
        assert_int_equal(publish_offsets_done(o, "t", 0, 0), 1000);
        publish_offsets_destroy(o);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_offsets_commit_only_past_a_final_prefix),
            cmocka_unit_test(test_offsets_keep_partitions_apart),
            cmocka_unit_test(test_offsets_ignore_unknown_repeated_and_forgotten),
            cmocka_unit_test(test_offsets_grow_past_the_first_ring),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
