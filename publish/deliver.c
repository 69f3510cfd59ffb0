#include "deliver.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "cb_retry_after.h"
#include "cb_time.h"
#include "hosts.h"
#include "retry.h"

#define IDLE_HANDLES 512

struct publish_engine {
        publish_engine_conf_t conf;
        char *user_agent, *proxy;
        CURLM *multi;
        pthread_t thread;
        int started;
        pthread_mutex_t mtx; /* guards the two lists, pending and stop */
        publish_job_t *submitted, *submitted_tail;
        publish_job_t *done, *done_tail;
        size_t pending;
        int stop;
        /* engine thread only */
        int wake_due;            /* a result went to an empty list since the last wake-up */
        publish_hosts_t *hosts;  /* admission per destination */
        publish_job_t *starting; /* admitted, to start on this round (linked by next) */
        publish_job_t *active;   /* in flight */
        CURL *idle[IDLE_HANDLES];
        size_t nidle;
};

void publish_job_free(publish_job_t *job)
{
        if (!job)
                return;
        free(job->url);
        free(job->body);
        curl_slist_free_all(job->headers);
        free(job);
}

/* Reads and drops the answer's body: only its status counts. */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        (void)ptr, (void)userdata;
        return size * nmemb;
}

/* Every connection's address passes the SSRF policy before it is dialled. */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
        publish_job_t *job = clientp;

        (void)purpose;
        if (job->ssrf && !publish_ssrf_allowed(job->ssrf, &addr->addr)) {
                job->refused = 1;
                return CURL_SOCKET_BAD;
        }
        return socket(addr->family, addr->socktype, addr->protocol);
}

/* Hands job back: its destination's next waiting job, if any, goes to starting. */
static void push_done(publish_engine_t *e, publish_job_t *job)
{
        publish_job_t *next = publish_hosts_release(e->hosts, job);

        if (next) {
                next->next = e->starting;
                e->starting = next;
        }
        pthread_mutex_lock(&e->mtx);
        job->next = NULL;
        if (e->done_tail) {
                e->done_tail->next = job;
        } else {
                e->done = job;
                e->wake_due = 1; /* the collector may be asleep: wake it (wake_collector) */
        }
        e->done_tail = job;
        pthread_mutex_unlock(&e->mtx);
}

/* Wakes the collector once for every job handed back since the list was last empty: called
 * after each round of transfers, so that a burst of results is one wake-up. */
static void wake_collector(publish_engine_t *e)
{
        if (e->wake_due && e->conf.wake)
                cb_wake_signal(e->conf.wake);
        e->wake_due = 0;
}

/* Fills job's results from its finished transfer and hands it back. */
static void finish(publish_engine_t *e, publish_job_t *job, CURLcode rc)
{
        struct curl_header *h;

        job->duration_ms = cb_time_now_ms() - job->started_ms;
        if (rc == CURLE_OK) {
                curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &job->status);
                if (curl_easy_header(job->easy, "Retry-After", 0, CURLH_HEADER, -1, &h) ==
                    CURLHE_OK) {
                        int64_t ms = cb_retry_after_ms(h->value, time(NULL));

                        job->retry_after_s = ms < 0 ? -1 : (long)((ms + 999) / 1000);
                }
        } else {
                job->status = -1;
                if (job->refused)
                        snprintf(job->error, sizeof(job->error),
                                 "the callback's address is not allowed (SSRF guard)");
                else if (!job->error[0])
                        snprintf(job->error, sizeof(job->error), "%s", curl_easy_strerror(rc));
        }
        curl_multi_remove_handle(e->multi, job->easy);
        if (e->nidle < IDLE_HANDLES)
                e->idle[e->nidle++] = job->easy;
        else
                curl_easy_cleanup(job->easy);
        job->easy = NULL;
        if (job->active_prev)
                job->active_prev->active_next = job->active_next;
        else
                e->active = job->active_next;
        if (job->active_next)
                job->active_next->active_prev = job->active_prev;
        push_done(e, job);
}

/* Starts job's transfer; a job that cannot start is handed back failed. */
static void start(publish_engine_t *e, publish_job_t *job)
{
        CURL *c = e->nidle ? e->idle[--e->nidle] : curl_easy_init();

        job->status = -1;
        job->retry_after_s = -1;
        job->refused = 0;
        job->error[0] = '\0';
        job->ssrf = e->conf.ssrf;
        job->started_ms = cb_time_now_ms();
        job->easy = c;
        if (!c) {
                snprintf(job->error, sizeof(job->error), "out of memory");
                push_done(e, job);
                return;
        }
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, job->url);
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, job->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)job->len);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, job->headers);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, e->conf.timeout_ms);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                         e->conf.timeout_ms < 5000 ? e->conf.timeout_ms : 5000L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_PROXY, e->proxy);
        /* over TLS, wait for HTTP/2 multiplexing rather than open more connections; plain
           http is HTTP/1.1, where waiting would queue attempts behind slow ones */
        curl_easy_setopt(c, CURLOPT_PIPEWAIT, strncmp(job->url, "https:", 6) ? 0L : 1L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, job);
        curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
        curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, job);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, job->error);
        curl_easy_setopt(c, CURLOPT_PRIVATE, job);
        if (e->user_agent)
                curl_easy_setopt(c, CURLOPT_USERAGENT, e->user_agent);
        job->active_prev = NULL;
        job->active_next = e->active;
        if (e->active)
                e->active->active_prev = job;
        e->active = job;
        if (curl_multi_add_handle(e->multi, c) != CURLM_OK) {
                snprintf(job->error, sizeof(job->error), "cannot start the transfer");
                /* finish removes it from the multi handle, which it never joined: harmless */
                finish(e, job, CURLE_FAILED_INIT);
        }
}

/* Starts what push_done admitted; a start that fails at once may admit another. */
static void start_waiting(publish_engine_t *e)
{
        publish_job_t *job;

        while ((job = e->starting)) {
                e->starting = job->next;
                job->next = NULL;
                start(e, job);
        }
}

/* Hands back a job that never started, at shutdown: counted (admitted, so its end may admit
 * the next waiting one, which push_done puts on starting) or waiting. */
static void abandon(publish_engine_t *e, publish_job_t *job, int counted)
{
        job->status = -1;
        job->retry_after_s = -1;
        job->refused = 0;
        snprintf(job->error, sizeof(job->error), "abandoned at shutdown");
        if (!counted)
                job->host = NULL;
        push_done(e, job);
}

static void *engine_main(void *arg)
{
        publish_engine_t *e = arg;
        publish_job_t *jobs, *job, *next;
        CURLMsg *msg;
        int running, left, stop;

        for (;;) {
                pthread_mutex_lock(&e->mtx);
                jobs = e->submitted;
                e->submitted = e->submitted_tail = NULL;
                stop = e->stop;
                pthread_mutex_unlock(&e->mtx);
                for (job = jobs; job; job = next) {
                        next = job->next;
                        job->next = NULL;
                        /* over TLS, HTTP/2 may carry many at once: libcurl decides */
                        if (strncasecmp(job->url, "http:", 5))
                                job->dest = NULL;
                        if (publish_hosts_admit(e->hosts, job))
                                start(e, job);
                }
                start_waiting(e);
                if (stop)
                        break;
                curl_multi_perform(e->multi, &running);
                while ((msg = curl_multi_info_read(e->multi, &left))) {
                        if (msg->msg != CURLMSG_DONE)
                                continue;
                        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&job);
                        finish(e, job, msg->data.result);
                }
                start_waiting(e); /* the turns that ended transfers gave */
                wake_collector(e);
                curl_multi_poll(e->multi, NULL, 0, 1000, NULL);
        }
        /* What is still in flight or waiting is abandoned: it comes back failed. */
        while (e->active) {
                job = e->active;
                snprintf(job->error, sizeof(job->error), "abandoned at shutdown");
                finish(e, job, CURLE_ABORTED_BY_CALLBACK);
        }
        while ((job = e->starting)) {
                e->starting = job->next;
                abandon(e, job, 1);
        }
        for (job = publish_hosts_take_all(e->hosts); job; job = next) {
                next = job->next;
                abandon(e, job, 0);
        }
        wake_collector(e);
        return NULL;
}

publish_engine_t *publish_engine_new(const publish_engine_conf_t *conf)
{
        publish_engine_t *e = calloc(1, sizeof(*e));

        if (!e)
                return NULL;
        e->conf = *conf;
        e->user_agent = conf->user_agent ? strdup(conf->user_agent) : NULL;
        e->proxy = strdup(conf->proxy ? conf->proxy : "");
        e->multi = curl_multi_init();
        e->hosts = publish_hosts_new((size_t)conf->max_host_connections);
        pthread_mutex_init(&e->mtx, NULL);
        if (!e->proxy || !e->multi || !e->hosts)
                goto fail;
        curl_multi_setopt(e->multi, CURLMOPT_MAX_HOST_CONNECTIONS, conf->max_host_connections);
        curl_multi_setopt(e->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, conf->max_total_connections);
        curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, conf->max_total_connections);
        if (pthread_create(&e->thread, NULL, engine_main, e))
                goto fail;
        e->started = 1;
        return e;
fail:
        publish_engine_destroy(e);
        return NULL;
}

void publish_engine_stop(publish_engine_t *e)
{
        if (!e || !e->started)
                return;
        pthread_mutex_lock(&e->mtx);
        e->stop = 1;
        pthread_mutex_unlock(&e->mtx);
        curl_multi_wakeup(e->multi);
        pthread_join(e->thread, NULL);
        e->started = 0;
}

void publish_engine_destroy(publish_engine_t *e)
{
        publish_job_t *job;

        if (!e)
                return;
        publish_engine_stop(e);
        /* what was never collected, and what was submitted after the thread ended */
        for (int round = 0; round < 2; round++) {
                publish_job_t *next;
                job = round ? e->submitted : publish_engine_results(e);
                for (; job; job = next) {
                        next = job->next;
                        publish_job_free(job);
                }
        }
        while (e->nidle)
                curl_easy_cleanup(e->idle[--e->nidle]);
        if (e->multi)
                curl_multi_cleanup(e->multi);
        publish_hosts_destroy(e->hosts);
        pthread_mutex_destroy(&e->mtx);
        free(e->user_agent);
        free(e->proxy);
        free(e);
}

void publish_engine_submit(publish_engine_t *e, publish_job_t *job)
{
        job->next = NULL;
        pthread_mutex_lock(&e->mtx);
        if (e->submitted_tail)
                e->submitted_tail->next = job;
        else
                e->submitted = job;
        e->submitted_tail = job;
        e->pending++;
        pthread_mutex_unlock(&e->mtx);
        curl_multi_wakeup(e->multi);
}

publish_job_t *publish_engine_results(publish_engine_t *e)
{
        publish_job_t *jobs, *job;

        pthread_mutex_lock(&e->mtx);
        jobs = e->done;
        e->done = e->done_tail = NULL;
        for (job = jobs; job; job = job->next)
                e->pending--;
        pthread_mutex_unlock(&e->mtx);
        return jobs;
}

size_t publish_engine_pending(publish_engine_t *e)
{
        size_t n;

        pthread_mutex_lock(&e->mtx);
        n = e->pending;
        pthread_mutex_unlock(&e->mtx);
        return n;
}
