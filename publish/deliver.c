#include "deliver.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "cb_retry_after.h"
#include "cb_queue.h"
#include "cb_time.h"
#include "cb_turns.h"
#include "retry.h"

#define IDLE_HANDLES 512

struct publish_engine {
        publish_engine_conf_t conf;
        char *user_agent, *proxy;
        CURLM *multi;
        pthread_t thread;
        int started;
        cb_queue_t in;  /* submitted jobs; closed by publish_engine_stop */
        cb_queue_t out; /* finished jobs; a push to it empty wakes the collector */
        size_t pending; /* atomic: submitted and not yet collected */
        int queues;     /* in and out were made (publish_engine_destroy) */
        /* engine thread only */
        cb_qlink_t *round_first, *round_last; /* finished on this round, to go out */
        size_t round_n;
        cb_turns_t *hosts;       /* admission per destination (plain http only) */
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

/* Hands job back (on this round's list: flush_round sends them); its destination's next
 * waiting job, if any, goes to starting. */
static void push_done(publish_engine_t *e, publish_job_t *job)
{
        cb_turn_t *turn = cb_turns_release(e->hosts, &job->turn);
        publish_job_t *next = turn ? CB_TURN_ENTRY(turn, publish_job_t, turn) : NULL;

        if (next) {
                next->next = e->starting;
                e->starting = next;
        }
        job->link.next = NULL;
        if (e->round_last)
                e->round_last->next = &job->link;
        else
                e->round_first = &job->link;
        e->round_last = &job->link;
        e->round_n++;
}

/* Sends this round's finished jobs out at once: a burst of results is one wake-up. */
static void flush_round(publish_engine_t *e)
{
        /* out has no limit and is closed by nobody: the push cannot fail */
        cb_queue_push_list(&e->out, e->round_first, e->round_last, e->round_n);
        e->round_first = e->round_last = NULL;
        e->round_n = 0;
}

/* out's wake-up: the collector may be asleep. */
static void wake_collector(void *arg)
{
        const publish_engine_t *e = arg;

        if (e->conf.wake)
                cb_wake_signal(e->conf.wake);
}

/* in's wake-up: the engine may be asleep in curl_multi_poll. */
static void wake_engine(void *arg)
{
        curl_multi_wakeup(((publish_engine_t *)arg)->multi);
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

/* Hands back a job that never started, at shutdown (the end of its turn, when it had one,
 * may give the next waiting job its turn: push_done puts that on starting). */
static void abandon(publish_engine_t *e, publish_job_t *job)
{
        job->status = -1;
        job->retry_after_s = -1;
        job->refused = 0;
        snprintf(job->error, sizeof(job->error), "abandoned at shutdown");
        push_done(e, job);
}

/* The key the job waits its turn under: its destination over plain http (one request at a
 * time per connection); none over TLS, where HTTP/2 may carry many at once and libcurl
 * decides. */
static const char *turn_key(const publish_job_t *job)
{
        return strncasecmp(job->url, "http:", 5) ? NULL : job->dest;
}

static void *engine_main(void *arg)
{
        publish_engine_t *e = arg;
        publish_job_t *job;
        cb_turn_t *turn, *tnext;
        cb_qlink_t *l, *lnext;
        CURLMsg *msg;
        int running, left, stop;

        for (;;) {
                for (l = cb_queue_take_all(&e->in, NULL, &stop); l; l = lnext) {
                        lnext = l->next;
                        job = CB_QUEUE_ENTRY(l, publish_job_t, link);
                        job->next = NULL;
                        if (cb_turns_admit(e->hosts, turn_key(job), &job->turn))
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
                flush_round(e);
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
                abandon(e, job);
        }
        for (turn = cb_turns_take_waiting(e->hosts); turn; turn = tnext) {
                tnext = turn->next;
                abandon(e, CB_TURN_ENTRY(turn, publish_job_t, turn));
        }
        flush_round(e);
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
        e->hosts = cb_turns_new((size_t)conf->max_host_connections);
        if (!e->proxy || !e->multi || !e->hosts)
                goto fail;
        if (cb_queue_init(&e->in, 0, wake_engine, e))
                goto fail;
        if (cb_queue_init(&e->out, 0, wake_collector, e)) {
                cb_queue_fini(&e->in);
                goto fail;
        }
        e->queues = 1;
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
        cb_queue_close(&e->in); /* wakes the engine, which sees it closed */
        pthread_join(e->thread, NULL);
        e->started = 0;
}

void publish_engine_destroy(publish_engine_t *e)
{
        publish_job_t *job, *next;

        if (!e)
                return;
        publish_engine_stop(e);
        /* what was never collected */
        if (e->queues) {
                for (job = publish_engine_results(e); job; job = next) {
                        next = job->next;
                        publish_job_free(job);
                }
                cb_queue_fini(&e->in);
                cb_queue_fini(&e->out);
        }
        while (e->nidle)
                curl_easy_cleanup(e->idle[--e->nidle]);
        if (e->multi)
                curl_multi_cleanup(e->multi);
        cb_turns_destroy(e->hosts);
        free(e->user_agent);
        free(e->proxy);
        free(e);
}

void publish_engine_submit(publish_engine_t *e, publish_job_t *job)
{
        __atomic_add_fetch(&e->pending, 1, __ATOMIC_RELAXED);
        if (cb_queue_push(&e->in, &job->link) == CB_QUEUE_OK)
                return;
        /* stopped: it comes back at once, failed (nothing else pushes to out any more) */
        job->status = -1;
        job->retry_after_s = -1;
        job->refused = 0;
        snprintf(job->error, sizeof(job->error), "the delivery engine is stopped");
        cb_queue_push(&e->out, &job->link);
}

publish_job_t *publish_engine_results(publish_engine_t *e)
{
        cb_qlink_t *l = cb_queue_take_all(&e->out, NULL, NULL);
        publish_job_t *first = NULL, **tail = &first, *job;
        size_t n = 0;

        for (; l; l = l->next, n++) {
                job = CB_QUEUE_ENTRY(l, publish_job_t, link);
                *tail = job;
                tail = &job->next;
        }
        *tail = NULL;
        __atomic_sub_fetch(&e->pending, n, __ATOMIC_RELAXED);
        return first;
}

size_t publish_engine_pending(publish_engine_t *e)
{
        return __atomic_load_n(&e->pending, __ATOMIC_RELAXED);
}
