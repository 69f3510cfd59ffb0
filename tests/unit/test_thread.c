/* Unit tests of cb_thread: a thread that runs until its owner stops it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cb_thread.h"

typedef struct {
        cb_thread_t thread;
        long turns;   /* the thread's own until it returns */
        int returned; /* set by the thread as it returns; read after the join */
} world_t;

static void *loop(void *arg)
{
        world_t *w = arg;

        while (cb_thread_running(&w->thread))
                w->turns++;
        w->returned = 1;
        return NULL;
}

static void test_runs_until_stopped_and_stop_waits_for_it(void **state)
{
        world_t w = {0};

        (void)state;
        assert_int_equal(cb_thread_start(&w.thread, loop, &w), 0);
        assert_true(cb_thread_running(&w.thread));
        cb_thread_stop(&w.thread);
        /* joined: what the thread wrote is visible, and it saw the flag drop */
        assert_int_equal(w.returned, 1);
        assert_false(cb_thread_running(&w.thread));
        cb_thread_stop(&w.thread); /* a second stop does nothing */
}

static void test_stop_of_a_thread_never_started_does_nothing(void **state)
{
        cb_thread_t t = {0};

        (void)state;
        cb_thread_stop(&t);
        assert_false(cb_thread_running(&t));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_runs_until_stopped_and_stop_waits_for_it),
            cmocka_unit_test(test_stop_of_a_thread_never_started_does_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
