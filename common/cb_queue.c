#include "cb_queue.h"

int cb_queue_init(cb_queue_t *q, size_t max, void (*wake)(void *arg), void *arg)
{
        *q = (cb_queue_t){.max = max, .wake = wake, .wake_arg = arg};
        if (pthread_mutex_init(&q->mtx, NULL))
                return -1;
        if (pthread_cond_init(&q->cond, NULL)) {
                pthread_mutex_destroy(&q->mtx);
                return -1;
        }
        return 0;
}

void cb_queue_fini(cb_queue_t *q)
{
        pthread_cond_destroy(&q->cond);
        pthread_mutex_destroy(&q->mtx);
}

int cb_queue_push_list(cb_queue_t *q, cb_qlink_t *first, cb_qlink_t *last, size_t n)
{
        int was_empty;

        if (!n)
                return CB_QUEUE_OK;
        pthread_mutex_lock(&q->mtx);
        if (q->closed || (q->max && q->len + n > q->max)) {
                int rc = q->closed ? CB_QUEUE_CLOSED : CB_QUEUE_FULL;

                pthread_mutex_unlock(&q->mtx);
                return rc;
        }
        last->next = NULL;
        was_empty = !q->head;
        if (q->tail)
                q->tail->next = first;
        else
                q->head = first;
        q->tail = last;
        q->len += n;
        pthread_cond_signal(&q->cond);
        pthread_mutex_unlock(&q->mtx);
        if (was_empty && q->wake) /* wake and wake_arg never change after init */
                q->wake(q->wake_arg);
        return CB_QUEUE_OK;
}

int cb_queue_push(cb_queue_t *q, cb_qlink_t *item)
{
        return cb_queue_push_list(q, item, item, 1);
}

cb_qlink_t *cb_queue_take_all(cb_queue_t *q, size_t *n, int *closed)
{
        cb_qlink_t *all;

        pthread_mutex_lock(&q->mtx);
        all = q->head;
        if (n)
                *n = q->len;
        if (closed)
                *closed = q->closed;
        q->head = q->tail = NULL;
        q->len = 0;
        pthread_mutex_unlock(&q->mtx);
        return all;
}

cb_qlink_t *cb_queue_pop_wait(cb_queue_t *q)
{
        cb_qlink_t *item;

        pthread_mutex_lock(&q->mtx);
        while (!q->head && !q->closed)
                pthread_cond_wait(&q->cond, &q->mtx);
        item = q->head;
        if (item) {
                q->head = item->next;
                if (!q->head)
                        q->tail = NULL;
                q->len--;
                item->next = NULL;
        }
        pthread_mutex_unlock(&q->mtx);
        return item;
}

void cb_queue_close(cb_queue_t *q)
{
        int was_open;

        pthread_mutex_lock(&q->mtx);
        was_open = !q->closed;
        q->closed = 1;
        pthread_cond_broadcast(&q->cond);
        pthread_mutex_unlock(&q->mtx);
        if (was_open && q->wake)
                q->wake(q->wake_arg);
}

size_t cb_queue_len(cb_queue_t *q)
{
        size_t n;

        pthread_mutex_lock(&q->mtx);
        n = q->len;
        pthread_mutex_unlock(&q->mtx);
        return n;
}
