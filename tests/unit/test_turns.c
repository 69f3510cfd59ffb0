/* Unit tests of cb_turns: turns per key (publish's per-key ordering with limit 1, the delivery
 * engine's admission per destination with limit N). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>

#include "cb_turns.h"

typedef struct {
        int id;
        cb_turn_t turn;
} holder_t;

static int id_of(cb_turn_t *turn)
{
        return turn ? CB_TURN_ENTRY(turn, holder_t, turn)->id : 0;
}

static void test_one_at_a_time_per_key_the_rest_in_arrival_order(void **state)
{
        cb_turns_t *t = cb_turns_new(1);
        holder_t a1 = {.id = 1}, a2 = {.id = 2}, a3 = {.id = 3}, b1 = {.id = 4};

        (void)state;
        assert_int_equal(cb_turns_admit(t, "1\nlead_a", &a1.turn), 1);
        assert_int_equal(cb_turns_admit(t, "1\nlead_b", &b1.turn), 1); /* another key */
        assert_int_equal(cb_turns_admit(t, "1\nlead_a", &a2.turn), 0);
        assert_int_equal(cb_turns_admit(t, "1\nlead_a", &a3.turn), 0);
        assert_int_equal(cb_turns_keys(t), 2);
        assert_null(cb_turns_release(t, &a2.turn)); /* waiting: nothing moves */
        assert_int_equal(cb_turns_waiting(t), 2);
        assert_int_equal(id_of(cb_turns_release(t, &a1.turn)), 2);
        assert_int_equal(id_of(cb_turns_release(t, &a2.turn)), 3);
        assert_null(cb_turns_release(t, &a3.turn));
        assert_null(cb_turns_release(t, &a3.turn)); /* ended already */
        assert_null(cb_turns_release(t, &b1.turn));
        assert_int_equal(cb_turns_keys(t), 0);
        assert_int_equal(cb_turns_going(t), 0);
        /* a key that went away comes back as new */
        assert_int_equal(cb_turns_admit(t, "1\nlead_a", &a1.turn), 1);
        assert_null(cb_turns_release(t, &a1.turn));
        cb_turns_destroy(t);
}

static void test_up_to_the_limit_go_at_once_per_key(void **state)
{
        cb_turns_t *t = cb_turns_new(2);
        holder_t a = {.id = 1}, b = {.id = 2}, c = {.id = 3}, d = {.id = 4}, other = {.id = 5};

        (void)state;
        assert_int_equal(cb_turns_admit(t, "http://a:80", &a.turn), 1);
        assert_int_equal(cb_turns_admit(t, "http://a:80", &b.turn), 1);
        assert_int_equal(cb_turns_admit(t, "http://a:80", &c.turn), 0); /* full */
        assert_int_equal(cb_turns_admit(t, "http://a:80", &d.turn), 0);
        assert_int_equal(cb_turns_admit(t, "http://b:80", &other.turn), 1);
        assert_int_equal(cb_turns_going(t), 3);
        assert_int_equal(cb_turns_waiting(t), 2);
        assert_int_equal(id_of(cb_turns_release(t, &b.turn)), 3); /* the oldest waiting */
        assert_int_equal(id_of(cb_turns_release(t, &a.turn)), 4);
        assert_null(cb_turns_release(t, &other.turn));
        assert_int_equal(cb_turns_going(t), 2);
        assert_null(cb_turns_release(t, &c.turn));
        assert_null(cb_turns_release(t, &d.turn));
        assert_int_equal(cb_turns_keys(t), 0);
        cb_turns_destroy(t);
}

static void test_no_key_goes_at_once_uncounted(void **state)
{
        cb_turns_t *t = cb_turns_new(1);
        holder_t a = {.id = 1}, b = {.id = 2}, never = {.id = 3};

        (void)state;
        assert_int_equal(cb_turns_admit(t, NULL, &a.turn), 1);
        assert_int_equal(cb_turns_admit(t, NULL, &b.turn), 1);
        assert_int_equal(cb_turns_going(t), 0);
        assert_null(cb_turns_release(t, &a.turn));
        never.turn = (cb_turn_t){0};
        assert_null(cb_turns_release(t, &never.turn)); /* never admitted */
        cb_turns_destroy(t);
}

static void test_take_waiting_hands_back_every_waiting_turn_in_order(void **state)
{
        cb_turns_t *t = cb_turns_new(1);
        holder_t a = {.id = 1}, a2 = {.id = 2}, a3 = {.id = 3}, b = {.id = 4}, b2 = {.id = 5};
        cb_turn_t *all, *turn;
        int n = 0, last_a = 0;

        (void)state;
        assert_int_equal(cb_turns_admit(t, "a", &a.turn), 1);
        assert_int_equal(cb_turns_admit(t, "a", &a2.turn), 0);
        assert_int_equal(cb_turns_admit(t, "a", &a3.turn), 0);
        assert_int_equal(cb_turns_admit(t, "b", &b.turn), 1);
        assert_int_equal(cb_turns_admit(t, "b", &b2.turn), 0);
        all = cb_turns_take_waiting(t);
        for (turn = all; turn; turn = turn->next, n++) {
                if (id_of(turn) == 2 || id_of(turn) == 3) {
                        assert_true(id_of(turn) > last_a); /* a2 before a3 */
                        last_a = id_of(turn);
                }
        }
        assert_int_equal(n, 3);
        assert_int_equal(cb_turns_waiting(t), 0);
        assert_null(cb_turns_release(t, &a2.turn)); /* taken: as never admitted */
        /* those going end normally, with nothing behind them */
        assert_null(cb_turns_release(t, &a.turn));
        assert_null(cb_turns_release(t, &b.turn));
        assert_int_equal(cb_turns_keys(t), 0);
        cb_turns_destroy(t);
}

static void test_many_keys_come_and_go(void **state)
{
        static holder_t hs[2000];
        cb_turns_t *t = cb_turns_new(1);
        char key[32];
        int i, round;

        (void)state;
        for (round = 0; round < 50; round++) {
                for (i = 0; i < 2000; i++) {
                        snprintf(key, sizeof(key), "%d\nobj%d", round, i);
                        assert_int_equal(cb_turns_admit(t, key, &hs[i].turn), 1);
                }
                assert_int_equal(cb_turns_keys(t), 2000);
                for (i = 0; i < 2000; i++)
                        assert_null(cb_turns_release(t, &hs[i].turn));
                assert_int_equal(cb_turns_keys(t), 0);
        }
        cb_turns_destroy(t);
}

/* Two threads, each with tables of its own, at once (the consume loop and the delivery engine
 * do this): nothing of one file's tables may be shared between them (under ThreadSanitizer a
 * shared out-of-memory flag of cb_map.h was a reported race). */
static void *churn(void *arg)
{
        static __thread holder_t hs[500];
        cb_turns_t *t = cb_turns_new(2);
        char key[32];
        int i, round, *bad = arg;

        for (round = 0; round < 20 && t; round++) {
                for (i = 0; i < 500; i++) {
                        snprintf(key, sizeof(key), "k%d", i % 50);
                        *bad += cb_turns_admit(t, key, &hs[i].turn) < 0;
                }
                for (i = 0; i < 500; i++)
                        cb_turns_release(t, &hs[i].turn);
                *bad += cb_turns_keys(t) != 0;
        }
        *bad += !t;
        cb_turns_destroy(t);
        return NULL;
}

static void test_tables_of_two_threads_share_nothing(void **state)
{
        pthread_t a, b;
        int bad_a = 0, bad_b = 0;

        (void)state;
        assert_int_equal(pthread_create(&a, NULL, churn, &bad_a), 0);
        assert_int_equal(pthread_create(&b, NULL, churn, &bad_b), 0);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        assert_int_equal(bad_a + bad_b, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_one_at_a_time_per_key_the_rest_in_arrival_order),
            cmocka_unit_test(test_up_to_the_limit_go_at_once_per_key),
            cmocka_unit_test(test_no_key_goes_at_once_uncounted),
            cmocka_unit_test(test_take_waiting_hands_back_every_waiting_turn_in_order),
            cmocka_unit_test(test_many_keys_come_and_go),
            cmocka_unit_test(test_tables_of_two_threads_share_nothing),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
