#include "task_run_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_log.h"
#include "cb_time.h"

/* A partition whose producer could not be made is tried again after this long. */
#define RUN_RETRY_MS 2000
/* The thread polls its consumer at least this often. */
#define RUN_POLL_MS 100

/* Drops every task of partition p. */
static void drop_tasks(run_part_t *p)
{
        size_t i;

        for (i = 0; i < p->n; i++)
                free(p->tasks[i]);
        p->n = 0;
}

/* Destroys p's producer: the broker aborts what it had open (or the next owner's
 * init_transactions does). */
static void drop_producer(run_part_t *p)
{
        if (p->txp)
                rd_kafka_destroy(p->txp);
        p->txp = NULL;
}

/* Makes the transactional producer of partition p and fences every earlier one. Returns 0, or
 * -1 (logged; tried again later). */
static int make_producer(console_runner_t *r, int32_t p)
{
        char txid[300], errstr[512];
        const char *defaults[] = {"client.id", "closebridge-console-task", "linger.ms", "5",
                                  "message.max.bytes", CB_PRODUCER_MESSAGE_MAX,
                                  /* a step is one short transaction */
                                  "transaction.timeout.ms", "60000", NULL};
        const char *forced[] = {"transactional.id", txid, "acks", "all", NULL};
        rd_kafka_error_t *error;
        rd_kafka_t *txp;

        snprintf(txid, sizeof(txid), "%s.%d", r->conf.topic_tasks, (int)p);
        txp = cb_kafka_new(
            r->conf.kafka,
            &(cb_kafka_spec_t){.type = RD_KAFKA_PRODUCER, .defaults = defaults, .forced = forced},
            errstr, sizeof(errstr));
        if (!txp) {
                cb_log_error("tasks: partition %d: %s", (int)p, errstr);
                return -1;
        }
        error = rd_kafka_init_transactions(txp, r->conf.kafka->timeout_ms);
        if (error) {
                cb_log_warn("tasks: partition %d: init_transactions failed: %s", (int)p,
                            rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                rd_kafka_destroy(txp);
                return -1;
        }
        r->parts[p].txp = txp;
        return 0;
}

/* Reads partition p from its start again (its tasks are learnt anew). */
static void reload(console_runner_t *r, int32_t p)
{
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
        rd_kafka_error_t *error;

        drop_tasks(&r->parts[p]);
        r->parts[p].loading = 1;
        if (!list)
                return;
        rd_kafka_topic_partition_list_add(list, r->conf.topic_tasks, p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
        error = rd_kafka_seek_partitions(r->rk, list, r->conf.kafka->timeout_ms);
        if (error) {
                cb_log_warn("tasks: partition %d: seek failed: %s", (int)p,
                            rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        }
        rd_kafka_topic_partition_list_destroy(list);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        console_runner_t *r = opaque;
        int i;
        int32_t p;

        for (i = 0; i < parts->cnt; i++) {
                p = parts->elems[i].partition;
                if (p < 0 || p >= r->nparts)
                        continue;
                drop_tasks(&r->parts[p]);
                drop_producer(&r->parts[p]);
                r->parts[p].assigned = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
                r->parts[p].loading = 1;
                if (r->parts[p].assigned) {
                        /* fence the earlier owner before reading what it committed */
                        if (make_producer(r, p))
                                r->parts[p].retry_ms = cb_time_now_ms() + RUN_RETRY_MS;
                        parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
                }
        }
        cb_log_info("tasks: %d partition(s) %s", parts->cnt,
                    err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? "assigned" : "revoked");
        rd_kafka_assign(rk, err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? parts : NULL);
}

/* The running task id of partition p, or NULL. */
static run_task_t *find(run_part_t *p, const char *id)
{
        size_t i;

        for (i = 0; i < p->n; i++)
                if (!strcmp(p->tasks[i]->t.id, id))
                        return p->tasks[i];
        return NULL;
}

/* How many of p's tasks still run. */
static size_t running(const run_part_t *p)
{
        size_t i, n = 0;

        for (i = 0; i < p->n; i++)
                n += p->tasks[i]->t.state == CONSOLE_TASK_RUNNING;
        return n;
}

/* A record of partition p read: a task's state (kept when it is newer than ours), a cancel
 * request, or the end of the partition. */
static void take(console_runner_t *r, const rd_kafka_message_t *rkm)
{
        run_part_t *p;
        run_task_t *rt, **grown;
        console_task_t t;
        char err[200];
        int rc;

        if (rkm->partition < 0 || rkm->partition >= r->nparts)
                return;
        p = &r->parts[rkm->partition];
        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                if (p->loading)
                        cb_log_info("tasks: partition %d read: %zu running", (int)rkm->partition,
                                    running(p));
                p->loading = 0;
                return;
        }
        if (rkm->err) {
                cb_log_warn("tasks: %s", rd_kafka_message_errstr(rkm));
                return;
        }
        rc = console_task_decode(rkm->key, rkm->key_len, rkm->payload, rkm->len, &t, err,
                                 sizeof(err));
        if (rc < 0)
                return; /* the view (tasks.c) logs it */
        rt = find(p, t.id);
        if (rc == 2) {
                if (rt)
                        rt->t.cancel = 1;
                return;
        }
        /* ours read back, or older than what we hold: a task that ended stays in the list
           (never run again), so a state of it read late cannot start it anew */
        if (rt && t.seq <= rt->t.seq)
                return;
        if (!rt) {
                if (p->n == p->cap) {
                        grown = realloc(p->tasks, (p->cap * 2 + 8) * sizeof(*grown));
                        if (!grown)
                                return;
                        p->tasks = grown;
                        p->cap = p->cap * 2 + 8;
                }
                if (!(rt = calloc(1, sizeof(*rt))))
                        return;
                p->tasks[p->n++] = rt;
        }
        t.cancel |= rt->t.cancel;
        rt->t = t;
}

/* One step of each due task of each partition held and read. Returns how long the thread may
 * wait for the next. */
static int run_due(console_runner_t *r)
{
        int64_t now = cb_time_now_ms(), wait = RUN_POLL_MS;
        run_part_t *p;
        int32_t i;
        size_t j;

        if (!console_follow_caught_up(r->conf.follow))
                return RUN_POLL_MS;
        for (i = 0; i < r->nparts; i++) {
                p = &r->parts[i];
                if (!p->assigned)
                        continue;
                if (!p->txp) {
                        if (now < p->retry_ms)
                                continue;
                        if (make_producer(r, i))
                                p->retry_ms = now + RUN_RETRY_MS;
                        else
                                reload(r, i);
                        continue;
                }
                for (j = 0; !p->loading && j < p->n && cb_thread_running(&r->thread); j++) {
                        if (p->tasks[j]->t.state != CONSOLE_TASK_RUNNING)
                                continue;
                        if (p->tasks[j]->next_ms > now) {
                                if (p->tasks[j]->next_ms - now < wait)
                                        wait = p->tasks[j]->next_ms - now;
                                continue;
                        }
                        if (console_runner_step(r, i, p->tasks[j]) < 0) {
                                /* fenced or fatal: a new producer, then the partition anew */
                                drop_producer(p);
                                p->retry_ms = now;
                                break;
                        }
                        wait = 0;
                }
        }
        return (int)(wait < 0 ? 0 : wait);
}

static void *run_main(void *arg)
{
        console_runner_t *r = arg;
        rd_kafka_message_t *rkm;
        int wait = RUN_POLL_MS;

        while (cb_thread_running(&r->thread)) {
                rkm = rd_kafka_consumer_poll(r->rk, wait);
                if (rkm) {
                        take(r, rkm);
                        rd_kafka_message_destroy(rkm);
                        wait = 0;
                        continue;
                }
                wait = run_due(r);
        }
        return NULL;
}

console_runner_t *console_runner_new(const console_runner_conf_t *conf, char *errstr,
                                     size_t errstr_size)
{
        char group[300];
        const char *defaults[] = {"client.id", "closebridge-console-tasks-run",
                                  /* as publish's: a killed member's partitions are not held
                                     long */
                                  "session.timeout.ms", "10000", "heartbeat.interval.ms", "3000",
                                  "fetch.wait.max.ms", "100", NULL};
        /* group.instance.id last: a dynamic member's list ends before it */
        const char *forced[] = {"group.id",
                                group,
                                "enable.auto.commit",
                                "false",
                                "enable.partition.eof",
                                "true",
                                "isolation.level",
                                "read_committed",
                                "group.instance.id",
                                conf->group_instance_id,
                                NULL};
        rd_kafka_topic_partition_list_t *topics;
        console_runner_t *r = calloc(1, sizeof(*r));
        rd_kafka_resp_err_t err;
        char err2[300];

        if (!*conf->group_instance_id)
                forced[8] = NULL;
        if (!r || !(r->hits = calloc((size_t)conf->batch, sizeof(*r->hits)))) {
                free(r);
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        r->conf = *conf;
        snprintf(group, sizeof(group), "%s.runners", conf->topic_tasks);
        r->m_replays =
            cb_metrics_family("closebridge_console_task_replays_total",
                              "replays written by replay tasks (committed)", CB_METRIC_COUNTER);
        r->rk = cb_kafka_new(conf->kafka,
                             &(cb_kafka_spec_t){.type = RD_KAFKA_CONSUMER,
                                                .defaults = defaults,
                                                .forced = forced,
                                                .opaque = r,
                                                .rebalance_cb = on_rebalance,
                                                .consumer_poll = 1},
                             errstr, errstr_size);
        if (!r->rk)
                goto fail;
        r->nparts = cb_kafka_partition_count(r->rk, conf->topic_tasks, conf->kafka->timeout_ms,
                                             err2, sizeof(err2));
        if (r->nparts <= 0) {
                snprintf(errstr, errstr_size, "%s", err2);
                goto fail;
        }
        if (!(r->parts = calloc((size_t)r->nparts, sizeof(*r->parts))) ||
            !(topics = rd_kafka_topic_partition_list_new(1))) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        rd_kafka_topic_partition_list_add(topics, conf->topic_tasks, RD_KAFKA_PARTITION_UA);
        err = rd_kafka_subscribe(r->rk, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (err) {
                snprintf(errstr, errstr_size, "cannot join the tasks group: %s",
                         rd_kafka_err2str(err));
                goto fail;
        }
        if (cb_thread_start(&r->thread, run_main, r)) {
                snprintf(errstr, errstr_size, "cannot start the tasks thread");
                goto fail;
        }
        return r;
fail:
        console_runner_destroy(r);
        return NULL;
}

void console_runner_destroy(console_runner_t *r)
{
        int32_t i;

        if (!r)
                return;
        cb_thread_stop(&r->thread);
        if (r->rk)
                cb_kafka_consumer_destroy(r->rk, 5000);
        for (i = 0; r->parts && i < r->nparts; i++) {
                drop_tasks(&r->parts[i]);
                free(r->parts[i].tasks);
                drop_producer(&r->parts[i]);
        }
        free(r->parts);
        console_fetch_destroy(r->fe);
        console_index_close(r->idx);
        free(r->hits);
        free(r);
}
