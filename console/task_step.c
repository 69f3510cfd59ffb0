#include "task_run_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_log.h"
#include "cb_time.h"
#include "replay.h"

/* A step that could not be taken is tried again after this long. */
#define STEP_BACKOFF_MS 1000

/* The replay of one event, read back before the transaction begins. */
typedef struct fetched {
        char *value; /* NULL: the record is gone (counted unavailable) */
        size_t len;
        rd_kafka_headers_t *hdrs;
} fetched_t;

/* Ends the transaction open on txp as librdkafka's transactional API asks (the ingest poller
 * does the same, poll_walk.c): a retriable error of commit means it is still in progress, so it
 * is called again; txn_requires_abort, it is aborted; fatal, the producer is done for. Returns
 * 0 when committed, 1 when it was not (nothing of it is visible), -1 when the producer is done
 * for. */
static int commit(console_runner_t *r, rd_kafka_t *txp, const char *id)
{
        int timeout = r->conf.kafka->timeout_ms, rc = 1;
        rd_kafka_error_t *error, *aerr;

        while ((error = rd_kafka_commit_transaction(txp, timeout))) {
                if (!rd_kafka_error_is_retriable(error) || !cb_thread_running(&r->thread))
                        break;
                cb_log_warn("task %s: commit not done yet (%s): waiting for it", id,
                            rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        }
        if (!error)
                return 0;
        cb_log_warn("task %s: transaction failed: %s", id, rd_kafka_error_string(error));
        if (rd_kafka_error_is_fatal(error)) {
                rc = -1;
        } else if (rd_kafka_error_txn_requires_abort(error)) {
                aerr = rd_kafka_abort_transaction(txp, timeout);
                if (aerr) {
                        rc = rd_kafka_error_is_fatal(aerr) ? -1 : 1;
                        rd_kafka_error_destroy(aerr);
                }
        }
        rd_kafka_error_destroy(error);
        return rc;
}

/* Aborts the open transaction after a failed produce. Returns 1, or -1 when the producer is
 * done for. */
static int abort_open(console_runner_t *r, rd_kafka_t *txp)
{
        rd_kafka_error_t *error = rd_kafka_abort_transaction(txp, r->conf.kafka->timeout_ms);
        int rc = 1;

        if (error) {
                rc = rd_kafka_error_is_fatal(error) ? -1 : 1;
                rd_kafka_error_destroy(error);
        }
        return rc;
}

/* Writes replays f[0..n) (the events hits[0..n)) and the state next of the task in one
 * transaction on txp. Returns 0, 1 (not written) or -1 (the producer is done for). */
static int transact(console_runner_t *r, rd_kafka_t *txp, const console_task_t *next,
                    const console_index_hit_t *hits, const fetched_t *f, int n)
{
        char *state = console_task_encode(next);
        rd_kafka_error_t *error;
        rd_kafka_headers_t *h;
        rd_kafka_resp_err_t err = 0;
        int i, rc;

        if (!state)
                return 1;
        if ((error = rd_kafka_begin_transaction(txp))) {
                cb_log_warn("task %s: begin of a transaction failed: %s", next->id,
                            rd_kafka_error_string(error));
                rc = rd_kafka_error_is_fatal(error) ? -1 : 1;
                rd_kafka_error_destroy(error);
                free(state);
                return rc;
        }
        for (i = 0; i < n && !err; i++) {
                if (!f[i].value)
                        continue;
                h = console_replay_headers(f[i].hdrs, next->id);
                err = rd_kafka_producev(
                    txp, RD_KAFKA_V_TOPIC(r->conf.topic_replay),
                    RD_KAFKA_V_KEY(hits[i].key.instance_id, strlen(hits[i].key.instance_id)),
                    RD_KAFKA_V_VALUE(f[i].value, f[i].len),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h),
                    RD_KAFKA_V_END);
                if (err)
                        rd_kafka_headers_destroy(h); /* producev took them only on success */
        }
        if (!err)
                err = rd_kafka_producev(
                    txp, RD_KAFKA_V_TOPIC(r->conf.topic_tasks),
                    RD_KAFKA_V_PARTITION(console_task_partition(next->id, r->nparts)),
                    RD_KAFKA_V_KEY(next->id, strlen(next->id)),
                    RD_KAFKA_V_VALUE(state, strlen(state)),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        free(state);
        if (err) {
                cb_log_warn("task %s: produce failed: %s", next->id, rd_kafka_err2str(err));
                return abort_open(r, txp);
        }
        return commit(r, txp, next->id);
}

/* Opens the database reader and the fetcher at the first step. Returns 0 or -1. */
static int ready(console_runner_t *r)
{
        char err[600];

        if (!r->idx && !(r->idx = console_index_open(r->conf.db_path, 1, err, sizeof(err)))) {
                cb_log_error("tasks: %s", err);
                return -1;
        }
        if (!r->fe && !(r->fe = console_fetch_new(r->conf.kafka, err, sizeof(err)))) {
                cb_log_error("tasks: %s", err);
                return -1;
        }
        return 0;
}

/* Reads back the records of hits[0..n) into f. Returns 0, or -1 when one could not be read
 * (a Kafka error or time-out, not a record that is gone): the step is then tried again. */
static int fetch_all(console_runner_t *r, const char *id, const console_index_hit_t *hits,
                     fetched_t *f, int n)
{
        char err[300];
        int i, rc;

        for (i = 0; i < n; i++) {
                if (!hits[i].has_event)
                        continue;
                rc = console_fetch_value(r->fe, hits[i].topic, hits[i].partition, hits[i].offset,
                                         r->conf.fetch_timeout_ms, &f[i].value, &f[i].len,
                                         &f[i].hdrs, err, sizeof(err));
                if (rc < 0) {
                        cb_log_warn("task %s: reading %s back failed: %s", id, hits[i].key.env_id,
                                    err);
                        return -1;
                }
        }
        return 0;
}

static void free_fetched(fetched_t *f, int n)
{
        int i;

        for (i = 0; i < n; i++) {
                free(f[i].value);
                if (f[i].hdrs)
                        rd_kafka_headers_destroy(f[i].hdrs);
        }
}

int console_runner_step(console_runner_t *r, int32_t p, run_task_t *rt)
{
        console_task_t next = rt->t;
        console_filter_t f;
        console_index_key_t after;
        fetched_t *got = NULL;
        char err[600];
        int n = 0, i, rc, produced = 0;
        int64_t now = cb_time_now_ms(), t_fetched;

        rt->next_ms = now + STEP_BACKOFF_MS;
        if (ready(r))
                return 0;
        if (!rt->stepped++)
                cb_log_info("task %s: running from %lld produced (%lld matched)", rt->t.id,
                            (long long)rt->t.produced, (long long)rt->t.matched);
        next.seq++;
        next.updated_ms = now;
        if (rt->t.cancel) {
                next.state = CONSOLE_TASK_CANCELLED;
        } else if (console_task_filter(&rt->t, &f, err, sizeof(err))) {
                cb_log_error("task %s: its filter is not one: %s; it is cancelled", rt->t.id, err);
                next.state = CONSOLE_TASK_CANCELLED;
        } else {
                if (next.matched < 0 &&
                    console_index_count_matching(r->idx, &f, &next.matched, err, sizeof(err))) {
                        cb_log_error("task %s: %s", rt->t.id, err);
                        return 0;
                }
                if (rt->t.has_cursor) {
                        after.time_ms = rt->t.cursor_time_ms;
                        snprintf(after.instance_id, sizeof(after.instance_id), "%s",
                                 rt->t.cursor_instance);
                        snprintf(after.env_id, sizeof(after.env_id), "%s", rt->t.cursor_env);
                }
                n = console_index_next_matching(r->idx, &f, rt->t.has_cursor ? &after : NULL,
                                                r->hits, r->conf.batch, err, sizeof(err));
                if (n < 0) {
                        cb_log_error("task %s: %s", rt->t.id, err);
                        return 0;
                }
                if (n == 0)
                        next.state = CONSOLE_TASK_DONE;
        }
        if (n > 0) {
                if (!(got = calloc((size_t)n, sizeof(*got))))
                        return 0;
                if (fetch_all(r, rt->t.id, r->hits, got, n)) {
                        free_fetched(got, n);
                        free(got);
                        return 0;
                }
                for (i = 0; i < n; i++)
                        produced += got[i].value != NULL;
                next.produced += produced;
                next.unavailable += n - produced;
                next.has_cursor = 1;
                next.cursor_time_ms = r->hits[n - 1].key.time_ms;
                snprintf(next.cursor_instance, sizeof(next.cursor_instance), "%s",
                         r->hits[n - 1].key.instance_id);
                snprintf(next.cursor_env, sizeof(next.cursor_env), "%s", r->hits[n - 1].key.env_id);
        }
        t_fetched = cb_time_now_ms();
        rc = transact(r, r->parts[p].txp, &next, r->hits, got, n);
        cb_log_debug("task %s: step of %d: %lld ms to read back, %lld ms to commit", rt->t.id, n,
                     (long long)(t_fetched - now), (long long)(cb_time_now_ms() - t_fetched));
        if (got) {
                free_fetched(got, n);
                free(got);
        }
        if (rc)
                return rc < 0 ? -1 : 0;
        rt->t = next;
        cb_metrics_add(r->m_replays, "", produced);
        if (next.state != CONSOLE_TASK_RUNNING) {
                cb_log_info("task %s %s: %lld matched, %lld produced, %lld unavailable", next.id,
                            console_task_state_name(next.state), (long long)next.matched,
                            (long long)next.produced, (long long)next.unavailable);
                return 1;
        }
        rt->next_ms = now + (int64_t)n * 1000 / (r->conf.rate > 0 ? r->conf.rate : 1);
        return 0;
}
