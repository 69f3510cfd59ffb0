/* Unit tests of cb_queue: a first-in first-out hand-over between threads, with a wake-up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>

#include "cb_queue.h"

typedef struct item {
        int value;
        cb_qlink_t link;
} item_t;

static int value_of(cb_qlink_t *l)
{
        return CB_QUEUE_ENTRY(l, item_t, link)->value;
}

static void count_wake(void *arg)
{
        (*(int *)arg)++;
}

static void test_items_come_out_in_order_and_wake_only_an_empty_queue(void **state)
{
        cb_queue_t q;
        item_t it[5] = {{1, {0}}, {2, {0}}, {3, {0}}, {4, {0}}, {5, {0}}};
        cb_qlink_t *all, *l;
        size_t n;
        int wakes = 0, closed = -1, expect = 1;

        (void)state;
        assert_int_equal(cb_queue_init(&q, 0, count_wake, &wakes), 0);
        assert_null(cb_queue_take_all(&q, &n, &closed));
        assert_int_equal(n, 0);
        assert_int_equal(closed, 0);
        assert_int_equal(cb_queue_push(&q, &it[0].link), CB_QUEUE_OK);
        assert_int_equal(cb_queue_push(&q, &it[1].link), CB_QUEUE_OK);
        assert_int_equal(wakes, 1); /* the second found it not empty */
        /* three at once: one list */
        it[2].link.next = &it[3].link;
        it[3].link.next = &it[4].link;
        assert_int_equal(cb_queue_push_list(&q, &it[2].link, &it[4].link, 3), CB_QUEUE_OK);
        assert_int_equal(wakes, 1);
        assert_int_equal(cb_queue_len(&q), 5);
        all = cb_queue_take_all(&q, &n, NULL);
        assert_int_equal(n, 5);
        for (l = all; l; l = l->next)
                assert_int_equal(value_of(l), expect++);
        assert_int_equal(expect, 6);
        assert_int_equal(cb_queue_len(&q), 0);
        assert_int_equal(cb_queue_push(&q, &it[0].link), CB_QUEUE_OK);
        assert_int_equal(wakes, 2); /* empty again */
        cb_queue_fini(&q);
}

static void test_a_full_queue_refuses_and_a_closed_one_too(void **state)
{
        cb_queue_t q;
        item_t it[4] = {{1, {0}}, {2, {0}}, {3, {0}}, {4, {0}}};
        int wakes = 0, closed = 0;

        (void)state;
        assert_int_equal(cb_queue_init(&q, 2, count_wake, &wakes), 0);
        assert_int_equal(cb_queue_push(&q, &it[0].link), CB_QUEUE_OK);
        it[1].link.next = &it[2].link;
        /* two more would make three: all or none */
        assert_int_equal(cb_queue_push_list(&q, &it[1].link, &it[2].link, 2), CB_QUEUE_FULL);
        assert_int_equal(cb_queue_len(&q), 1);
        assert_int_equal(cb_queue_push(&q, &it[1].link), CB_QUEUE_OK);
        assert_int_equal(cb_queue_push(&q, &it[3].link), CB_QUEUE_FULL);
        cb_queue_close(&q);
        assert_int_equal(wakes, 2); /* the first push and the close */
        cb_queue_close(&q);
        assert_int_equal(wakes, 2);
        assert_int_equal(cb_queue_push(&q, &it[3].link), CB_QUEUE_CLOSED);
        /* what is left still comes out, then nothing */
        assert_int_equal(value_of(cb_queue_pop_wait(&q)), 1);
        assert_int_equal(value_of(cb_queue_pop_wait(&q)), 2);
        assert_null(cb_queue_pop_wait(&q));
        assert_null(cb_queue_take_all(&q, NULL, &closed));
        assert_int_equal(closed, 1);
        cb_queue_fini(&q);
}

#define N 20000

typedef struct {
        cb_queue_t q;
        item_t items[N];
        int refused; /* the producer's, read after the join (cmocka asserts on the main thread) */
} world_t;

static void *producer(void *arg)
{
        world_t *w = arg;
        int i;

        for (i = 0; i < N; i++) {
                w->items[i].value = i;
                w->refused += cb_queue_push(&w->q, &w->items[i].link) != CB_QUEUE_OK;
        }
        cb_queue_close(&w->q);
        return NULL;
}

static void test_a_waiting_consumer_gets_every_item_of_another_thread_in_order(void **state)
{
        static world_t w;
        pthread_t t;
        cb_qlink_t *l;
        int expect = 0;

        (void)state;
        assert_int_equal(cb_queue_init(&w.q, 0, NULL, NULL), 0);
        assert_int_equal(pthread_create(&t, NULL, producer, &w), 0);
        while ((l = cb_queue_pop_wait(&w.q)))
                assert_int_equal(value_of(l), expect++);
        pthread_join(t, NULL);
        assert_int_equal(w.refused, 0);
        assert_int_equal(expect, N); /* NULL came only once closed and empty */
        cb_queue_fini(&w.q);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_items_come_out_in_order_and_wake_only_an_empty_queue),
            cmocka_unit_test(test_a_full_queue_refuses_and_a_closed_one_too),
            cmocka_unit_test(test_a_waiting_consumer_gets_every_item_of_another_thread_in_order),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
