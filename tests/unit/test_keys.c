/* Unit tests of publish's per-key ordering. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "keys.h"

static publish_item_t *item(const char *key)
{
        publish_item_t *it = calloc(1, sizeof(*it));

        assert_non_null(it);
        it->key = strdup(key);
        return it;
}

static void test_keys_one_in_flight_per_key_the_rest_in_arrival_order(void **state)
{
        publish_keys_t *k = publish_keys_new();
        publish_item_t *a1 = item("1\nlead_a"), *a2 = item("1\nlead_a"), *a3 = item("1\nlead_a");
        publish_item_t *b1 = item("1\nlead_b"), *c1 = item("2\nlead_a");

        (void)state;
        assert_int_equal(publish_keys_add(k, a1), 1);
        assert_int_equal(publish_keys_add(k, b1), 1); /* another subject */
        assert_int_equal(publish_keys_add(k, c1), 1); /* another instance */
        assert_int_equal(publish_keys_add(k, a2), 0);
        assert_int_equal(publish_keys_add(k, a3), 0);
        assert_int_equal(publish_keys_count(k), 3);
        assert_null(publish_keys_release(k, a2)); /* not first: nothing moves */
        assert_ptr_equal(publish_keys_release(k, a1), a2);
        assert_ptr_equal(publish_keys_release(k, a2), a3);
        assert_null(publish_keys_release(k, a3));
        assert_null(publish_keys_release(k, b1));
        assert_int_equal(publish_keys_count(k), 1);
        assert_null(publish_keys_release(k, c1));
        assert_int_equal(publish_keys_count(k), 0);
        /* a key that went away comes back as new */
        assert_int_equal(publish_keys_add(k, a1), 1);
        assert_null(publish_keys_release(k, a1));
        publish_keys_destroy(k);
        publish_item_free(a1);
        publish_item_free(a2);
        publish_item_free(a3);
        publish_item_free(b1);
        publish_item_free(c1);
}

static void test_keys_many_keys_come_and_go_and_lookups_stay_exact(void **state)
{
        publish_keys_t *k = publish_keys_new();
        publish_item_t *its[2000];
        char key[32];
        int i, round;

        (void)state;
        /* the table json-c's lh_table was replaced for grew with every delete */
        for (round = 0; round < 50; round++) {
                for (i = 0; i < 2000; i++) {
                        snprintf(key, sizeof(key), "%d\nobj%d", round, i);
                        its[i] = item(key);
                        assert_int_equal(publish_keys_add(k, its[i]), 1);
                }
                assert_int_equal(publish_keys_count(k), 2000);
                for (i = 0; i < 2000; i++) {
                        assert_null(publish_keys_release(k, its[i]));
                        publish_item_free(its[i]);
                }
                assert_int_equal(publish_keys_count(k), 0);
        }
        publish_keys_destroy(k);
}

static void test_keys_an_unknown_or_keyless_item_releases_nothing(void **state)
{
        publish_keys_t *k = publish_keys_new();
        publish_item_t *a = item("x"), none = {0};

        (void)state;
        assert_null(publish_keys_release(k, a));
        assert_null(publish_keys_release(k, &none));
        publish_keys_destroy(k);
        publish_item_free(a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_keys_one_in_flight_per_key_the_rest_in_arrival_order),
            cmocka_unit_test(test_keys_many_keys_come_and_go_and_lookups_stay_exact),
            cmocka_unit_test(test_keys_an_unknown_or_keyless_item_releases_nothing),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
