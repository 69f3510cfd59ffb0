/* Unit tests of the consume loop's sleep (loop.h): it wakes for exactly what is due. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "group.h"
#include "loop.h"
#include "state.h"

typedef struct {
        publish_t pub;
        publish_state_t st;
} world_t;

static void init(world_t *w)
{
        memset(w, 0, sizeof(*w));
        w->pub.state = &w->st;
        w->pub.conf.commit_interval_ms = 20;
}

static void test_idle_it_sleeps_up_to_the_longest_sleep(void **state)
{
        world_t w;

        (void)state;
        init(&w);
        /* nothing to commit, nothing held: what comes wakes it; the poll is still kept alive */
        assert_int_equal(publish_loop_sleep_ms(&w.pub, 5000, 1 << 30), PUBLISH_IDLE_MS);
        /* a held retry item due sooner */
        assert_int_equal(publish_loop_sleep_ms(&w.pub, 5000, 7), 7);
        assert_int_equal(publish_loop_sleep_ms(&w.pub, 5000, 0), 0);
}

static void test_it_wakes_for_the_next_commit_when_something_is_final(void **state)
{
        world_t w;

        (void)state;
        init(&w);
        w.st.stored = 3;
        w.st.last_commit_ms = 4990;
        assert_int_equal(publish_loop_sleep_ms(&w.pub, 5000, 1000), 10); /* 20 after the last */
        assert_int_equal(publish_loop_sleep_ms(&w.pub, 5000, 4), 4);     /* a held item first */
        assert_int_equal(publish_loop_sleep_ms(&w.pub, 5030, 1000), 0);  /* overdue */
        /* a refused commit is sent again on the same schedule, with nothing new final */
        w.st.stored = 0;
        w.st.recommit = 1;
        assert_int_equal(publish_loop_sleep_ms(&w.pub, 5000, 1000), 10);
}

static void test_an_unanswered_commit_is_waited_for_until_it_is_stale(void **state)
{
        world_t w;

        (void)state;
        init(&w);
        w.st.stored = 1;
        w.st.commit_out = 1; /* its answer wakes the loop: only its staleness is due */
        w.st.last_commit_ms = 5000;
        assert_int_equal(publish_loop_sleep_ms(&w.pub, 5000, 1 << 30), PUBLISH_IDLE_MS);
        assert_int_equal(
            publish_loop_sleep_ms(&w.pub, 5000 + PUBLISH_COMMIT_STALE_MS - 30, 1 << 30), 30);
}

static void test_refused_moves_are_tried_again_soon(void **state)
{
        world_t w;
        publish_item_t it;

        (void)state;
        init(&w);
        memset(&it, 0, sizeof(it));
        w.st.reproduce = &it;
        assert_int_equal(publish_loop_sleep_ms(&w.pub, 5000, 1 << 30), PUBLISH_MOVE_AGAIN_MS);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_idle_it_sleeps_up_to_the_longest_sleep),
            cmocka_unit_test(test_it_wakes_for_the_next_commit_when_something_is_final),
            cmocka_unit_test(test_an_unanswered_commit_is_waited_for_until_it_is_stale),
            cmocka_unit_test(test_refused_moves_are_tried_again_soon),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
