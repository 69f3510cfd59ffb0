#include "consume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attempt_log.h"
#include "body.h"
#include "cb_json.h"
#include "cb_kafka.h"
#include "cb_log.h"
#include "cb_time.h"
#include "client.h"
#include "group.h"
#include "move.h"
#include "request.h"
#include "state.h"

typedef publish_item_t item_t;

void publish_final(publish_t *pub, item_t *it)
{
        publish_offsets_done(pub->offsets, publish_item_topic(it), it->rkm->partition,
                             it->rkm->offset);
        pub->state->stored++;
        publish_item_free(it);
}

void publish_count(cb_metric_family_t *fam, const char *label, const char *value)
{
        char labels[96];

        snprintf(labels, sizeof(labels), "%s=\"%s\"", label, value);
        cb_metrics_add(fam, labels, 1);
}

static void log_attempt(publish_t *pub, const item_t *it, const publish_job_t *job,
                        const char *outcome, int64_t next_due_ms);

static void skip(publish_t *pub, item_t *it, const char *why)
{
        char part[16], off[24];

        snprintf(part, sizeof(part), "%d", (int)it->rkm->partition);
        snprintf(off, sizeof(off), "%lld", (long long)it->rkm->offset);
        cb_log_kv(CB_LOG_INFO,
                  CB_KV("topic", publish_item_topic(it), "partition", part, "offset", off,
                        "envelope", it->env_id),
                  "envelope skipped: %s", why);
        publish_count(pub->m_deliveries, "outcome", "skipped");
        /* the console shows why an event went nowhere; only an envelope can be named */
        if (it->env_id[0] && it->rkm->key_len) {
                snprintf(it->last_error, sizeof(it->last_error), "%s", why);
                log_attempt(pub, it, NULL, "skipped", 0);
        }
        publish_final(pub, it);
}

static void log_attempt(publish_t *pub, const item_t *it, const publish_job_t *job,
                        const char *outcome, int64_t next_due_ms)
{
        publish_attempt_log(pub->prk, pub->topic_deliveries, it, job, outcome, next_due_ms);
}

/* ---- one attempt ---- */

static void dispatch(publish_t *pub, item_t *it);

/* it's attempt is over (call before it may be freed): the next of its key may go. */
static void release_key(publish_t *pub, item_t *it)
{
        cb_turn_t *next = cb_turns_release(pub->state->keys, &it->turn);

        if (next)
                dispatch(pub, CB_TURN_ENTRY(next, item_t, turn));
}

/* What follows a failed attempt, made (job) or stood in for by an open breaker (job NULL), as
 * d decides: the retry topic of its next step (outcome label: "retry" or "breaker-open"), or
 * the dead-letter topic. Takes it. */
static void after_failure(publish_t *pub, item_t *it, const publish_job_t *job,
                          publish_decision_t d, const char *label)
{
        if (d.outcome == PUBLISH_RETRY) {
                log_attempt(pub, it, job, label, d.due_ms);
                publish_count(pub->m_deliveries, "outcome", label);
                publish_move_retry(pub, it, d.step, it->attempt + 1, d.due_ms);
                return;
        }
        log_attempt(pub, it, job, "dead", 0);
        publish_count(pub->m_deliveries, "outcome", "dead");
        publish_move_dlq(pub, it, d.reason);
}

/* An attempt that does not happen: it's destination's circuit breaker is open. It counts as a
 * failed attempt (the destination is failing), without an HTTP request: the event goes on
 * along the ladder as a transport error would take it, and to the dead-letter topic after the
 * last step, so a destination that never recovers does not keep its events for ever. */
static void breaker_open(publish_t *pub, item_t *it, int64_t now)
{
        publish_decision_t d = publish_retry_decide(&pub->ladder, it->attempt, -1, 0, -1, 0, now);

        snprintf(it->last_error, sizeof(it->last_error), "circuit breaker open for %.96s",
                 it->dest);
        it->last_status = -1;
        if (d.outcome == PUBLISH_DEAD)
                d.reason = "retries exhausted (the destination's circuit breaker was open)";
        release_key(pub, it);
        after_failure(pub, it, NULL, d, "breaker-open");
}

/* Where an attempt that could not be made (out of memory) waits: the step it would go to next,
 * without using up an attempt. */
static size_t current_step(const publish_t *pub, const item_t *it)
{
        size_t step = it->attempt > 1 ? (size_t)it->attempt - 2 : 0;

        return step < pub->ladder.steps ? step : pub->ladder.steps - 1;
}

static void dispatch(publish_t *pub, item_t *it)
{
        publish_job_t *job;
        int64_t now = cb_time_now_ms();

        if (it->generation != pub->state->generation) {
                release_key(pub, it);
                publish_item_free(it); /* its partition was handed to another member */
                return;
        }
        if (pub->ladder.steps && !publish_breaker_allow(pub->breakers, it->dest, now)) {
                breaker_open(pub, it, now);
                return;
        }
        job = calloc(1, sizeof(*job));
        if (job) {
                job->url = strdup(it->inst->callback_url);
                job->body = it->body;
                job->len = strlen(it->body);
                job->headers = publish_request_headers(it->inst, it->env_id, it->body,
                                                       it->content_type, (long long)time(NULL));
                job->opaque = it;
                job->dest = it->dest; /* the item outlives the attempt */
        }
        if (!job || !job->url || !job->headers) {
                if (job)
                        job->body = NULL;
                publish_job_free(job);
                cb_log_error("out of memory building a delivery; trying again later");
                release_key(pub, it);
                publish_move_retry(pub, it, current_step(pub, it), it->attempt, now + 1000);
                return;
        }
        it->body = NULL; /* the job owns it now */
        publish_engine_submit(pub->engine, job);
}
void publish_take_result(publish_t *pub, publish_job_t *job)
{
        item_t *it = job->opaque;
        publish_decision_t d;
        int ok = job->status >= 200 && job->status < 300;
        char cls[8], status[24], attempt[16];

        it->body = job->body; /* back from the job, for a possible next attempt */
        job->body = NULL;
        if (it->generation != pub->state->generation) {
                /* revoked meanwhile: the new owner takes it from the last commit */
                release_key(pub, it);
                publish_item_free(it);
                return;
        }
        publish_breaker_result(pub->breakers, it->dest, ok, cb_time_now_ms());
        cb_metrics_set(pub->m_breakers, "", (double)publish_breakers_open(pub->breakers));
        it->last_status = job->status;
        if (job->status < 0)
                snprintf(it->last_error, sizeof(it->last_error), "%.120s", job->error);
        else if (!ok)
                snprintf(it->last_error, sizeof(it->last_error), "HTTP %ld", job->status);
        else
                it->last_error[0] = '\0';
        snprintf(cls, sizeof(cls), "%s",
                 job->status < 0     ? "error"
                 : job->status < 300 ? "2xx"
                 : job->status < 500 ? "4xx"
                                     : "5xx");
        publish_count(pub->m_attempts, "result", cls);
        cb_metrics_observe(pub->m_duration, "", (double)job->duration_ms / 1e3);

        d = publish_retry_decide(&pub->ladder, it->attempt, job->status, job->refused,
                                 job->retry_after_s, pub->conf.retry_after_max_s, cb_time_now_ms());
        release_key(pub, it);
        snprintf(status, sizeof(status), "%ld", job->status);
        snprintf(attempt, sizeof(attempt), "%d", it->attempt);
        switch (d.outcome) {
        case PUBLISH_DELIVERED:
                log_attempt(pub, it, job, "delivered", 0);
                publish_count(pub->m_deliveries, "outcome", "delivered");
                cb_log_kv(CB_LOG_DEBUG,
                          CB_KV("envelope", it->env_id, "instance", it->inst->id, "attempt",
                                attempt, "status", status),
                          "delivered in %lld ms", (long long)job->duration_ms);
                publish_final(pub, it);
                break;
        case PUBLISH_RETRY:
                cb_log_kv(CB_LOG_INFO,
                          CB_KV("envelope", it->env_id, "instance", it->inst->id, "attempt",
                                attempt, "status", status),
                          "delivery failed (%s); next attempt in %lld s", it->last_error,
                          (long long)(d.due_ms - cb_time_now_ms() + 999) / 1000);
                /* fall through */
        case PUBLISH_DEAD:
                after_failure(pub, it, job, d, "retry");
                break;
        }
}

/* ---- taking messages ---- */

/* Parses, looks up and prepares it, then queues it by key. */
static void prepare(publish_t *pub, item_t *it)
{
        char id[CB_INSTANCE_ID_MAX], err[256];
        const rd_kafka_message_t *rkm = it->rkm;
        yyjson_doc *doc;
        yyjson_val *env;
        const char *env_id, *subject;
        size_t klen;

        if (!rkm->key || rkm->key_len == 0 || rkm->key_len >= sizeof(id)) {
                skip(pub, it, "no instance id key");
                return;
        }
        memcpy(id, rkm->key, rkm->key_len);
        id[rkm->key_len] = '\0';
        /* read once, with yyjson: the envelope's attributes and the body come from this tree */
        doc = rkm->payload
                  ? cb_json_read(rkm->payload, rkm->len, CB_JSON_MAX_DEPTH, err, sizeof(err))
                  : NULL;
        env = yyjson_doc_get_root(doc);
        env_id = yyjson_get_str(yyjson_obj_get(env, "id"));
        if (!env_id || strlen(env_id) >= sizeof(it->env_id)) {
                yyjson_doc_free(doc);
                skip(pub, it, "not an envelope");
                return;
        }
        snprintf(it->env_id, sizeof(it->env_id), "%s", env_id);
        it->inst = publish_lookup(pub->state->lookup, pub->table, id, cb_time_now_ms());
        if (!it->inst || it->inst->disabled || !it->inst->notify_enabled ||
            !it->inst->callback_url) {
                yyjson_doc_free(doc);
                skip(pub, it,
                     !it->inst            ? "instance unknown or deleted"
                     : it->inst->disabled ? "instance disabled"
                                          : "instance not enabled for notifications");
                return;
        }
        subject = yyjson_get_str(yyjson_obj_get(env, "subject"));
        if (!subject)
                subject = env_id;
        klen = strlen(id) + 1 + strlen(subject) + 1;
        it->key = malloc(klen);
        if (it->key)
                snprintf(it->key, klen, "%s\n%s", id, subject);
        it->body = publish_body_new(it->inst, env, rkm->payload, rkm->len, &it->content_type);
        yyjson_doc_free(doc);
        if (!it->key || !it->body) {
                skip(pub, it, "cannot build the callback body");
                return;
        }
        if (publish_breaker_dest(it->inst->callback_url, it->dest, sizeof(it->dest))) {
                snprintf(it->last_error, sizeof(it->last_error), "the callback URL is not a URL");
                it->last_status = -1;
                publish_move_dlq(pub, it, "event.notification.callback.url is not a URL");
                return;
        }
        if (cb_turns_admit(pub->state->keys, it->key, &it->turn)) /* first, or unguarded */
                dispatch(pub, it);
}

/* Holds a retry-topic item until it is due (parked.h), its partition paused meanwhile. */
static void hold(publish_t *pub, item_t *it)
{
        int first =
            publish_parked_hold(pub->state->parked, publish_item_topic(it), it->rkm->partition, it);

        if (first < 0)
                prepare(pub, it); /* out of memory: deliver early rather than lose it */
        else if (first)
                publish_group_pause(pub, publish_item_topic(it), it->rkm->partition, 1);
}

int64_t publish_release_due(publish_t *pub, int64_t limit_ms)
{
        int64_t now = cb_time_now_ms();
        const char *topic;
        int32_t partition;
        int empty;
        item_t *it;

        while (
            (it = publish_parked_take_due(pub->state->parked, now, &topic, &partition, &empty))) {
                if (empty)
                        publish_group_pause(pub, topic, partition, 0);
                prepare(pub, it);
        }
        return publish_parked_wait(pub->state->parked, now, limit_ms);
}

void publish_take_message(publish_t *pub, rd_kafka_message_t *rkm)
{
        item_t *it = calloc(1, sizeof(*it));
        char *a, *due, *replay;

        int tracked = it ? publish_offsets_track(pub->offsets, rd_kafka_topic_name(rkm->rkt),
                                                 rkm->partition, rkm->offset)
                         : -1;

        if (tracked) {
                if (tracked < 0) /* not tracked, so never committed: redelivered after restart */
                        cb_log_error("out of memory taking a message");
                else /* its last owner finished it (the commit's metadata) */
                        publish_count(pub->m_deliveries, "outcome", "already-final");
                pub->state->stored += tracked > 0;
                free(it);
                rd_kafka_message_destroy(rkm);
                return;
        }
        it->rkm = rkm;
        it->generation = pub->state->generation;
        it->attempt = 1;
        if (strcmp(rd_kafka_topic_name(rkm->rkt), pub->topic_events)) {
                a = publish_item_header(rkm, PUBLISH_H_ATTEMPT);
                due = publish_item_header(rkm, PUBLISH_H_DUE);
                replay = publish_item_header(rkm, CB_HEADER_REPLAY);
                if (replay)
                        snprintf(it->replay, sizeof(it->replay), "%s", replay);
                free(replay);
                if (a && atoi(a) > 0)
                        it->attempt = atoi(a);
                if (due)
                        it->due_ms = strtoll(due, NULL, 10);
                free(a);
                free(due);
                if (it->due_ms > cb_time_now_ms()) {
                        hold(pub, it);
                        return;
                }
        }
        prepare(pub, it);
}

size_t publish_topics(const publish_t *pub, char names[][PUBLISH_TOPIC_MAX], int *compact)
{
        size_t n = 0, i, j;

        snprintf(names[n], PUBLISH_TOPIC_MAX, "%s", pub->topic_events);
        compact[n++] = 0;
        snprintf(names[n], PUBLISH_TOPIC_MAX, "%s", pub->topic_instances);
        compact[n++] = 1;
        snprintf(names[n], PUBLISH_TOPIC_MAX, "%s", pub->topic_dlq);
        compact[n++] = 0;
        snprintf(names[n], PUBLISH_TOPIC_MAX, "%s", pub->topic_deliveries);
        compact[n++] = 0;
        snprintf(names[n], PUBLISH_TOPIC_MAX, "%s", pub->topic_replay);
        compact[n++] = 0;
        for (i = 0; i < pub->ladder.steps; i++) {
                publish_ladder_topic(&pub->ladder, i, pub->topic_events, names[n],
                                     PUBLISH_TOPIC_MAX);
                for (j = 5; j < n; j++)
                        if (!strcmp(names[j], names[n]))
                                break;
                if (j == n)
                        compact[n++] = 0;
        }
        return n;
}

int publish_consumer_new(publish_t *pub, char *errstr, size_t errstr_size)
{
        pub->state = calloc(1, sizeof(*pub->state));
        pub->offsets = publish_offsets_new();
        if (!pub->state || !pub->offsets || !(pub->state->keys = cb_turns_new(1)) ||
            !(pub->state->parked = publish_parked_new()) ||
            !(pub->state->lookup = publish_lookup_new(pub->m_table_syncs))) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        if (publish_client_consumer(pub, errstr, errstr_size))
                return -1;
        return publish_client_producer(pub, errstr, errstr_size);
}

void publish_consumer_close(publish_t *pub)
{
        publish_state_t *st = pub->state;
        item_t *it, *next;
        cb_turn_t *turn, *tnext;

        /* rd_kafka_destroy waits for every message of its consumer to be destroyed, and items
           own theirs (held for a retry topic, say): the producer's reports first (they refer to
           items), then the items, then the consumer. */
        if (pub->prk)
                rd_kafka_flush(pub->prk, 5000);
        if (st) {
                publish_group_commits_close(pub);
                publish_parked_destroy(st->parked);
                for (it = st->reproduce; it; it = next) {
                        next = it->next;
                        publish_item_free(it);
                }
                /* waiting behind another of their key (own messages too) */
                for (turn = cb_turns_take_waiting(st->keys); turn; turn = tnext) {
                        tnext = turn->next;
                        publish_item_free(CB_TURN_ENTRY(turn, item_t, turn));
                }
                cb_turns_destroy(st->keys);
                publish_lookup_destroy(st->lookup);
                free(st);
                pub->state = NULL;
        }
        cb_kafka_consumer_destroy(pub->rk, 5000);
        pub->rk = NULL;
        if (pub->prk) {
                rd_kafka_destroy(pub->prk);
                pub->prk = NULL;
        }
        publish_offsets_destroy(pub->offsets);
        pub->offsets = NULL;
}
