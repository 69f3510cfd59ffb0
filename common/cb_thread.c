#include "cb_thread.h"

int cb_thread_start(cb_thread_t *t, void *(*fn)(void *), void *arg)
{
        __atomic_store_n(&t->run, 1, __ATOMIC_RELEASE);
        if (pthread_create(&t->thread, NULL, fn, arg)) {
                __atomic_store_n(&t->run, 0, __ATOMIC_RELEASE);
                return -1;
        }
        t->started = 1;
        return 0;
}

int cb_thread_running(cb_thread_t *t)
{
        return __atomic_load_n(&t->run, __ATOMIC_ACQUIRE);
}

void cb_thread_stop(cb_thread_t *t)
{
        if (!t->started)
                return;
        __atomic_store_n(&t->run, 0, __ATOMIC_RELEASE);
        pthread_join(t->thread, NULL);
        t->started = 0;
}
