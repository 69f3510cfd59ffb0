/* Unit tests of publish's commit bookkeeping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
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

/* The position of the only partition of o, its metadata in meta. */
static int64_t position(publish_offsets_t *o, int changed_only, char *meta)
{
        const char *topic;
        int32_t partition;
        int64_t offset = -2;

        if (!publish_offsets_position(o, 0, changed_only, &topic, &partition, &offset, meta,
                                      PUBLISH_OFFSETS_META_MAX))
                return -1;
        assert_string_equal(topic, "t");
        assert_int_equal(partition, 3);
        return offset;
}

static void test_offsets_position_says_what_is_final_beyond_it(void **state)
{
        publish_offsets_t *o = publish_offsets_new();
        char meta[PUBLISH_OFFSETS_META_MAX];
        int64_t i;

        (void)state;
        assert_int_equal(publish_offsets_count(o), 0);
        for (i = 100; i < 110; i++)
                if (i != 107) /* 107: a transaction marker, never seen */
                        assert_int_equal(publish_offsets_track(o, "t", 3, i), 0);
        assert_int_equal(publish_offsets_count(o), 1);
        /* nothing final yet: the position is where the partition was taken up */
        assert_int_equal(position(o, 0, meta), 100);
        assert_string_equal(meta, "");
        publish_offsets_done(o, "t", 3, 101);
        publish_offsets_done(o, "t", 3, 102);
        publish_offsets_done(o, "t", 3, 104);
        publish_offsets_done(o, "t", 3, 106);
        publish_offsets_done(o, "t", 3, 108);
        assert_int_equal(position(o, 1, meta), 100);
        /* a range ends at an offset not seen (107) as at one not final (103, 105) */
        assert_string_equal(meta, "cb1,1-2,4,6,8");
        assert_int_equal(position(o, 1, meta), -1); /* unchanged since */
        publish_offsets_done(o, "t", 3, 100);
        assert_int_equal(position(o, 1, meta), 103);
        assert_string_equal(meta, "cb1,1,3,5");
        publish_offsets_destroy(o);
}

static void test_offsets_restored_metadata_marks_messages_final(void **state)
{
        publish_offsets_t *o = publish_offsets_new();
        char meta[PUBLISH_OFFSETS_META_MAX];

        (void)state;
        assert_int_equal(publish_offsets_restore(o, "t", 3, 50, "cb1,1-2,4", 9), 0);
        assert_int_equal(position(o, 0, meta), 50);
        assert_string_equal(meta, "cb1,1-2,4"); /* a commit before any message keeps it */
        assert_int_equal(publish_offsets_track(o, "t", 3, 50), 0);
        assert_int_equal(publish_offsets_track(o, "t", 3, 51), 1);
        assert_int_equal(publish_offsets_track(o, "t", 3, 52), 1);
        assert_int_equal(publish_offsets_track(o, "t", 3, 53), 0);
        assert_int_equal(publish_offsets_pending(o), 2);
        assert_int_equal(position(o, 0, meta), 50);
        assert_string_equal(meta, "cb1,1-2,4"); /* 54: not taken yet, still final */
        assert_int_equal(publish_offsets_done(o, "t", 3, 50), 53);
        assert_int_equal(publish_offsets_track(o, "t", 3, 54), 1);
        assert_int_equal(publish_offsets_track(o, "t", 3, 55), 0);
        assert_int_equal(publish_offsets_done(o, "t", 3, 53), 55);
        assert_int_equal(position(o, 0, meta), 55);
        assert_string_equal(meta, "");
        publish_offsets_destroy(o);
}

static void test_offsets_foreign_or_broken_metadata_is_ignored(void **state)
{
        static const char *const bad[] = {"",       "x",       "cb2,1",   "cb1,",
                                          "cb1,-1", "cb1,5-2", "cb1,3,2", "cb1,0-99999999999"};
        char meta[PUBLISH_OFFSETS_META_MAX];
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                publish_offsets_t *o = publish_offsets_new();
                assert_int_equal(publish_offsets_restore(o, "t", 3, 10, bad[i], strlen(bad[i])), 0);
                assert_int_equal(publish_offsets_track(o, "t", 3, 10), 0);
                assert_int_equal(publish_offsets_track(o, "t", 3, 11), 0);
                assert_int_equal(position(o, 0, meta), 10);
                publish_offsets_destroy(o);
        }
        /* what parsed before the broken part holds */
        publish_offsets_t *o = publish_offsets_new();
        publish_offsets_restore(o, "t", 3, 10, "cb1,1,zz", 8);
        assert_int_equal(publish_offsets_track(o, "t", 3, 11), 1);
        publish_offsets_destroy(o);
}

static void test_offsets_metadata_stays_under_its_limit(void **state)
{
        publish_offsets_t *o = publish_offsets_new();
        char meta[PUBLISH_OFFSETS_META_MAX];
        int64_t i;

        (void)state;
        for (i = 0; i < 5000; i++)
                publish_offsets_track(o, "t", 3, i);
        for (i = 1; i < 5000; i += 2) /* every other one final: 2,500 ranges */
                publish_offsets_done(o, "t", 3, i);
        assert_int_equal(position(o, 0, meta), 0);
        assert_true(strlen(meta) < PUBLISH_OFFSETS_META_MAX);
        assert_true(strlen(meta) > PUBLISH_OFFSETS_META_MAX - 16);
        assert_memory_equal(meta, "cb1,1,3,5,", 10);
        /* what it holds is a prefix: restored, it marks the first of them final */
        publish_offsets_t *r = publish_offsets_new();
        publish_offsets_restore(r, "t", 3, 0, meta, strlen(meta));
        assert_int_equal(publish_offsets_track(r, "t", 3, 0), 0);
        assert_int_equal(publish_offsets_track(r, "t", 3, 1), 1);
        assert_int_equal(publish_offsets_track(r, "t", 3, 2), 0);
        publish_offsets_destroy(r);
        publish_offsets_destroy(o);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_offsets_commit_only_past_a_final_prefix),
            cmocka_unit_test(test_offsets_keep_partitions_apart),
            cmocka_unit_test(test_offsets_ignore_unknown_repeated_and_forgotten),
            cmocka_unit_test(test_offsets_grow_past_the_first_ring),
            cmocka_unit_test(test_offsets_position_says_what_is_final_beyond_it),
            cmocka_unit_test(test_offsets_restored_metadata_marks_messages_final),
            cmocka_unit_test(test_offsets_foreign_or_broken_metadata_is_ignored),
            cmocka_unit_test(test_offsets_metadata_stays_under_its_limit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
