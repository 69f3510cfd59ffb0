/* cb thread: one thread that runs until its owner tells it to stop.
 *
 * The owner (the thread that starts it) calls cb_thread_start and, once, cb_thread_stop; the
 * thread itself asks cb_thread_running on every turn of its loop. The run flag is the only
 * thing the two share, and it is read and written atomically (a plain int here was a data race
 * that ThreadSanitizer found: tests/tsan/README.md). */
#ifndef CB_THREAD_H
#define CB_THREAD_H

#include <pthread.h>

typedef struct cb_thread {
        pthread_t thread;
        int started; /* the owner's own: the thread was started */
        int run;     /* atomic: the thread goes on while it is set */
} cb_thread_t;

/* Starts fn(arg) with the run flag set; t must be zeroed or stopped. Returns 0, or -1 when no
 * thread could be started (then cb_thread_stop does nothing). */
int cb_thread_start(cb_thread_t *t, void *(*fn)(void *), void *arg);

/* 1 while the thread must go on, 0 once cb_thread_stop was called. Any thread. */
int cb_thread_running(cb_thread_t *t);

/* Clears the run flag and waits for the thread to return; does nothing if it never started or
 * was stopped already. The owner only. */
void cb_thread_stop(cb_thread_t *t);

#endif
