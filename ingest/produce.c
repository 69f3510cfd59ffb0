#include "produce.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_json.h"
#include "cb_kafka.h"
#include "cb_log.h"
#include "cb_metrics.h"
#include "cb_thread.h"
#include "cb_time.h"

struct ingest_producer {
        long retry_after_s;           /* what a 503 asks for */
        cb_metric_family_t *produced; /* envelopes by result */
        cb_metric_family_t *ack_time; /* from produce to the last acknowledgement of a request */
        rd_kafka_t *rk;
        cb_thread_t thread; /* poll_main */
        int fatal;          /* atomic */
        size_t record_max;  /* set before requests come; then read only */
};

/* What a delivery report's opaque points to: a request's batch or a start-up write. */
enum { OP_BATCH = 1, OP_SYNC };

typedef struct batch {
        int kind; /* OP_BATCH */
        ingest_producer_t *p;
        cb_http_req_t *req; /* one reference */
        int pending;        /* atomic: records not yet reported */
        int failed;         /* atomic */
        int too_large;      /* atomic: Kafka refused a record for its size */
        char *accepted;     /* the 202 body */
        int64_t started_us; /* when its records were handed to the producer */
} batch_t;

typedef struct sync_wait {
        int kind; /* OP_SYNC */
        pthread_mutex_t mtx;
        pthread_cond_t cond;
        int done;
        rd_kafka_resp_err_t err;
        int64_t offset;
} sync_wait_t;

static void batch_finish(batch_t *b)
{
        char retry[16];

        cb_metrics_observe(b->p->ack_time, "", (double)(cb_time_now_us() - b->started_us) / 1e6);
        if (__atomic_load_n(&b->too_large, __ATOMIC_ACQUIRE)) {
                /* permanent: sent again, it is refused again */
                cb_http_respond_error(b->req, 413,
                                      "the event is larger than the Kafka topic takes "
                                      "(max.message.bytes); see docs/limits.md");
        } else if (__atomic_load_n(&b->failed, __ATOMIC_ACQUIRE)) {
                snprintf(retry, sizeof(retry), "%ld", b->p->retry_after_s);
                cb_http_respond_error_h(b->req, 503,
                                        "Kafka did not acknowledge the event in time; send it "
                                        "again",
                                        "Retry-After", retry);
        } else {
                cb_http_respond(b->req, 202, NULL, b->accepted, strlen(b->accepted), NULL, NULL);
        }
        cb_http_req_unref(b->req);
        free(b->accepted);
        free(b);
}

/* Counts k records of b as done (failed: with that error); the last one answers. */
static void batch_done(batch_t *b, int k, rd_kafka_resp_err_t failed)
{
        if (failed == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
                __atomic_store_n(&b->too_large, 1, __ATOMIC_RELEASE);
        if (failed)
                __atomic_store_n(&b->failed, 1, __ATOMIC_RELEASE);
        if (__atomic_sub_fetch(&b->pending, k, __ATOMIC_ACQ_REL) == 0)
                batch_finish(b);
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
        int *kind = rkm->_private;
        sync_wait_t *sw;

        (void)rk;
        (void)opaque;
        if (!kind)
                return;
        if (rkm->err)
                cb_log_warn("produce to %s failed: %s", rd_kafka_topic_name(rkm->rkt),
                            rd_kafka_err2str(rkm->err));
        if (*kind == OP_BATCH) {
                cb_metrics_add(((batch_t *)kind)->p->produced,
                               rkm->err ? "result=\"failed\"" : "result=\"acknowledged\"", 1);
                batch_done((batch_t *)kind, 1, rkm->err);
                return;
        }
        sw = (sync_wait_t *)kind;
        pthread_mutex_lock(&sw->mtx);
        sw->done = 1;
        sw->err = rkm->err;
        sw->offset = rkm->offset;
        pthread_cond_signal(&sw->cond);
        pthread_mutex_unlock(&sw->mtx);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
        ingest_producer_t *p = opaque;
        char fatal[256];

        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
                cb_log_error("kafka producer fatal error: %s", fatal);
                __atomic_store_n(&p->fatal, 1, __ATOMIC_RELEASE);
                return;
        }
        cb_log_warn("kafka producer: %s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void *poll_main(void *arg)
{
        ingest_producer_t *p = arg;

        while (cb_thread_running(&p->thread))
                rd_kafka_poll(p->rk, 100);
        return NULL;
}

ingest_producer_t *ingest_producer_new(const cb_kafka_conf_t *kc, int ack_timeout_ms,
                                       long retry_after_s, char *errstr, size_t errstr_size)
{
        char timeout[24];
        const char *defaults[] = {"client.id", "closebridge-ingest", "enable.idempotence", "true",
                                  "acks", "all",
                                  /* one produce request per millisecond keeps latency low and
                                     batches under load (docs/sources.md §14) */
                                  "linger.ms", "1",
                                  /* ...but 32 waiting events go at once: every one holds a
                                     client's request open, and a burst need not wait out the
                                     linger (bench/ingest: 27k -> 34k requests/s, p50 2.2 -> 1.7
                                     ms at 64 connections) */
                                  "batch.num.messages", "32", "message.timeout.ms", timeout,
                                  /* a request written while the previous one is unacknowledged
                                     is sent at once, not held back by Nagle (p99 14 -> 10 ms
                                     in bench/ingest) */
                                  "socket.nagle.disable", "true",
                                  /* envelopes of one batch share most of their text: lz4 shrinks
                                     what the broker validates and stores, and halves its CPU per
                                     record (bench/ingest, interleaved: 8 -> 4 us, 44k -> 49k
                                     requests/s); every Kafka client reads it */
                                  "compression.type", "lz4", "reconnect.backoff.max.ms", "1000",
                                  /* the topics' max.message.bytes is the limit (cb_kafka.h) */
                                  "message.max.bytes", CB_PRODUCER_MESSAGE_MAX, NULL};
        ingest_producer_t *p = calloc(1, sizeof(*p));

        if (!p) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        p->retry_after_s = retry_after_s;
        p->record_max = (size_t)strtoul(CB_PRODUCER_MESSAGE_MAX, NULL, 10);
        p->produced =
            cb_metrics_family("closebridge_envelopes_total",
                              "envelopes produced to Kafka, by result", CB_METRIC_COUNTER);
        p->ack_time = cb_metrics_family("closebridge_produce_ack_seconds",
                                        "time from producing a request's envelopes to Kafka "
                                        "acknowledging (or failing) the last of them",
                                        CB_METRIC_HISTOGRAM);
        snprintf(timeout, sizeof(timeout), "%d", ack_timeout_ms);
        p->rk = cb_kafka_new(kc,
                             &(cb_kafka_spec_t){.type = RD_KAFKA_PRODUCER,
                                                .defaults = defaults,
                                                .opaque = p,
                                                .error_cb = error_cb,
                                                .dr_msg_cb = dr_cb},
                             errstr, errstr_size);
        if (!p->rk)
                goto fail;
        if (cb_thread_start(&p->thread, poll_main, p)) {
                snprintf(errstr, errstr_size, "cannot start the producer thread");
                goto fail;
        }
        return p;
fail:
        ingest_producer_destroy(p);
        return NULL;
}

void ingest_producer_set_record_max(ingest_producer_t *p, size_t record_max)
{
        p->record_max = record_max;
}

rd_kafka_t *ingest_producer_rk(ingest_producer_t *p)
{
        return p->rk;
}

int ingest_producer_fatal(ingest_producer_t *p)
{
        return __atomic_load_n(&p->fatal, __ATOMIC_ACQUIRE);
}

/* The 202 body: {"accepted":n,"ids":[...]}, written directly (it is on every request's path).
 * Returns a string the caller owns, or NULL. */
static char *accepted_body(const ingest_envelope_t *envs, size_t n)
{
        size_t i, size = 64;
        char *body, *p;

        for (i = 0; i < n; i++)
                size += CB_JSON_ESCAPED_MAX(strlen(envs[i].id)) + 3;
        body = malloc(size);
        if (!body)
                return NULL;
        p = body + sprintf(body, "{\"accepted\":%zu,\"ids\":[", n);
        for (i = 0; i < n; i++) {
                if (i)
                        *p++ = ',';
                *p++ = '"';
                p += cb_json_escape(p, (size_t)(body + size - p), envs[i].id);
                *p++ = '"';
        }
        memcpy(p, "]}", 3);
        return body;
}

rd_kafka_resp_err_t ingest_envelope_produce(rd_kafka_t *rk, const char *topic, const char *key,
                                            const ingest_envelope_t *env, void *opaque)
{
        rd_kafka_headers_t *headers = rd_kafka_headers_new(env->nheaders);
        rd_kafka_resp_err_t err;
        size_t h;

        for (h = 0; h < env->nheaders; h++)
                rd_kafka_header_add(headers, env->headers[h].name, -1, env->headers[h].value, -1);
        err =
            rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
                              RD_KAFKA_V_VALUE((void *)env->json, env->json_len),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
                              RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
        if (err)
                rd_kafka_headers_destroy(headers); /* taken only on success */
        return err;
}

void ingest_producer_send(ingest_producer_t *p, cb_http_req_t *req, const char *topic,
                          const char *key, const ingest_envelope_t *envs, size_t n)
{
        rd_kafka_resp_err_t err;
        batch_t *b;
        size_t i, size;
        char msg[256];

        for (i = 0; i < n; i++) {
                size = ingest_envelope_record_size(&envs[i], strlen(key));
                if (size > p->record_max) {
                        snprintf(msg, sizeof(msg),
                                 "the event's envelope is %zu bytes; %s takes %zu at most "
                                 "(see docs/limits.md)",
                                 size, topic, p->record_max);
                        cb_metrics_add(p->produced, "result=\"too_large\"", (double)n);
                        cb_http_respond_error(req, 413, msg);
                        return;
                }
        }
        b = calloc(1, sizeof(*b));
        if (!b || !(b->accepted = accepted_body(envs, n))) {
                free(b);
                cb_http_respond_error(req, 500, "out of memory");
                return;
        }
        b->kind = OP_BATCH;
        b->started_us = cb_time_now_us();
        b->p = p;
        b->req = cb_http_req_ref(req);
        b->pending = (int)n + 1; /* +1 held until every record is handed over */

        for (i = 0; i < n; i++) {
                err = ingest_envelope_produce(p->rk, topic, key, &envs[i], b);
                if (err) {
                        /* No report will come for this record or the ones not sent. */
                        cb_log_warn("produce to %s refused: %s", topic, rd_kafka_err2str(err));
                        cb_metrics_add(p->produced, "result=\"refused\"", (double)(n - i));
                        batch_done(b, (int)(n - i) + 1, err);
                        return;
                }
        }
        batch_done(b, 1, 0);
}

int ingest_producer_send_sync(ingest_producer_t *p, const char *topic, int32_t partition,
                              const char *key, const char *value, size_t len, int64_t *offset,
                              char *errstr, size_t errstr_size)
{
        sync_wait_t sw = {.kind = OP_SYNC};
        rd_kafka_resp_err_t err;
        int ret = 0;

        pthread_mutex_init(&sw.mtx, NULL);
        pthread_cond_init(&sw.cond, NULL);
        err = rd_kafka_producev(
            p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE((void *)value, value ? len : 0),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&sw), RD_KAFKA_V_END);
        if (err) {
                snprintf(errstr, errstr_size, "produce to %s: %s", topic, rd_kafka_err2str(err));
                ret = -1;
                goto done;
        }
        /* The report is bounded by message.timeout.ms, so this wait ends. */
        pthread_mutex_lock(&sw.mtx);
        while (!sw.done)
                pthread_cond_wait(&sw.cond, &sw.mtx);
        pthread_mutex_unlock(&sw.mtx);
        if (sw.err) {
                snprintf(errstr, errstr_size, "produce to %s: %s", topic, rd_kafka_err2str(sw.err));
                ret = -1;
        } else if (offset) {
                *offset = sw.offset;
        }
done:
        pthread_mutex_destroy(&sw.mtx);
        pthread_cond_destroy(&sw.cond);
        return ret;
}

void ingest_producer_drain(ingest_producer_t *p, int timeout_ms)
{
        if (rd_kafka_flush(p->rk, timeout_ms) == RD_KAFKA_RESP_ERR__TIMED_OUT) {
                cb_log_warn("%d records not acknowledged at shutdown; answering 503",
                            rd_kafka_outq_len(p->rk));
                rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
                rd_kafka_flush(p->rk, 1000);
        }
}

void ingest_producer_destroy(ingest_producer_t *p)
{
        if (!p)
                return;
        cb_thread_stop(&p->thread);
        if (p->rk)
                rd_kafka_destroy(p->rk);
        free(p);
}
