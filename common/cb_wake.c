#define _GNU_SOURCE /* pipe2 */
#include "cb_wake.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>

int cb_wake_open(cb_wake_t *w)
{
        int fds[2];

        *w = CB_WAKE_CLOSED;
        if (pipe2(fds, O_NONBLOCK | O_CLOEXEC))
                return -1;
        w->rfd = fds[0];
        w->wfd = fds[1];
        return 0;
}

void cb_wake_close(cb_wake_t *w)
{
        if (w->rfd >= 0)
                close(w->rfd);
        if (w->wfd >= 0)
                close(w->wfd);
        *w = CB_WAKE_CLOSED;
}

void cb_wake_signal(const cb_wake_t *w)
{
        int saved = errno; /* a signal handler must leave errno as it found it */
        ssize_t n = write(w->wfd, "1", 1);

        (void)n; /* EAGAIN: full, so readable already */
        errno = saved;
}

int cb_wake_write_fd(const cb_wake_t *w)
{
        return w->wfd;
}

/* Reads everything written so far. */
static void empty(const cb_wake_t *w)
{
        char buf[256];

        while (read(w->rfd, buf, sizeof(buf)) > 0)
                ;
}

int cb_wake_wait(const cb_wake_t *w, int64_t timeout_ms)
{
        struct pollfd p = {.fd = w->rfd, .events = POLLIN};
        int rc, t = timeout_ms < 0 ? -1 : timeout_ms > INT_MAX ? INT_MAX : (int)timeout_ms;

        rc = poll(&p, 1, t);
        if (rc < 0)
                return errno == EINTR ? 1 : -1;
        if (rc == 0)
                return 0;
        empty(w);
        return 1;
}
