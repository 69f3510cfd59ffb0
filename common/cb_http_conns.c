#include "cb_http_conns.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "cb_log.h"
#include "cb_metrics.h"

/* Files a process needs besides its HTTP connections: Kafka and Close API sockets, logs. */
#define FD_RESERVE 256

typedef struct conn {
        struct conn *prev, *next;
        MHD_socket fd;
        int64_t since_ms; /* when the time of its current request part started */
        int busy;         /* its request is the handler's: the time does not count */
        int cut;          /* shut down by the sweeper */
} conn_t;

struct cb_http_conns {
        pthread_mutex_t mtx; /* guards the list, count and stop */
        pthread_cond_t cond;
        conn_t *head;
        long count;
        int stop;
        int64_t timeout_ms;
        pthread_t sweeper;
        cb_metric_family_t *open, *cut;
};

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static conn_t *conn_of(struct MHD_Connection *conn)
{
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

        return info ? info->socket_context : NULL;
}

/* Shuts down every connection past its time; returns how many. The caller holds mtx. */
static int sweep(cb_http_conns_t *conns)
{
        int64_t now = now_ms();
        conn_t *c;
        int n = 0;

        for (c = conns->head; c; c = c->next) {
                if (c->busy || c->cut || now - c->since_ms < conns->timeout_ms)
                        continue;
                /* the socket stays open (libmicrohttpd closes it), so its number stays ours */
                shutdown(c->fd, SHUT_RDWR);
                c->cut = 1;
                n++;
        }
        return n;
}

static void *sweeper_main(void *arg)
{
        cb_http_conns_t *conns = arg;
        struct timespec deadline;
        int n;

        pthread_mutex_lock(&conns->mtx);
        while (!conns->stop) {
                clock_gettime(CLOCK_REALTIME, &deadline);
                deadline.tv_sec += 1;
                pthread_cond_timedwait(&conns->cond, &conns->mtx, &deadline);
                if (conns->stop)
                        break;
                n = sweep(conns);
                if (n) {
                        cb_metrics_add(conns->cut, "", n);
                        cb_log_info("http: closed %d connections whose request did not arrive "
                                    "within %lld s",
                                    n, (long long)(conns->timeout_ms / 1000));
                }
        }
        pthread_mutex_unlock(&conns->mtx);
        return NULL;
}

cb_http_conns_t *cb_http_conns_new(int timeout_s)
{
        cb_http_conns_t *conns = calloc(1, sizeof(*conns));

        if (!conns)
                return NULL;
        conns->timeout_ms = (int64_t)timeout_s * 1000;
        conns->open = cb_metrics_family("closebridge_http_connections", "open HTTP connections",
                                        CB_METRIC_GAUGE);
        conns->cut = cb_metrics_family(
            "closebridge_http_slow_requests_total",
            "connections closed because their request did not arrive within the time limit",
            CB_METRIC_COUNTER);
        cb_metrics_set(conns->open, "", 0);
        cb_metrics_add(conns->cut, "", 0);
        pthread_mutex_init(&conns->mtx, NULL);
        pthread_cond_init(&conns->cond, NULL);
        if (pthread_create(&conns->sweeper, NULL, sweeper_main, conns)) {
                pthread_mutex_destroy(&conns->mtx);
                pthread_cond_destroy(&conns->cond);
                free(conns);
                return NULL;
        }
        return conns;
}

void cb_http_conns_destroy(cb_http_conns_t *conns)
{
        conn_t *c;

        if (!conns)
                return;
        pthread_mutex_lock(&conns->mtx);
        conns->stop = 1;
        pthread_cond_signal(&conns->cond);
        pthread_mutex_unlock(&conns->mtx);
        pthread_join(conns->sweeper, NULL);
        while ((c = conns->head)) { /* none once libmicrohttpd has closed them all */
                conns->head = c->next;
                free(c);
        }
        pthread_mutex_destroy(&conns->mtx);
        pthread_cond_destroy(&conns->cond);
        free(conns);
}

void cb_http_conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
        cb_http_conns_t *conns = cls;
        const union MHD_ConnectionInfo *info;
        conn_t *c = *socket_context;

        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
                info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
                c = info ? calloc(1, sizeof(*c)) : NULL;
                if (!c)
                        return; /* not timed: MHD's inactivity timeout still applies */
                c->fd = info->connect_fd;
                c->since_ms = now_ms();
                *socket_context = c;
                pthread_mutex_lock(&conns->mtx);
                c->next = conns->head;
                if (conns->head)
                        conns->head->prev = c;
                conns->head = c;
                cb_metrics_set(conns->open, "", (double)++conns->count);
                pthread_mutex_unlock(&conns->mtx);
                return;
        }
        if (code != MHD_CONNECTION_NOTIFY_CLOSED || !c)
                return;
        *socket_context = NULL;
        pthread_mutex_lock(&conns->mtx);
        if (c->prev)
                c->prev->next = c->next;
        else
                conns->head = c->next;
        if (c->next)
                c->next->prev = c->prev;
        cb_metrics_set(conns->open, "", (double)--conns->count);
        pthread_mutex_unlock(&conns->mtx);
        free(c);
}

void *cb_http_conns_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
        cb_http_conns_t *conns = cls;
        conn_t *c = conn_of(conn);

        (void)uri;
        if (c) {
                pthread_mutex_lock(&conns->mtx);
                c->since_ms = now_ms();
                pthread_mutex_unlock(&conns->mtx);
        }
        return NULL;
}

void cb_http_conns_busy(cb_http_conns_t *conns, struct MHD_Connection *conn, int busy)
{
        conn_t *c = conn_of(conn);

        if (!c)
                return;
        pthread_mutex_lock(&conns->mtx);
        c->busy = busy;
        c->since_ms = now_ms();
        pthread_mutex_unlock(&conns->mtx);
}

int cb_http_conns_fit_fd_limit(int max)
{
        struct rlimit rl;
        rlim_t need = (rlim_t)max + FD_RESERVE, room;

        if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
                return max;
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl))
                getrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur >= need)
                return max;
        room = rl.rlim_cur > 2 * FD_RESERVE ? rl.rlim_cur - FD_RESERVE : rl.rlim_cur / 2;
        cb_log_warn("http: the open-files limit (%llu) leaves room for %llu connections, not %d",
                    (unsigned long long)rl.rlim_cur, (unsigned long long)room, max);
        return (int)room;
}
