#include "poller_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cb_config.h"
#include "cb_json.h"
#include "cb_log.h"
#include "cb_time.h"
#include "close_api.h"
#include "close_event.h"
#include "envelope.h"
#include "ingest.h"
#include "produce.h"

/* 100,000 events in one poll at most (held in memory until they are published). */
#define MAX_PAGES 2000

/* Counts a poll with outcome ("ok", "error", "rate_limited", "unauthorized"). */
static void ingest_poller_count(ingest_poller_t *p, const char *outcome)
{
        char labels[64];

        snprintf(labels, sizeof(labels), "outcome=\"%s\"", outcome);
        cb_metrics_add(p->m_polls, labels, 1);
}

/* The instance's refresh interval (event.poller.refresh_interval, minutes, decimals allowed). */
static long interval_ms(const ingest_poller_t *p, const cb_instance_t *inst)
{
        const char *s = cb_instance_config(inst, "event.poller.refresh_interval");
        double minutes = s ? strtod(s, NULL) : 0;

        if (!(minutes > 0))
                return p->ing->conf.poll_interval_s * 1000;
        minutes *= 60000;
        return minutes < 100 ? 100 : minutes > 86400000.0 ? 86400000 : (long)minutes;
}

#define FILTER_MAX 32

/* Which object types an instance's polls publish, from its event.poller.configuration: its
 * Cloud Elements resource names ("contacts", "accounts", "opportunities", ...) as resource
 * names of Close object types. No list (or an empty one) lets everything through. */
typedef struct filter {
        size_t n;                      /* 0: everything */
        const char *types[FILTER_MAX]; /* borrowed from inst, parsed or close_event.c's tables */
        json_object *parsed;           /* owned: the setting when it was given as JSON text */
} filter_t;

/* Reads inst's filter once per walk (the setting may be JSON text, parsed strictly). inst
 * outlives f; free f with filter_fini. */
static void filter_of(const cb_instance_t *inst, filter_t *f)
{
        json_object *conf, *pc;
        char err[128];

        f->n = 0;
        f->parsed = NULL;
        if (!json_object_object_get_ex(inst->json, "configuration", &conf) ||
            !json_object_object_get_ex(conf, "event.poller.configuration", &pc) || !pc)
                return;
        if (json_object_is_type(pc, json_type_string))
                pc = f->parsed =
                    cb_json_parse(json_object_get_string(pc),
                                  (size_t)json_object_get_string_len(pc), err, sizeof(err));
        if (json_object_is_type(pc, json_type_object)) {
                json_object_object_foreach(pc, resource, val)
                {
                        (void)val;
                        if (f->n < FILTER_MAX)
                                f->types[f->n++] =
                                    ingest_close_object_type(ingest_close_model_of(resource));
                }
        }
}

static void filter_fini(filter_t *f)
{
        json_object_put(f->parsed);
}

/* 1 when f lets events of an object type (ingest_close_event_t.object_type) through. */
static int wanted(const filter_t *f, const char *type)
{
        size_t i;

        for (i = 0; i < f->n; i++)
                if (!strcmp(f->types[i], type))
                        return 1;
        return f->n == 0;
}

/* Schedules the next try of a failed walk: 1 s, doubling each time, at most interval. */
static void back_off(ingest_sched_t *s, long interval)
{
        s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : 1000;
        if (s->backoff_ms > interval)
                s->backoff_ms = interval;
        s->next_ms = cb_time_now_ms() + s->backoff_ms;
}

/* The poll state of inst: from the state topic, else from event.poller.since, else now. */
static void ensure_state(ingest_poller_t *p, const cb_instance_t *inst, ingest_sched_t *s)
{
        const char *since = cb_instance_config(inst, "event.poller.since");
        int64_t start = cb_time_now_us(), us;
        ingest_stored_t *stored;

        if (s->have_state)
                return;
        if (since && !cb_time_parse(since, &us))
                start = us;
        pthread_mutex_lock(&p->lock);
        HASH_FIND_STR(p->stored, inst->id, stored);
        if (!stored ||
            ingest_poll_state_parse(&s->state, stored->json, strlen(stored->json), start))
                ingest_poll_state_init(&s->state, start);
        pthread_mutex_unlock(&p->lock);
        s->have_state = 1;
}

/* Aborts the open transaction of txp, again while librdkafka answers that the abort may be
 * retried (the broker is away) and the poller runs. A fatal error stops the poller. */
static void abort_txn(ingest_poller_t *p, int timeout)
{
        rd_kafka_error_t *error;

        while ((error = rd_kafka_abort_transaction(p->txp, timeout))) {
                int again = rd_kafka_error_is_retriable(error) &&
                            __atomic_load_n(&p->run, __ATOMIC_ACQUIRE);
                if (rd_kafka_error_is_fatal(error))
                        __atomic_store_n(&p->fatal, 1, __ATOMIC_RELEASE);
                else if (!again)
                        cb_log_warn("poller: abort of a transaction failed: %s",
                                    rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                if (!again)
                        return;
        }
}

/* Publishes envs and the new state in one transaction on txp; the caller holds txlock.
 * Returns 0, or -1: nothing of it is visible, and the caller walks again from its stored
 * position.
 *
 * commit_transaction's errors are handled as librdkafka's transactional API asks: a retriable
 * one (a time-out while the broker is away) means the commit is still in progress, so it is
 * called again, for as long as it takes (a new transaction over a commit in progress is
 * refused, which once stopped the poller for good); txn_requires_abort, abort and start over;
 * fatal, the poller stops and ingest exits non-zero, so a new process (and producer) takes
 * over. Only shutdown leaves a commit unfinished: the producer is destroyed next, and the
 * broker aborts the transaction. */
static int publish(ingest_poller_t *p, const cb_instance_t *inst, const ingest_envelope_t *envs,
                   size_t n, const char *state_json)
{
        rd_kafka_error_t *error;
        rd_kafka_resp_err_t err = 0;
        int timeout = p->ing->conf.ack_timeout_ms, waits = 0;
        size_t i;

        error = rd_kafka_begin_transaction(p->txp);
        if (error) {
                cb_log_kv(CB_LOG_WARN, CB_KV("instance", inst->id),
                          "poller: instance %s: begin of a transaction failed: %s", inst->id,
                          rd_kafka_error_string(error));
                if (rd_kafka_error_is_fatal(error))
                        __atomic_store_n(&p->fatal, 1, __ATOMIC_RELEASE);
                rd_kafka_error_destroy(error);
                return -1;
        }
        for (i = 0; i < n && !err; i++)
                err =
                    ingest_envelope_produce(p->txp, p->ing->topic_events, inst->id, &envs[i], NULL);
        if (!err)
                err = rd_kafka_producev(p->txp, RD_KAFKA_V_TOPIC(p->topic_state),
                                        RD_KAFKA_V_KEY(inst->id, strlen(inst->id)),
                                        RD_KAFKA_V_VALUE((void *)state_json, strlen(state_json)),
                                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err) {
                cb_log_kv(CB_LOG_WARN, CB_KV("instance", inst->id),
                          "poller: instance %s: produce failed: %s", inst->id,
                          rd_kafka_err2str(err));
                abort_txn(p, timeout);
                return -1;
        }
        while ((error = rd_kafka_commit_transaction(p->txp, timeout))) {
                if (!rd_kafka_error_is_retriable(error) ||
                    !__atomic_load_n(&p->run, __ATOMIC_ACQUIRE))
                        break;
                if (waits++ == 0)
                        cb_log_kv(CB_LOG_WARN, CB_KV("instance", inst->id),
                                  "poller: instance %s: commit not done yet (%s): waiting for it",
                                  inst->id, rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        }
        if (!error) {
                if (waits)
                        cb_log_kv(CB_LOG_INFO, CB_KV("instance", inst->id),
                                  "poller: instance %s: commit done after %d waits", inst->id,
                                  waits);
                return 0;
        }
        cb_log_kv(CB_LOG_WARN, CB_KV("instance", inst->id),
                  "poller: instance %s: transaction failed: %s", inst->id,
                  rd_kafka_error_string(error));
        if (rd_kafka_error_is_fatal(error))
                __atomic_store_n(&p->fatal, 1, __ATOMIC_RELEASE);
        else if (rd_kafka_error_txn_requires_abort(error))
                abort_txn(p, timeout);
        rd_kafka_error_destroy(error);
        return -1;
}

/* publish() under txlock: the workers share one transactional producer. */
static int transact(ingest_poller_t *p, const cb_instance_t *inst, const ingest_envelope_t *envs,
                    size_t n, const char *state_json)
{
        int rc;

        pthread_mutex_lock(&p->txlock);
        rc = publish(p, inst, envs, n, state_json);
        pthread_mutex_unlock(&p->txlock);
        return rc;
}

/* The events of one walk of an Event Log, oldest first. The events are borrowed from the
 * pages' documents, which the log owns. */
typedef struct walk_log {
        yyjson_doc **pages;
        size_t npages;
        yyjson_val **events;
        size_t n, cap;
} walk_log_t;

static void walk_log_fini(walk_log_t *log)
{
        size_t i;

        for (i = 0; i < log->npages; i++)
                yyjson_doc_free(log->pages[i]);
        free(log->pages);
        free(log->events);
        memset(log, 0, sizeof(*log));
}

/* Takes page's document into log and appends its events. Returns 0, or -1 when out of memory
 * (the page is freed then). */
static int walk_log_add(walk_log_t *log, ingest_close_page_t *page)
{
        size_t i, max, need = log->n + yyjson_arr_size(page->events);
        yyjson_doc **pages = realloc(log->pages, (log->npages + 1) * sizeof(*pages));
        yyjson_val **events, *ev;

        if (pages)
                log->pages = pages;
        if (pages && need > log->cap) {
                events = realloc(log->events, 2 * need * sizeof(*events));
                if (events) {
                        log->events = events;
                        log->cap = 2 * need;
                }
        }
        if (!pages || need > log->cap) {
                yyjson_doc_free(page->doc);
                return -1;
        }
        log->pages[log->npages++] = page->doc;
        yyjson_arr_foreach(page->events, i, max, ev)
        {
                log->events[log->n++] = ev;
        }
        return 0;
}

/* Walks the Event Log of inst from its state into log (oldest first; walk_log_fini it). Returns
 * 0, or -1 after scheduling the next try (rate limit, error, refused key, or at once when
 * p->halt stopped the walk), log then empty. */
static int fetch_all(ingest_poller_t *p, CURL *curl, const cb_instance_t *inst, ingest_sched_t *s,
                     long interval, walk_log_t *log)
{
        const char *base = cb_instance_config(inst, "base.url");
        const char *key = cb_instance_config(inst, "username");
        long timeout = p->ing->conf.poll_timeout_ms, wait = 0;
        ingest_close_page_t page;
        ingest_close_result_t res;
        char *cursor = NULL, err[512];
        yyjson_val *swap;
        size_t i, pages;

        memset(log, 0, sizeof(*log));
        if (!base || !*base)
                base = p->ing->conf.close_api_base;
        for (pages = 0; pages < MAX_PAGES; pages++) {
                res = ingest_close_fetch(curl, base, key ? key : "", s->state.from_us, cursor,
                                         timeout, &p->halt, &page, &wait, err, sizeof(err));
                free(cursor);
                cursor = NULL;
                if (res == INGEST_CLOSE_OK) {
                        cursor = page.cursor_next ? strdup(page.cursor_next) : NULL;
                        if (walk_log_add(log, &page) || (page.cursor_next && !cursor)) {
                                snprintf(err, sizeof(err), "out of memory");
                                res = INGEST_CLOSE_ERROR;
                        }
                }
                if (res != INGEST_CLOSE_OK) {
                        free(cursor);
                        walk_log_fini(log);
                        if (res == INGEST_CLOSE_HALTED) {
                                s->next_ms = 0; /* walked again by whoever polls it next */
                                return -1;
                        }
                        if (res == INGEST_CLOSE_RATE_LIMITED) {
                                ingest_poller_count(p, "rate_limited");
                                s->next_ms = cb_time_now_ms() + wait;
                        } else if (res == INGEST_CLOSE_UNAUTHORIZED) {
                                /* once per interval: the next try is a whole interval away */
                                ingest_poller_count(p, "unauthorized");
                                s->next_ms = cb_time_now_ms() + interval;
                        } else {
                                ingest_poller_count(p, "error");
                                back_off(s, interval);
                        }
                        cb_log_kv(CB_LOG_WARN, CB_KV("instance", inst->id),
                                  "poller: instance %s: %s; next try in %lld ms", inst->id, err,
                                  (long long)(s->next_ms - cb_time_now_ms()));
                        return -1;
                }
                if (!cursor)
                        break;
        }
        if (cursor) {
                /* Publishing part of the walk would skip the older events for good (the log
                   is newest first): publish none, and say so. */
                free(cursor);
                walk_log_fini(log);
                ingest_poller_count(p, "error");
                s->next_ms = cb_time_now_ms() + interval;
                cb_log_kv(CB_LOG_ERROR, CB_KV("instance", inst->id),
                          "poller: more than %d pages of events to read at once; start the "
                          "instance later (event.poller.since) or poll more often",
                          MAX_PAGES);
                return -1;
        }
        /* the log is newest first; publish oldest first */
        for (i = 0; i < log->n / 2; i++) {
                swap = log->events[i];
                log->events[i] = log->events[log->n - 1 - i];
                log->events[log->n - 1 - i] = swap;
        }
        return 0;
}

/* Builds the envelope of cev into *env. An event whose envelope the topics cannot take (a Close
 * object of megabytes) goes without data.raw, its body: the event is not lost, and its receiver
 * can read the object from Close (the polling path has no client to answer 413 to). Returns 0,
 * or -1 when it is skipped (out of memory, an id too long, or too large even so), logged. */
static int build(ingest_poller_t *p, const cb_instance_t *inst, ingest_close_event_t *cev,
                 int64_t now, ingest_envelope_t *env)
{
        size_t key = strlen(inst->id);

        if (ingest_envelope_build(env, inst->id, cev, "polling", now)) {
                cb_log_kv(CB_LOG_WARN, CB_KV("instance", inst->id),
                          "poller: instance %s: event %s skipped: out of memory or an id too long",
                          inst->id, cev->close_id);
                return -1;
        }
        if (ingest_envelope_record_size(env, key) <= p->ing->record_max)
                return 0;
        cb_log_kv(CB_LOG_WARN, CB_KV("instance", inst->id),
                  "poller: instance %s: event %s: its envelope of %zu bytes is over the %zu the "
                  "topics take; published without data.raw",
                  inst->id, cev->close_id, ingest_envelope_record_size(env, key),
                  p->ing->record_max);
        ingest_envelope_fini(env);
        cev->raw_text = NULL;
        cev->raw_len = 0;
        if (!ingest_envelope_build(env, inst->id, cev, "polling", now) &&
            ingest_envelope_record_size(env, key) <= p->ing->record_max)
                return 0;
        ingest_envelope_fini(env);
        cb_log_kv(CB_LOG_ERROR, CB_KV("instance", inst->id),
                  "poller: instance %s: event %s skipped: too large even without its body",
                  inst->id, cev->close_id);
        return -1;
}

void ingest_poll_walk(ingest_poller_t *p, CURL *curl, const cb_instance_t *inst, ingest_sched_t *s)
{
        long interval = interval_ms(p, inst);
        int64_t overlap = p->ing->conf.poll_overlap_s * 1000000LL;
        int64_t now = cb_time_now_us(), *dates = NULL;
        ingest_envelope_t *envs = NULL;
        const char **ids = NULL;
        ingest_poll_state_t next;
        ingest_close_event_t cev;
        walk_log_t log;
        filter_t filter;
        size_t i, nenv = 0, nids = 0;
        char err[256] = "", *state_json = NULL;
        int rc;

        ensure_state(p, inst, s);
        if (fetch_all(p, curl, inst, s, interval, &log))
                return;
        filter_of(inst, &filter);
        envs = calloc(log.n + 1, sizeof(*envs));
        ids = calloc(log.n + 1, sizeof(*ids));
        dates = calloc(log.n + 1, sizeof(*dates));
        if (!envs || !ids || !dates)
                goto retry;
        for (i = 0; i < log.n; i++) {
                rc = ingest_close_parse_log_event(log.events[i], &cev, err, sizeof(err));
                if (rc || !cev.date_us) {
                        cb_log_kv(CB_LOG_WARN, CB_KV("instance", inst->id),
                                  "poller: instance %s: event skipped: %s", inst->id,
                                  rc ? err : "no date_updated");
                        ingest_close_event_fini(&cev);
                        continue;
                }
                ids[nids] = cev.close_id; /* in log's pages until done */
                dates[nids++] = cev.date_us;
                if (ingest_poll_state_is_new(&s->state, cev.close_id, cev.date_us) &&
                    wanted(&filter, cev.object_type)) {
                        if (!build(p, inst, &cev, now, &envs[nenv]))
                                nenv++;
                }
                ingest_close_event_fini(&cev);
        }
        if (ingest_poll_state_copy(&next, &s->state) ||
            ingest_poll_state_advance(&next, ids, dates, nids, now, overlap)) {
                ingest_poll_state_fini(&next);
                goto retry;
        }
        state_json = ingest_poll_state_format(&next);
        if (!state_json || transact(p, inst, envs, nenv, state_json)) {
                ingest_poll_state_fini(&next);
                goto retry;
        }
        /* s->state is this instance's state from now on: p->stored (read only by a fresh
           s in ensure_state) is not needed again until a rebalance reloads it */
        ingest_poll_state_fini(&s->state);
        s->state = next;
        ingest_poller_count(p, "ok");
        cb_metrics_add(p->m_events, "", (double)nenv);
        if (nenv)
                cb_log_kv(CB_LOG_INFO, CB_KV("instance", inst->id),
                          "poller: instance %s: %zu new events published", inst->id, nenv);
        s->backoff_ms = 0;
        s->next_ms = cb_time_now_ms() + interval;
        goto done;
retry:
        ingest_poller_count(p, "error");
        back_off(s, interval);
done:
        filter_fini(&filter);
        for (i = 0; i < nenv; i++)
                ingest_envelope_fini(&envs[i]);
        free(envs);
        free(ids);
        free(dates);
        free(state_json);
        walk_log_fini(&log);
}
