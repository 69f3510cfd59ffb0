/* cb queue: a first-in first-out hand-over between threads, with a wake-up: the instances API's
 * requests to its worker (ingest/instances_api.c), the delivery engine's jobs in and results
 * out (publish/deliver.c).
 *
 * Items are the caller's structs with a cb_qlink_t inside (CB_QUEUE_ENTRY gets the struct back),
 * so pushing never allocates. A push that finds the queue empty calls wake(arg), outside the
 * lock, for consumers that sleep elsewhere (curl_multi_poll, a cb_wake); consumers that sleep
 * on the queue itself use cb_queue_pop_wait. The queue owns no item: what is in it when it is
 * finished belongs to whoever finishes it (take them first).
 *
 * Threads: every call from any thread, but cb_queue_init and cb_queue_fini, which the owner
 * calls with no other thread using the queue. */
#ifndef CB_QUEUE_H
#define CB_QUEUE_H

#include <pthread.h>
#include <stddef.h>

typedef struct cb_qlink {
        struct cb_qlink *next;
} cb_qlink_t;

/* The struct of type whose member (a cb_qlink_t) link is. */
#define CB_QUEUE_ENTRY(link, type, member) ((type *)((char *)(link)-offsetof(type, member)))

typedef struct cb_queue {
        pthread_mutex_t mtx; /* guards the rest */
        pthread_cond_t cond; /* for cb_queue_pop_wait */
        cb_qlink_t *head, *tail;
        size_t len, max;
        int closed;
        void (*wake)(void *arg);
        void *wake_arg;
} cb_queue_t;

/* What cb_queue_push and cb_queue_push_list return. */
enum { CB_QUEUE_OK = 0, CB_QUEUE_FULL = -1, CB_QUEUE_CLOSED = -2 };

/* An empty, open queue that holds at most max items (0: no limit); wake (NULL: none) is called
 * with arg after each push that found it empty, and once by cb_queue_close. Returns 0, or -1
 * when the lock or condition variable cannot be made. */
int cb_queue_init(cb_queue_t *q, size_t max, void (*wake)(void *arg), void *arg);

/* Frees the lock and condition variable; items still in q are left as they are. */
void cb_queue_fini(cb_queue_t *q);

/* Appends one item. Returns CB_QUEUE_OK, CB_QUEUE_FULL (max reached: not added) or
 * CB_QUEUE_CLOSED (not added). */
int cb_queue_push(cb_queue_t *q, cb_qlink_t *item);

/* Appends n items at once, first to last linked by next (last's next is ignored): one wake-up
 * for all of them. Returns as cb_queue_push; a full queue takes all or none. */
int cb_queue_push_list(cb_queue_t *q, cb_qlink_t *first, cb_qlink_t *last, size_t n);

/* Takes every item, oldest first, linked by next and ended by NULL (NULL when empty). Writes
 * their count to *n and whether q is closed to *closed, when these are not NULL. */
cb_qlink_t *cb_queue_take_all(cb_queue_t *q, size_t *n, int *closed);

/* Waits until an item is there and takes the oldest; NULL once q is closed and empty. */
cb_qlink_t *cb_queue_pop_wait(cb_queue_t *q);

/* Refuses every push from now on, wakes every cb_queue_pop_wait (which still take what is
 * left), and calls wake. A second close does nothing. */
void cb_queue_close(cb_queue_t *q);

/* Items in q now. */
size_t cb_queue_len(cb_queue_t *q);

#endif
