/* Unit tests of the poller's table of stored poll states (ingest/poll_stored.c): what a read of
 * the compacted state topic leaves, record by record. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "poller_impl.h"

static const char *get(ingest_stored_t *stored, const char *id)
{
        ingest_stored_t *e;

        HASH_FIND_STR(stored, id, e);
        return e ? e->json : NULL;
}

static void test_the_last_record_of_an_id_wins_and_a_tombstone_removes_it(void **state)
{
        ingest_stored_t *stored = NULL;
        const char first[] = "{\"v\":1}xx", second[] = "{\"v\":2}";

        (void)state;
        ingest_poll_stored_put(&stored, "7", first, 7); /* n bytes only: not NUL-terminated */
        ingest_poll_stored_put(&stored, "8", second, strlen(second));
        assert_string_equal(get(stored, "7"), "{\"v\":1}");
        ingest_poll_stored_put(&stored, "7", second, strlen(second));
        assert_string_equal(get(stored, "7"), "{\"v\":2}");
        assert_int_equal(HASH_COUNT(stored), 2);
        ingest_poll_stored_put(&stored, "8", NULL, 0);
        assert_null(get(stored, "8"));
        assert_int_equal(HASH_COUNT(stored), 1);
        ingest_poll_stored_put(&stored, "9", NULL, 0); /* a tombstone of nothing */
        assert_int_equal(HASH_COUNT(stored), 1);
        ingest_poll_stored_clear(&stored);
        assert_null(stored);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_the_last_record_of_an_id_wins_and_a_tombstone_removes_it),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
