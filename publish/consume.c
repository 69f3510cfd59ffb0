#include "consume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <json-c/linkhash.h>

#include "body.h"
#include "cb_envelope.h"
#include "cb_json.h"
#include "cb_kafka.h"
#include "cb_log.h"
#include "cb_time.h"
#include "sign.h"

/* Headers closebridge adds to records on the retry and dead-letter topics. */
#define H_ATTEMPT     "cb-attempt"     /* the number of the next attempt */
#define H_DUE         "cb-due-ms"      /* when it is due, epoch ms */
#define H_LAST_STATUS "cb-last-status" /* the last attempt's HTTP status, or "error" */
#define H_LAST_ERROR  "cb-last-error"  /* what went wrong, in words */
#define H_REASON      "cb-dead-reason" /* why it was dead-lettered */

/* One consumed message on its way to a final state. */
typedef struct item {
        struct item *next;       /* in a key's queue or a partition's held list */
        rd_kafka_message_t *rkm; /* owned */
        unsigned generation;     /* of the assignment it was consumed under */
        int attempt;             /* number of the next attempt (1 on the events topic) */
        int64_t due_ms;          /* retry topics: when the attempt is due */
        size_t step;             /* the retry step it is being moved to */
        const char *dead_reason; /* set while it is moved to the dead-letter topic (static) */
        cb_instance_t *inst;     /* while being delivered */
        char *key;               /* ordering key: instance id, '\n', subject */
        char *body;
        const char *content_type;
        char env_id[CB_ENVELOPE_ID_MAX];
        char dest[256];
        long last_status;
        char last_error[128];
} item_t;

/* Items of one ordering key: the first is being delivered, the others wait. */
typedef struct keyq {
        item_t *head, *tail;
} keyq_t;

/* A paused retry-topic partition and the items held until due. */
typedef struct held {
        char *topic;
        int32_t partition;
        item_t *head, *tail;
} held_t;

typedef struct publish_state {
        struct lh_table *keys; /* key -> keyq_t */
        size_t key_deletes;    /* since keys was last rebuilt (see forget_key) */
        held_t *held;
        size_t nheld;
        item_t *reproduce; /* items whose move to another topic must be tried again */
        unsigned generation;
        int64_t last_commit_ms;
        int stored;               /* offsets stored since the last commit */
        int64_t synced_ms;        /* when the instances table last caught up (instance_of) */
        struct lh_table *unknown; /* ids that catch-up did not find (keys owned, no values) */
} publish_state_t;

static const char *topic_of(const item_t *it)
{
        return rd_kafka_topic_name(it->rkm->rkt);
}

static void item_free(item_t *it)
{
        if (!it)
                return;
        rd_kafka_message_destroy(it->rkm);
        cb_instance_release(it->inst);
        free(it->key);
        free(it->body);
        free(it);
}

/* The item reached a final state: its partition's position to commit moves (see offsets.h),
 * and it is freed. */
static void final(publish_t *pub, item_t *it)
{
        publish_offsets_done(pub->offsets, topic_of(it), it->rkm->partition, it->rkm->offset);
        pub->state->stored++;
        item_free(it);
}

static void count(cb_metric_family_t *fam, const char *label, const char *value)
{
        char labels[96];

        snprintf(labels, sizeof(labels), "%s=\"%s\"", label, value);
        cb_metrics_add(fam, labels, 1);
}

static void skip(publish_t *pub, item_t *it, const char *why)
{
        char part[16], off[24];

        snprintf(part, sizeof(part), "%d", (int)it->rkm->partition);
        snprintf(off, sizeof(off), "%lld", (long long)it->rkm->offset);
        cb_log_kv(
            CB_LOG_INFO,
            CB_KV("topic", topic_of(it), "partition", part, "offset", off, "envelope", it->env_id),
            "envelope skipped: %s", why);
        count(pub->m_deliveries, "outcome", "skipped");
        final(pub, it);
}

/* ---- records on other topics ---- */

/* A header of rkm as a new string, or NULL. */
static char *header(const rd_kafka_message_t *rkm, const char *name)
{
        rd_kafka_headers_t *hdrs;
        const void *val;
        size_t size;
        char *s;

        if (rd_kafka_message_headers(rkm, &hdrs) ||
            rd_kafka_header_get_last(hdrs, name, &val, &size) || !val)
                return NULL;
        s = malloc(size + 1);
        if (s) {
                memcpy(s, val, size);
                s[size] = '\0';
        }
        return s;
}

/* Produces it's record (same key and value, its headers but closebridge's own) to topic with
 * extra headers, the item as the report's opaque. Returns 0, or -1 when refused at once. */
static int produce_moved(publish_t *pub, item_t *it, const char *topic, const char *const *extra)
{
        rd_kafka_headers_t *in, *out;
        const char *name;
        const void *val;
        size_t size, i;
        rd_kafka_resp_err_t err;

        out = rd_kafka_headers_new(16);
        if (!rd_kafka_message_headers(it->rkm, &in))
                for (i = 0; !rd_kafka_header_get_all(in, i, &name, &val, &size); i++)
                        if (strncmp(name, "cb-", 3))
                                rd_kafka_header_add(out, name, -1, val, (ssize_t)size);
        for (; extra[0]; extra += 2)
                rd_kafka_header_add(out, extra[0], -1, extra[1], -1);
        err = rd_kafka_producev(pub->prk, RD_KAFKA_V_TOPIC(topic),
                                RD_KAFKA_V_KEY(it->rkm->key, it->rkm->key_len),
                                RD_KAFKA_V_VALUE(it->rkm->payload, it->rkm->len),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(out),
                                RD_KAFKA_V_OPAQUE(it), RD_KAFKA_V_END);
        if (err) {
                rd_kafka_headers_destroy(out);
                cb_log_warn("cannot produce to %s: %s; trying again", topic, rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

/* Sends it on to the retry topic of step, for attempt number `attempt` due at due_ms.
 * Final once acknowledged. */
static void move_to_retry(publish_t *pub, item_t *it, size_t step, int attempt, int64_t due_ms)
{
        char topic[PUBLISH_TOPIC_MAX], a[16], due[24], status[24];
        const char *extra[] = {H_ATTEMPT,      a,   H_DUE, due, H_LAST_STATUS, status, H_LAST_ERROR,
                               it->last_error, NULL};

        publish_ladder_topic(&pub->ladder, step, pub->topic_events, topic, sizeof(topic));
        snprintf(a, sizeof(a), "%d", attempt);
        snprintf(due, sizeof(due), "%lld", (long long)due_ms);
        if (it->last_status > 0)
                snprintf(status, sizeof(status), "%ld", it->last_status);
        else
                snprintf(status, sizeof(status), "error");
        it->attempt = attempt;
        it->due_ms = due_ms;
        it->step = step;
        if (produce_moved(pub, it, topic, extra)) {
                it->next = pub->state->reproduce;
                pub->state->reproduce = it;
        }
}

static void move_to_dlq(publish_t *pub, item_t *it, const char *reason)
{
        char a[16], status[24];
        const char *extra[] = {H_ATTEMPT,     a,      H_REASON,     reason,
                               H_LAST_STATUS, status, H_LAST_ERROR, it->last_error,
                               NULL};

        snprintf(a, sizeof(a), "%d", it->attempt);
        if (it->last_status > 0)
                snprintf(status, sizeof(status), "%ld", it->last_status);
        else
                snprintf(status, sizeof(status), "error");
        if (!it->dead_reason) /* not again when the move is retried */
                cb_log_kv(CB_LOG_WARN,
                          CB_KV("envelope", it->env_id, "instance", it->inst ? it->inst->id : "",
                                "attempt", a, "status", status),
                          "dead-lettered: %s", reason);
        it->dead_reason = reason;
        if (produce_moved(pub, it, pub->topic_dlq, extra)) {
                it->next = pub->state->reproduce;
                pub->state->reproduce = it;
        }
}

/* The producer's delivery report: a moved item is final once its new record is stored. */
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
        publish_t *pub = opaque;
        item_t *it = rkm->_private;

        (void)rk;
        if (!it)
                return; /* an attempts-log record */
        if (rkm->err) {
                cb_log_kv(CB_LOG_WARN,
                          CB_KV("envelope", it->env_id, "topic", rd_kafka_topic_name(rkm->rkt)),
                          "moving the envelope failed: %s; trying again",
                          rd_kafka_err2str(rkm->err));
                it->next = pub->state->reproduce;
                pub->state->reproduce = it;
                return;
        }
        final(pub, it);
}

/* Writes one record per attempt to the attempts topic (best effort: a lost log record loses
 * no event). */
static void log_attempt(publish_t *pub, const item_t *it, const publish_job_t *job,
                        const char *outcome, int64_t next_due_ms)
{
        json_object *rec = json_object_new_object();
        char url[512], at[40];
        const char *s, *u, *atsign, *hostend;

        /* the URL without credentials */
        u = job ? job->url : it->inst ? it->inst->callback_url : "";
        s = strstr(u, "://");
        hostend = s ? s + 3 + strcspn(s + 3, "/?#") : NULL;
        atsign = s ? memchr(s + 3, '@', (size_t)(hostend - s - 3)) : NULL;
        if (atsign)
                snprintf(url, sizeof(url), "%.*s%s", (int)(s + 3 - u), u, atsign + 1);
        else
                snprintf(url, sizeof(url), "%s", u);
        cb_time_format_ms(cb_time_now_us(), at, sizeof(at));
        json_object_object_add(rec, "envelopeId", json_object_new_string(it->env_id));
        json_object_object_add(rec, "instanceId",
                               json_object_new_string(it->inst ? it->inst->id : ""));
        json_object_object_add(rec, "url", json_object_new_string(url));
        json_object_object_add(rec, "attempt", json_object_new_int(it->attempt));
        json_object_object_add(
            rec, "status", job && job->status > 0 ? json_object_new_int((int)job->status) : NULL);
        json_object_object_add(rec, "error",
                               it->last_error[0] ? json_object_new_string(it->last_error) : NULL);
        json_object_object_add(rec, "durationMs",
                               json_object_new_int64(job ? job->duration_ms : 0));
        json_object_object_add(rec, "outcome", json_object_new_string(outcome));
        json_object_object_add(rec, "nextDueMs",
                               next_due_ms > 0 ? json_object_new_int64(next_due_ms) : NULL);
        json_object_object_add(rec, "at", json_object_new_string(at));
        s = json_object_to_json_string_ext(rec,
                                           JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (rd_kafka_producev(pub->prk, RD_KAFKA_V_TOPIC(pub->topic_deliveries),
                              RD_KAFKA_V_KEY(it->rkm->key, it->rkm->key_len),
                              RD_KAFKA_V_VALUE((void *)s, strlen(s)),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END))
                cb_log_warn("attempts log record for %s dropped: producer queue full", it->env_id);
        json_object_put(rec);
}

/* ---- ordering by key ---- */

static void dispatch(publish_t *pub, item_t *it);

static void unknown_free(struct lh_entry *e)
{
        free(lh_entry_k(e));
}

/* The instance of id (a reference), or NULL when there is none. An unknown id makes the
 * instances table catch up with closeio.instances first: the instance may have been written
 * just before the event. A catch-up takes tens of milliseconds with the consumer loop waiting,
 * so an id one did not find is looked for again only once it is a second old: a backlog of a
 * deleted instance's envelopes took one catch-up each, about 50 ms an envelope. */
static cb_instance_t *instance_of(publish_t *pub, const char *id)
{
        publish_state_t *st = pub->state;
        cb_instance_t *inst = cb_table_get(pub->table, id);
        struct lh_table *fresh;
        int64_t now;
        char *key;

        if (inst)
                return inst;
        now = cb_time_now_ms();
        if (now - st->synced_ms < 1000) {
                if (lh_table_lookup_entry(st->unknown, id))
                        return NULL;
        } else if (st->unknown->count && (fresh = lh_kchar_table_new(16, unknown_free))) {
                /* what earlier catch-ups did not find is looked for again */
                lh_table_free(st->unknown);
                st->unknown = fresh;
        }
        cb_table_sync(pub->table, 5000);
        cb_metrics_add(pub->m_table_syncs, "", 1);
        st->synced_ms = now;
        inst = cb_table_get(pub->table, id);
        if (!inst && (key = strdup(id)) && lh_table_insert(st->unknown, key, NULL))
                free(key);
        return inst;
}

static void keyq_free(struct lh_entry *e)
{
        free(lh_entry_k(e));
        free(lh_entry_v(e));
}

/* Queues it behind the others of its key; dispatches it when it is the only one. */
static void enqueue(publish_t *pub, item_t *it)
{
        keyq_t *q;
        void *v;
        char *k;

        if (lh_table_lookup_ex(pub->state->keys, it->key, &v)) {
                q = v;
                q->tail->next = it;
                q->tail = it;
                return;
        }
        q = calloc(1, sizeof(*q));
        k = strdup(it->key);
        if (!q || !k || lh_table_insert(pub->state->keys, k, q)) {
                free(q);
                free(k);
                dispatch(pub, it); /* out of memory: deliver without the ordering guard */
                return;
        }
        q->head = q->tail = it;
        dispatch(pub, it);
}

/* Deletes key from the ordering table. json-c's lh_table never reuses the slots of deleted
 * entries, so a table that sees an insert and a delete per message would fill with them and
 * every lookup would scan it: once as many deletes as slots have happened, the live entries
 * move to a fresh table. */
static void forget_key(publish_t *pub, const char *key)
{
        publish_state_t *st = pub->state;
        struct lh_table *fresh;
        struct lh_entry *e, *next;

        lh_table_delete(st->keys, key);
        if (++st->key_deletes < (size_t)st->keys->size)
                return;
        fresh = lh_kchar_table_new(st->keys->size, keyq_free);
        if (!fresh)
                return;
        for (e = st->keys->head; e; e = next) {
                next = e->next;
                lh_table_insert(fresh, lh_entry_k(e), lh_entry_v(e));
        }
        st->keys->free_fn = NULL; /* the entries moved: free only the old table */
        lh_table_free(st->keys);
        st->keys = fresh;
        st->key_deletes = 0;
}

/* it's attempt is over: the next of its key may go. Call before it may be freed. */
static void release_key(publish_t *pub, item_t *it)
{
        keyq_t *q;
        item_t *next;
        void *v;

        if (!lh_table_lookup_ex(pub->state->keys, it->key, &v))
                return;
        q = v;
        if (q->head != it)
                return;
        next = it->next;
        it->next = NULL;
        q->head = next;
        if (!next) {
                forget_key(pub, it->key);
                return;
        }
        dispatch(pub, next);
}

/* ---- one attempt ---- */

/* The attempt's request headers, "Name: value" each. */
static struct curl_slist *request_headers(const item_t *it)
{
        char line[PUBLISH_SIGN_MAX + 64], sig[PUBLISH_SIGN_MAX];
        struct curl_slist *h = NULL, *t;
        const char *secret = cb_instance_config(it->inst, "event.notification.secret");
        const char *key = cb_instance_config(it->inst, "event.notification.signature.key");
        long long now = (long long)time(NULL);
        size_t len = strlen(it->body);

#define ADD(...)                                                                                   \
        do {                                                                                       \
                snprintf(line, sizeof(line), __VA_ARGS__);                                         \
                if (!(t = curl_slist_append(h, line)))                                             \
                        goto fail;                                                                 \
                h = t;                                                                             \
        } while (0)
        ADD("Content-Type: %s", it->content_type);
        ADD("webhook-id: %s", it->env_id);
        ADD("webhook-timestamp: %lld", now);
        if (secret && *secret) {
                if (publish_sign_standard(secret, it->env_id, now, it->body, len, sig, sizeof(sig)))
                        cb_log_warn("instance %s: event.notification.secret is not a "
                                    "whsec_ secret; sent unsigned",
                                    it->inst->id);
                else
                        ADD("webhook-signature: %s", sig);
        }
        if (key && *key && !publish_sign_elements(key, it->body, len, sig, sizeof(sig))) {
                ADD("Elements-Webhook-Signature: %s", sig);
                ADD("Elements-Webhook-Id: %s", it->env_id);
        }
        ADD("Expect:");
#undef ADD
        return h;
fail:
        curl_slist_free_all(h);
        return NULL;
}

/* Where an attempt that does not happen (open breaker) waits: the step it would go to next,
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
        size_t step;

        if (it->generation != pub->state->generation) {
                release_key(pub, it);
                item_free(it); /* its partition was handed to another member */
                return;
        }
        if (pub->ladder.steps && !publish_breaker_allow(pub->breakers, it->dest, now)) {
                step = current_step(pub, it);
                snprintf(it->last_error, sizeof(it->last_error), "circuit breaker open for %.96s",
                         it->dest);
                it->last_status = -1;
                log_attempt(pub, it, NULL, "breaker-open", now + pub->ladder.delay_s[step] * 1000);
                count(pub->m_deliveries, "outcome", "breaker-open");
                release_key(pub, it);
                move_to_retry(pub, it, step, it->attempt, now + pub->ladder.delay_s[step] * 1000);
                return;
        }
        job = calloc(1, sizeof(*job));
        if (job) {
                job->url = strdup(it->inst->callback_url);
                job->body = it->body;
                job->len = strlen(it->body);
                job->headers = request_headers(it);
                job->opaque = it;
        }
        if (!job || !job->url || !job->headers) {
                if (job)
                        job->body = NULL;
                publish_job_free(job);
                cb_log_error("out of memory building a delivery; trying again later");
                release_key(pub, it);
                move_to_retry(pub, it, current_step(pub, it), it->attempt, now + 1000);
                return;
        }
        it->body = NULL; /* the job owns it now */
        publish_engine_submit(pub->engine, job);
}

/* An attempt came back. */
static void on_result(publish_t *pub, publish_job_t *job)
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
                item_free(it);
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
        count(pub->m_attempts, "result", cls);
        cb_metrics_observe(pub->m_duration, "", (double)job->duration_ms / 1e3);

        d = publish_retry_decide(&pub->ladder, it->attempt, job->status, job->refused,
                                 job->retry_after_s, cb_config_int(pub->cfg, "retry-after-max-s"),
                                 cb_time_now_ms());
        release_key(pub, it);
        switch (d.outcome) {
        case PUBLISH_DELIVERED:
                log_attempt(pub, it, job, "delivered", 0);
                count(pub->m_deliveries, "outcome", "delivered");
                snprintf(status, sizeof(status), "%ld", job->status);
                snprintf(attempt, sizeof(attempt), "%d", it->attempt);
                cb_log_kv(CB_LOG_DEBUG,
                          CB_KV("envelope", it->env_id, "instance", it->inst->id, "attempt",
                                attempt, "status", status),
                          "delivered in %lld ms", (long long)job->duration_ms);
                final(pub, it);
                break;
        case PUBLISH_RETRY:
                log_attempt(pub, it, job, "retry", d.due_ms);
                count(pub->m_deliveries, "outcome", "retry");
                snprintf(status, sizeof(status), "%ld", job->status);
                snprintf(attempt, sizeof(attempt), "%d", it->attempt);
                cb_log_kv(CB_LOG_INFO,
                          CB_KV("envelope", it->env_id, "instance", it->inst->id, "attempt",
                                attempt, "status", status),
                          "delivery failed (%s); next attempt in %lld s", it->last_error,
                          (long long)(d.due_ms - cb_time_now_ms() + 999) / 1000);
                move_to_retry(pub, it, d.step, it->attempt + 1, d.due_ms);
                break;
        case PUBLISH_DEAD:
                log_attempt(pub, it, job, "dead", 0);
                count(pub->m_deliveries, "outcome", "dead");
                move_to_dlq(pub, it, d.reason);
                break;
        }
}

/* ---- taking messages ---- */

/* Parses, looks up and prepares it, then queues it by key. */
static void prepare(publish_t *pub, item_t *it)
{
        char id[CB_INSTANCE_ID_MAX], err[256];
        const rd_kafka_message_t *rkm = it->rkm;
        json_object *env = NULL;
        const char *env_id, *subject;
        size_t klen;

        if (!rkm->key || rkm->key_len == 0 || rkm->key_len >= sizeof(id)) {
                skip(pub, it, "no instance id key");
                return;
        }
        memcpy(id, rkm->key, rkm->key_len);
        id[rkm->key_len] = '\0';
        env = rkm->payload ? cb_json_parse(rkm->payload, rkm->len, err, sizeof(err)) : NULL;
        env_id = env ? cb_envelope_attr(env, "id") : NULL;
        if (!env_id || strlen(env_id) >= sizeof(it->env_id)) {
                json_object_put(env);
                skip(pub, it, "not an envelope");
                return;
        }
        snprintf(it->env_id, sizeof(it->env_id), "%s", env_id);
        it->inst = instance_of(pub, id);
        if (!it->inst || it->inst->disabled || !it->inst->notify_enabled ||
            !it->inst->callback_url) {
                json_object_put(env);
                skip(pub, it,
                     !it->inst            ? "instance unknown or deleted"
                     : it->inst->disabled ? "instance disabled"
                                          : "instance not enabled for notifications");
                return;
        }
        subject = cb_envelope_attr(env, "subject");
        if (!subject)
                subject = env_id;
        klen = strlen(id) + 1 + strlen(subject) + 1;
        it->key = malloc(klen);
        if (it->key)
                snprintf(it->key, klen, "%s\n%s", id, subject);
        it->body = publish_body_new(it->inst, env, rkm->payload, rkm->len, &it->content_type);
        json_object_put(env);
        if (!it->key || !it->body) {
                skip(pub, it, "cannot build the callback body");
                return;
        }
        if (publish_breaker_dest(it->inst->callback_url, it->dest, sizeof(it->dest))) {
                snprintf(it->last_error, sizeof(it->last_error), "the callback URL is not a URL");
                it->last_status = -1;
                move_to_dlq(pub, it, "event.notification.callback.url is not a URL");
                return;
        }
        enqueue(pub, it);
}

static held_t *held_of(publish_t *pub, const char *topic, int32_t partition, int create)
{
        publish_state_t *st = pub->state;
        held_t *h;
        size_t i;

        for (i = 0; i < st->nheld; i++)
                if (st->held[i].partition == partition && !strcmp(st->held[i].topic, topic))
                        return &st->held[i];
        if (!create)
                return NULL;
        h = realloc(st->held, (st->nheld + 1) * sizeof(*h));
        if (!h)
                return NULL;
        st->held = h;
        h = &st->held[st->nheld];
        memset(h, 0, sizeof(*h));
        h->topic = strdup(topic);
        h->partition = partition;
        if (!h->topic)
                return NULL;
        st->nheld++;
        return h;
}

static void pause_resume(publish_t *pub, const char *topic, int32_t partition, int pause)
{
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);

        rd_kafka_topic_partition_list_add(parts, topic, partition);
        if (pause)
                rd_kafka_pause_partitions(pub->rk, parts);
        else
                rd_kafka_resume_partitions(pub->rk, parts);
        rd_kafka_topic_partition_list_destroy(parts);
}

/* Holds a retry-topic item until it is due; its partition stays paused meanwhile, so nothing
 * behind it is fetched (each retry topic has one delay, so what follows is due later). */
static void hold(publish_t *pub, item_t *it)
{
        held_t *h = held_of(pub, topic_of(it), it->rkm->partition, 1);

        if (!h) {
                prepare(pub, it); /* out of memory: deliver early rather than lose it */
                return;
        }
        if (!h->head)
                pause_resume(pub, h->topic, h->partition, 1);
        it->next = NULL;
        if (h->tail)
                h->tail->next = it;
        else
                h->head = it;
        h->tail = it;
}

/* Releases held items that are due; resumes partitions with nothing left held. Returns the
 * milliseconds until the next one is due (or 1000). */
static int64_t release_due(publish_t *pub)
{
        publish_state_t *st = pub->state;
        int64_t now = cb_time_now_ms(), wait = 1000;
        item_t *it;
        size_t i;

        for (i = 0; i < st->nheld; i++) {
                held_t *h = &st->held[i];
                while ((it = h->head) && it->due_ms <= now) {
                        h->head = it->next;
                        if (!h->head) {
                                h->tail = NULL;
                                pause_resume(pub, h->topic, h->partition, 0);
                        }
                        it->next = NULL;
                        prepare(pub, it);
                }
                if (h->head && h->head->due_ms - now < wait)
                        wait = h->head->due_ms - now;
        }
        return wait;
}

static void on_message(publish_t *pub, rd_kafka_message_t *rkm)
{
        item_t *it = calloc(1, sizeof(*it));
        char *a, *due;

        int tracked = it ? publish_offsets_track(pub->offsets, rd_kafka_topic_name(rkm->rkt),
                                                 rkm->partition, rkm->offset)
                         : -1;

        if (tracked) {
                if (tracked < 0) /* not tracked, so never committed: redelivered after restart */
                        cb_log_error("out of memory taking a message");
                else /* its last owner finished it (the commit's metadata) */
                        count(pub->m_deliveries, "outcome", "already-final");
                pub->state->stored += tracked > 0;
                free(it);
                rd_kafka_message_destroy(rkm);
                return;
        }
        it->rkm = rkm;
        it->generation = pub->state->generation;
        it->attempt = 1;
        if (strcmp(rd_kafka_topic_name(rkm->rkt), pub->topic_events)) {
                a = header(rkm, H_ATTEMPT);
                due = header(rkm, H_DUE);
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

/* ---- the loop ---- */

static void collect_results(publish_t *pub)
{
        publish_job_t *job, *next;

        for (job = publish_engine_results(pub->engine); job; job = next) {
                next = job->next;
                on_result(pub, job);
                publish_job_free(job);
        }
        cb_metrics_set(pub->m_in_flight, "", (double)publish_engine_pending(pub->engine));
}

static void retry_moves(publish_t *pub)
{
        item_t *it = pub->state->reproduce, *next;

        pub->state->reproduce = NULL;
        for (; it; it = next) {
                next = it->next;
                it->next = NULL;
                if (it->generation != pub->state->generation)
                        item_free(it);
                else if (it->dead_reason)
                        move_to_dlq(pub, it, it->dead_reason);
                else
                        move_to_retry(pub, it, it->step, it->attempt, it->due_ms);
        }
}

/* Runs results and reports until nothing is in flight or timeout_ms passed. */
static void drain(publish_t *pub, int64_t timeout_ms)
{
        struct timespec step = {0, 2 * 1000000};
        int64_t deadline = cb_time_now_ms() + timeout_ms;

        while ((publish_engine_pending(pub->engine) || rd_kafka_outq_len(pub->prk)) &&
               cb_time_now_ms() < deadline) {
                collect_results(pub);
                rd_kafka_poll(pub->prk, 0);
                retry_moves(pub);
                nanosleep(&step, NULL);
        }
        collect_results(pub);
        rd_kafka_poll(pub->prk, 0);
}

/* Commits each partition's position (offsets.h) that changed since the last commit (every one
 * with all), with the final offsets beyond it in the metadata. */
static void commit(publish_t *pub, int async, int all)
{
        rd_kafka_topic_partition_list_t *list;
        rd_kafka_topic_partition_t *tp;
        rd_kafka_resp_err_t err;
        char meta[PUBLISH_OFFSETS_META_MAX];
        const char *topic;
        int32_t partition;
        int64_t offset;
        size_t i, n = publish_offsets_count(pub->offsets);

        if (!pub->state->stored && !all)
                return;
        pub->state->stored = 0;
        pub->state->last_commit_ms = cb_time_now_ms();
        list = rd_kafka_topic_partition_list_new((int)n);
        for (i = 0; i < n; i++) {
                if (!publish_offsets_position(pub->offsets, i, !all, &topic, &partition, &offset,
                                              meta, sizeof(meta)))
                        continue;
                tp = rd_kafka_topic_partition_list_add(list, topic, partition);
                tp->offset = offset;
                /* the list frees it */
                if (*meta && (tp->metadata = strdup(meta)))
                        tp->metadata_size = strlen(meta);
        }
        err = list->cnt ? rd_kafka_commit(pub->rk, list, async) : 0;
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                cb_log_warn("commit failed: %s", rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_destroy(list);
}

/* Starts the partitions of parts from what their last owner committed, offsets and metadata:
 * what it finished beyond its committed offset is not delivered again. Without an answer in
 * time they start from the committed offsets alone (delivered again: at least once). */
static void restore(publish_t *pub, const rd_kafka_topic_partition_list_t *parts)
{
        rd_kafka_topic_partition_list_t *got = rd_kafka_topic_partition_list_copy(parts);
        rd_kafka_resp_err_t err = rd_kafka_committed(pub->rk, got, 10000);
        const rd_kafka_topic_partition_t *tp;
        int i;

        if (err)
                cb_log_warn("committed offsets not read: %s; what the last owner finished beyond "
                            "them is delivered again",
                            rd_kafka_err2str(err));
        for (i = 0; !err && i < got->cnt; i++) {
                tp = &got->elems[i];
                if (!tp->err && tp->offset >= 0 &&
                    publish_offsets_restore(pub->offsets, tp->topic, tp->partition, tp->offset,
                                            tp->metadata, tp->metadata_size))
                        cb_log_error("out of memory restoring %s/%d", tp->topic, tp->partition);
        }
        rd_kafka_topic_partition_list_destroy(got);
}

/* Drops everything held or tracked for the current assignment. */
static void forget_assignment(publish_t *pub, rd_kafka_topic_partition_list_t *parts)
{
        publish_state_t *st = pub->state;
        item_t *it, *next;
        size_t i;
        int p;

        for (i = 0; i < st->nheld; i++) {
                if (st->held[i].head) /* we paused it: resume before handing it back */
                        pause_resume(pub, st->held[i].topic, st->held[i].partition, 0);
                for (it = st->held[i].head; it; it = next) {
                        next = it->next;
                        item_free(it);
                }
                free(st->held[i].topic);
        }
        free(st->held);
        st->held = NULL;
        st->nheld = 0;
        for (p = 0; p < parts->cnt; p++)
                publish_offsets_forget(pub->offsets, parts->elems[p].topic,
                                       parts->elems[p].partition);
        /* items still in flight, queued by key or being moved are dropped when they surface */
        st->generation++;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        publish_t *pub = opaque;

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                cb_log_info("assigned %d partitions", parts->cnt);
                restore(pub, parts);
                rd_kafka_assign(rk, parts);
                return;
        }
        /* Hand back cleanly: let attempts in flight finish, commit what is final. */
        drain(pub, cb_config_int(pub->cfg, "delivery-timeout-ms"));
        if (!rd_kafka_assignment_lost(rk))
                commit(pub, 0, 1);
        forget_assignment(pub, parts);
        cb_log_info("revoked %d partitions", parts->cnt);
        rd_kafka_assign(rk, NULL);
}

/* Reports of asynchronous commits: a refused one is logged (the next commit carries the same
 * positions or later ones, so nothing is to be redone). */
static void offset_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        (void)rk;
        (void)parts;
        (void)opaque;
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                cb_log_warn("commit failed: %s", rd_kafka_err2str(err));
}

/* Stops publish after rk's fatal error (exit status 1): nothing more is committed. */
static void on_fatal(publish_t *pub, rd_kafka_t *rk)
{
        char fatal[256];

        rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
        cb_log_error("kafka %s fatal error: %s", rd_kafka_name(rk), fatal);
        pub->fatal = 1;
        *pub->run = 0;
}

/* Only a fatal error stops publish (with exit status 1); others are logged and retried by
 * librdkafka. Runs on the consumer loop's thread, inside its polls. (The consumer's own fatal
 * errors come as messages from rd_kafka_consumer_poll instead: its queue takes the main one.) */
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
        publish_t *pub = opaque;

        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                on_fatal(pub, rk);
                return;
        }
        cb_log_warn("kafka %s: %s: %s", rd_kafka_name(rk),
                    rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
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
        for (i = 0; i < pub->ladder.steps; i++) {
                publish_ladder_topic(&pub->ladder, i, pub->topic_events, names[n],
                                     PUBLISH_TOPIC_MAX);
                for (j = 4; j < n; j++)
                        if (!strcmp(names[j], names[n]))
                                break;
                if (j == n)
                        compact[n++] = 0;
        }
        return n;
}

/* Writes the consumer's group.instance.id into buf ("" for a dynamic member). Static
 * membership lets a replica killed and restarted under the same id (a pod name, a compose
 * container's hostname: both kept across restarts) take its partitions back at once, instead of
 * the group waiting out the dead member's session. */
static void group_instance_id(const publish_t *pub, char *buf, size_t size)
{
        const char *id = cb_config_str(pub->cfg, "group-instance-id");
        char host[128] = "host";

        if (strcmp(id, "auto")) {
                snprintf(buf, size, "%s", id);
                return;
        }
        gethostname(host, sizeof(host) - 1);
        host[sizeof(host) - 1] = '\0';
        snprintf(buf, size, "closebridge-publish-%s-%lld", host,
                 (long long)cb_config_int(pub->cfg, "http-port"));
}

int publish_consumer_new(publish_t *pub, char *errstr, size_t errstr_size)
{
        char instance_id[256];
        const char *cdefaults[] = {
            "client.id", "closebridge-publish", "group.id", cb_config_str(pub->cfg, "group-id"),
            /* a member killed with SIGKILL holds its partitions until its session times out:
               librdkafka's 45 s would pause them for that long */
            "session.timeout.ms", "10000", "heartbeat.interval.ms", "3000",
            /* enable.auto.commit and .offset.store are forced below, not defaults */
            "auto.offset.reset", "earliest", "reconnect.backoff.max.ms", "1000",
            /* an idle partition answers a fetch after at most this: it
               bounds the delay of the first event after a pause */
            "fetch.wait.max.ms", "100",
            /* librdkafka prefetches 64 MiB by default: a quarter keeps the same pace
               (bench/publish) at half the memory */
            "queued.max.messages.kbytes", "16384",
            /* last, so that an empty id ends the list here; KAFKA_GROUP_INSTANCE_ID wins, like
               every librdkafka property */
            "group.instance.id", instance_id, NULL};
        const char *pdefaults[] = {"client.id", "closebridge-publish-producer",
                                   "enable.idempotence", "true", "acks", "all", "linger.ms", "5",
                                   "reconnect.backoff.max.ms", "1000",
                                   /* the topics' max.message.bytes is the limit */
                                   "message.max.bytes", CB_PRODUCER_MESSAGE_MAX, NULL};
        rd_kafka_conf_t *conf;

        group_instance_id(pub, instance_id, sizeof(instance_id));
        if (!*instance_id)
                cdefaults[sizeof(cdefaults) / sizeof(cdefaults[0]) - 3] = NULL;
        pub->state = calloc(1, sizeof(*pub->state));
        pub->offsets = publish_offsets_new();
        if (!pub->state || !pub->offsets ||
            !(pub->state->keys = lh_kchar_table_new(1024, keyq_free)) ||
            !(pub->state->unknown = lh_kchar_table_new(16, unknown_free))) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        conf = cb_kafka_conf_new(pub->cfg, cdefaults, errstr, errstr_size);
        if (!conf)
                return -1;
        /* Offsets move only when an envelope is final; nothing may commit on its own. */
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", NULL, 0);
        rd_kafka_conf_set(conf, "enable.auto.offset.store", "false", NULL, 0);
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        rd_kafka_conf_set_offset_commit_cb(conf, offset_commit_cb);
        rd_kafka_conf_set_error_cb(conf, error_cb);
        rd_kafka_conf_set_opaque(conf, pub);
        pub->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
        if (!pub->rk) {
                rd_kafka_conf_destroy(conf);
                return -1;
        }
        rd_kafka_poll_set_consumer(pub->rk);

        conf = cb_kafka_conf_new(pub->cfg, pdefaults, errstr, errstr_size);
        if (!conf)
                return -1;
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
        rd_kafka_conf_set_error_cb(conf, error_cb);
        rd_kafka_conf_set_opaque(conf, pub);
        pub->prk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
        if (!pub->prk) {
                rd_kafka_conf_destroy(conf);
                return -1;
        }
        return 0;
}

int publish_consume_loop(publish_t *pub)
{
        char names[PUBLISH_LADDER_MAX + 5][PUBLISH_TOPIC_MAX];
        int compact[PUBLISH_LADDER_MAX + 5];
        rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(8);
        rd_kafka_message_t *rkm;
        rd_kafka_resp_err_t err;
        size_t n = publish_topics(pub, names, compact), i;
        size_t max_in_flight = (size_t)cb_config_int(pub->cfg, "max-in-flight");
        int64_t commit_interval = cb_config_int(pub->cfg, "commit-interval-ms");
        int64_t wait;
        int timeout;

        rd_kafka_topic_partition_list_add(topics, pub->topic_events, RD_KAFKA_PARTITION_UA);
        for (i = 4; i < n; i++)
                rd_kafka_topic_partition_list_add(topics, names[i], RD_KAFKA_PARTITION_UA);
        err = rd_kafka_subscribe(pub->rk, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (err) {
                cb_log_error("cannot subscribe: %s", rd_kafka_err2str(err));
                return -1;
        }
        while (*pub->run) {
                collect_results(pub);
                rd_kafka_poll(pub->prk, 0);
                retry_moves(pub);
                wait = release_due(pub);
                if (cb_time_now_ms() - pub->state->last_commit_ms >= commit_interval)
                        commit(pub, 1, 0);
                if (publish_engine_pending(pub->engine) >= max_in_flight) {
                        /* full: wait for attempts to come back, not for more messages */
                        struct timespec step = {0, 1000000};
                        nanosleep(&step, NULL);
                        continue;
                }
                timeout = publish_engine_pending(pub->engine) || rd_kafka_outq_len(pub->prk) ? 2
                          : wait < 100 ? (int)(wait > 0 ? wait : 0)
                                       : 100;
                rkm = rd_kafka_consumer_poll(pub->rk, timeout);
                if (!rkm)
                        continue;
                if (rkm->err) {
                        if (rkm->err == RD_KAFKA_RESP_ERR__FATAL)
                                on_fatal(pub, pub->rk);
                        else if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                cb_log_warn("consumer: %s", rd_kafka_message_errstr(rkm));
                        rd_kafka_message_destroy(rkm);
                        continue;
                }
                on_message(pub, rkm);
        }
        cb_log_info("stopping: %zu attempts in flight", publish_engine_pending(pub->engine));
        if (pub->fatal)
                return -1; /* nothing more can be produced or committed safely */
        drain(pub, cb_config_int(pub->cfg, "delivery-timeout-ms") + 1000);
        rd_kafka_flush(pub->prk, 10000);
        rd_kafka_poll(pub->prk, 0);
        commit(pub, 0, 1);
        return 0;
}

void publish_consumer_close(publish_t *pub)
{
        publish_state_t *st = pub->state;
        item_t *it, *next;
        size_t i;

        /* rd_kafka_destroy waits for every message of its consumer to be destroyed, and items
           own theirs (held for a retry topic, say): the producer's reports first (they refer to
           items), then the items, then the consumer. */
        if (pub->prk)
                rd_kafka_flush(pub->prk, 5000);
        if (st) {
                for (i = 0; i < st->nheld; i++) {
                        for (it = st->held[i].head; it; it = next) {
                                next = it->next;
                                item_free(it);
                        }
                        free(st->held[i].topic);
                }
                free(st->held);
                for (it = st->reproduce; it; it = next) {
                        next = it->next;
                        item_free(it);
                }
                if (st->keys)
                        lh_table_free(st->keys);
                if (st->unknown)
                        lh_table_free(st->unknown);
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
