#include "task_run_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_log.h"
#include "cb_time.h"
#include "replay.h"

/* A step that could not be taken is tried again after this long. */
#define STEP_BACKOFF_MS 1000

/* The events of a step read back before its transaction begins: got[k] is the record of
 * hits[hit[k]] (those whose closeio.events record is indexed); a record not there (rc 1) is
 * counted unavailable. */
typedef struct fetched {
        console_fetch_item_t *got;
        int *hit;
        int n;
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

/* Writes the replays of the records read back in f and the state next of the task in one
 * transaction on txp. Returns 0, 1 (not written) or -1 (the producer is done for). */
static int transact(console_runner_t *r, rd_kafka_t *txp, const console_task_t *next,
                    const console_index_hit_t *hits, const fetched_t *f)
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
        for (i = 0; i < f->n && !err; i++) {
                const char *key = hits[f->hit[i]].key.instance_id;

                if (f->got[i].rc)
                        continue;
                h = console_replay_headers(f->got[i].hdrs, next->id);
                err = rd_kafka_producev(txp, RD_KAFKA_V_TOPIC(r->conf.topic_replay),
                                        RD_KAFKA_V_KEY(key, strlen(key)),
                                        RD_KAFKA_V_VALUE(f->got[i].value, f->got[i].len),
                                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                        RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
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

static void free_fetched(fetched_t *f)
{
        int i;

        for (i = 0; f->got && i < f->n; i++) {
                free(f->got[i].value);
                if (f->got[i].hdrs)
                        rd_kafka_headers_destroy(f->got[i].hdrs);
        }
        free(f->got);
        free(f->hit);
}

/* Reads back the records of hits[0..n) into f, all at once (fetch.h). Returns 0, or -1 when
 * they could not be read (a Kafka error or time-out, not a record that is gone): the step is
 * then tried again. */
static int fetch_all(console_runner_t *r, const char *id, const console_index_hit_t *hits, int n,
                     fetched_t *f)
{
        char err[300];
        int i;

        f->n = 0;
        f->got = calloc((size_t)n, sizeof(*f->got));
        f->hit = calloc((size_t)n, sizeof(*f->hit));
        if (!f->got || !f->hit)
                return -1;
        for (i = 0; i < n; i++) {
                if (!hits[i].has_event)
                        continue;
                f->got[f->n] = (console_fetch_item_t){.topic = hits[i].topic,
                                                      .partition = hits[i].partition,
                                                      .offset = hits[i].offset};
                f->hit[f->n++] = i;
        }
        if (console_fetch_many(r->fe, f->got, (size_t)f->n, r->conf.fetch_timeout_ms, err,
                               sizeof(err))) {
                cb_log_warn("task %s: reading %d records back failed: %s", id, f->n, err);
                return -1;
        }
        return 0;
}

/* The events of rt's next step into r->hits, and next's state when there are none (done) or
 * the task is to stop (cancelled). Returns their number, or -1 (logged) when the index could
 * not be read: the step is tried again. */
static int next_events(console_runner_t *r, const run_task_t *rt, console_task_t *next)
{
        console_index_key_t after;
        console_filter_t f;
        char err[600];
        int n;

        if (rt->t.cancel) {
                next->state = CONSOLE_TASK_CANCELLED;
                return 0;
        }
        if (console_task_filter(&rt->t, &f, err, sizeof(err))) {
                cb_log_error("task %s: its filter is not one: %s; it is cancelled", rt->t.id, err);
                next->state = CONSOLE_TASK_CANCELLED;
                return 0;
        }
        if (next->matched < 0 &&
            console_index_count_matching(r->idx, &f, &next->matched, err, sizeof(err))) {
                cb_log_error("task %s: %s", rt->t.id, err);
                return -1;
        }
        if (rt->t.has_cursor) {
                after.time_ms = rt->t.cursor_time_ms;
                snprintf(after.instance_id, sizeof(after.instance_id), "%s", rt->t.cursor_instance);
                snprintf(after.env_id, sizeof(after.env_id), "%s", rt->t.cursor_env);
        }
        n = console_index_next_matching(r->idx, &f, rt->t.has_cursor ? &after : NULL, r->hits,
                                        r->conf.batch, err, sizeof(err));
        if (n < 0)
                cb_log_error("task %s: %s", rt->t.id, err);
        else if (n == 0)
                next->state = CONSOLE_TASK_DONE;
        return n;
}

int console_runner_step(console_runner_t *r, int32_t p, run_task_t *rt)
{
        console_task_t next = rt->t;
        fetched_t got = {0};
        int n, i, rc, produced = 0;
        int64_t now = cb_time_now_ms(), t_fetched;

        rt->next_ms = now + STEP_BACKOFF_MS;
        if (ready(r))
                return 0;
        if (!rt->stepped++)
                cb_log_info("task %s: running from %lld produced (%lld matched)", rt->t.id,
                            (long long)rt->t.produced, (long long)rt->t.matched);
        next.seq++;
        next.updated_ms = now;
        if ((n = next_events(r, rt, &next)) < 0)
                return 0;
        if (n > 0) {
                if (fetch_all(r, rt->t.id, r->hits, n, &got)) {
                        free_fetched(&got);
                        return 0;
                }
                for (i = 0; i < got.n; i++)
                        produced += got.got[i].rc == 0;
                next.produced += produced;
                next.unavailable += n - produced;
                next.has_cursor = 1;
                next.cursor_time_ms = r->hits[n - 1].key.time_ms;
                snprintf(next.cursor_instance, sizeof(next.cursor_instance), "%s",
                         r->hits[n - 1].key.instance_id);
                snprintf(next.cursor_env, sizeof(next.cursor_env), "%s", r->hits[n - 1].key.env_id);
        }
        t_fetched = cb_time_now_ms();
        rc = transact(r, r->parts[p].txp, &next, r->hits, &got);
        cb_log_debug("task %s: step of %d: %lld ms to read back, %lld ms to commit", rt->t.id, n,
                     (long long)(t_fetched - now), (long long)(cb_time_now_ms() - t_fetched));
        free_fetched(&got);
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
