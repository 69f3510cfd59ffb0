/* C11 threads on pthreads, for the ThreadSanitizer build only (CB_TSAN, tests/tsan/README.md).
 *
 * Debian's librdkafka 2.0.2 makes its threads, mutexes and condition variables with C11
 * threads (thrd_create, mtx_lock, cnd_wait), which neither GCC 12's nor clang 14's TSan
 * intercepts: a thread TSan did not see start crashes in TSan's allocator, and locks it does not
 * see make false races inside librdkafka. This library, loaded before libc, implements those
 * functions with the pthread calls TSan does intercept. glibc's C11 types are its pthread types
 * (same size and layout: glibc implements C11 threads on them), so the casts below hold. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>
#include <time.h>

static int result(int rc)
{
        return rc == 0           ? thrd_success
               : rc == ETIMEDOUT ? thrd_timedout
               : rc == EBUSY     ? thrd_busy
               : rc == ENOMEM    ? thrd_nomem
                                 : thrd_error;
}

typedef struct start {
        thrd_start_t func;
        void *arg;
} start_t;

static void *trampoline(void *p)
{
        start_t s = *(start_t *)p;

        free(p);
        return (void *)(intptr_t)s.func(s.arg);
}

int thrd_create(thrd_t *thr, thrd_start_t func, void *arg)
{
        start_t *s = malloc(sizeof(*s));
        int rc;

        if (!s)
                return thrd_nomem;
        s->func = func;
        s->arg = arg;
        rc = pthread_create((pthread_t *)thr, NULL, trampoline, s);
        if (rc)
                free(s);
        return result(rc);
}

int thrd_join(thrd_t thr, int *res)
{
        void *v;
        int rc = pthread_join((pthread_t)thr, &v);

        if (!rc && res)
                *res = (int)(intptr_t)v;
        return result(rc);
}

int thrd_detach(thrd_t thr)
{
        return result(pthread_detach((pthread_t)thr));
}

thrd_t thrd_current(void)
{
        return (thrd_t)pthread_self();
}

int thrd_equal(thrd_t a, thrd_t b)
{
        return pthread_equal((pthread_t)a, (pthread_t)b);
}

_Noreturn void thrd_exit(int res)
{
        pthread_exit((void *)(intptr_t)res);
}

int mtx_init(mtx_t *m, int type)
{
        pthread_mutexattr_t attr;
        int rc;

        pthread_mutexattr_init(&attr);
        if (type & mtx_recursive)
                pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
        rc = pthread_mutex_init((pthread_mutex_t *)m, &attr);
        pthread_mutexattr_destroy(&attr);
        return result(rc);
}

int mtx_lock(mtx_t *m)
{
        return result(pthread_mutex_lock((pthread_mutex_t *)m));
}

int mtx_trylock(mtx_t *m)
{
        return result(pthread_mutex_trylock((pthread_mutex_t *)m));
}

int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict ts)
{
        return result(pthread_mutex_timedlock((pthread_mutex_t *)m, ts));
}

int mtx_unlock(mtx_t *m)
{
        return result(pthread_mutex_unlock((pthread_mutex_t *)m));
}

void mtx_destroy(mtx_t *m)
{
        pthread_mutex_destroy((pthread_mutex_t *)m);
}

int cnd_init(cnd_t *c)
{
        return result(pthread_cond_init((pthread_cond_t *)c, NULL));
}

int cnd_signal(cnd_t *c)
{
        return result(pthread_cond_signal((pthread_cond_t *)c));
}

int cnd_broadcast(cnd_t *c)
{
        return result(pthread_cond_broadcast((pthread_cond_t *)c));
}

int cnd_wait(cnd_t *c, mtx_t *m)
{
        return result(pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m));
}

int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict ts)
{
        return result(pthread_cond_timedwait((pthread_cond_t *)c, (pthread_mutex_t *)m, ts));
}

void cnd_destroy(cnd_t *c)
{
        pthread_cond_destroy((pthread_cond_t *)c);
}

int tss_create(tss_t *key, tss_dtor_t dtor)
{
        return result(pthread_key_create((pthread_key_t *)key, dtor));
}

void *tss_get(tss_t key)
{
        return pthread_getspecific((pthread_key_t)key);
}

int tss_set(tss_t key, void *val)
{
        return result(pthread_setspecific((pthread_key_t)key, val));
}

void tss_delete(tss_t key)
{
        pthread_key_delete((pthread_key_t)key);
}

void call_once(once_flag *flag, void (*func)(void))
{
        pthread_once((pthread_once_t *)flag, func);
}
