#include "tasks.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_log.h"
#include "cb_metrics.h"
#include "cb_thread.h"
#include "produce.h"

struct console_tasks {
        rd_kafka_t *prk; /* writes new tasks and cancel requests; also the Admin API's client */
        rd_kafka_t *crk; /* the view's consumer */
        const char *topic;
        int32_t partitions;
        unsigned char *eof; /* per partition: read to its end once (the view thread's own) */
        int32_t eofs;       /* how many are */
        int loaded;         /* atomic */
        cb_thread_t thread;
        pthread_mutex_t lock; /* the view below */
        console_task_t **items;
        size_t n, cap;
        pthread_mutex_t wlock; /* one write and its wait at a time (produce.h) */
        cb_metric_family_t *m_tasks;
};

/* The view's task id, or NULL; the caller holds lock. */
static console_task_t *find(console_tasks_t *ts, const char *id)
{
        size_t i;

        for (i = 0; i < ts->n; i++)
                if (!strcmp(ts->items[i]->id, id))
                        return ts->items[i];
        return NULL;
}

/* The tasks gauge, by state; the caller holds lock. */
static void count(console_tasks_t *ts)
{
        long by[CONSOLE_TASK_NSTATES] = {0};
        char labels[64];
        size_t i;
        int s;

        for (i = 0; i < ts->n; i++)
                by[ts->items[i]->state]++;
        for (s = 0; s < CONSOLE_TASK_NSTATES; s++) {
                snprintf(labels, sizeof(labels), "state=\"%s\"",
                         console_task_state_name((console_task_state_t)s));
                cb_metrics_set(ts->m_tasks, labels, (double)by[s]);
        }
}

/* Puts t into the view: a state (cancel 0) replaces an older one (lower seq); a cancel request
 * (cancel 1: only t->id is set) marks the task, or is dropped when the task is not known. */
static void upsert(console_tasks_t *ts, const console_task_t *t, int cancel)
{
        console_task_t *cur, **grown;

        pthread_mutex_lock(&ts->lock);
        cur = find(ts, t->id);
        if (cancel) {
                if (cur)
                        cur->cancel = 1;
        } else if (cur) {
                if (t->seq >= cur->seq) {
                        int asked = cur->cancel;

                        *cur = *t;
                        cur->cancel |= asked;
                }
        } else if (ts->n < ts->cap ||
                   (grown = realloc(ts->items, (ts->cap * 2 + 16) * sizeof(*grown)))) {
                if (ts->n == ts->cap) {
                        ts->items = grown;
                        ts->cap = ts->cap * 2 + 16;
                }
                if ((cur = malloc(sizeof(*cur)))) {
                        *cur = *t;
                        ts->items[ts->n++] = cur;
                }
        }
        count(ts);
        pthread_mutex_unlock(&ts->lock);
}

static void take(console_tasks_t *ts, const rd_kafka_message_t *rkm)
{
        console_task_t t;
        char err[200];
        int rc;

        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                if (rkm->partition >= 0 && rkm->partition < ts->partitions &&
                    !ts->eof[rkm->partition] && (ts->eof[rkm->partition] = 1) &&
                    ++ts->eofs == ts->partitions)
                        __atomic_store_n(&ts->loaded, 1, __ATOMIC_RELEASE);
                return;
        }
        if (rkm->err) {
                cb_log_warn("tasks: %s", rd_kafka_message_errstr(rkm));
                return;
        }
        rc = console_task_decode(rkm->key, rkm->key_len, rkm->payload, rkm->len, &t, err,
                                 sizeof(err));
        if (rc < 0)
                cb_log_warn("tasks: record at %d/%lld skipped: %s", (int)rkm->partition,
                            (long long)rkm->offset, err);
        else
                upsert(ts, &t, rc == 2);
}

static void *view_main(void *arg)
{
        console_tasks_t *ts = arg;
        rd_kafka_message_t *rkm;

        while (cb_thread_running(&ts->thread)) {
                rkm = rd_kafka_consumer_poll(ts->crk, 100);
                if (rkm) {
                        take(ts, rkm);
                        rd_kafka_message_destroy(rkm);
                }
        }
        return NULL;
}

int console_tasks_create(console_tasks_t *ts, const console_task_t *t, int timeout_ms, char *errstr,
                         size_t errstr_size)
{
        char *value = console_task_encode(t);
        int rc;

        if (!value) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        pthread_mutex_lock(&ts->wlock);
        rc = console_produce_acked(
            ts->prk, ts->topic, console_task_partition(t->id, ts->partitions), t->id, value,
            strlen(value), NULL, timeout_ms, "the task", errstr, errstr_size);
        pthread_mutex_unlock(&ts->wlock);
        free(value);
        if (!rc)
                upsert(ts, t, 0);
        return rc;
}

int console_tasks_cancel(console_tasks_t *ts, const char *id, int timeout_ms, char *errstr,
                         size_t errstr_size)
{
        char key[CONSOLE_TASK_ID_MAX + 16], value[CONSOLE_TASK_ID_MAX + 16];
        console_task_t t;
        int rc;

        snprintf(key, sizeof(key), "%s" CONSOLE_TASK_CANCEL_SUFFIX, id);
        snprintf(value, sizeof(value), "{\"cancel\":\"%s\"}", id);
        pthread_mutex_lock(&ts->wlock);
        rc = console_produce_acked(ts->prk, ts->topic, console_task_partition(id, ts->partitions),
                                   key, value, strlen(value), NULL, timeout_ms,
                                   "the cancel request", errstr, errstr_size);
        pthread_mutex_unlock(&ts->wlock);
        if (!rc) {
                memset(&t, 0, sizeof(t));
                snprintf(t.id, sizeof(t.id), "%s", id);
                upsert(ts, &t, 1);
        }
        return rc;
}

int console_tasks_get(console_tasks_t *ts, const char *id, console_task_t *out)
{
        console_task_t *t;

        pthread_mutex_lock(&ts->lock);
        t = find(ts, id);
        if (t)
                *out = *t;
        pthread_mutex_unlock(&ts->lock);
        return t != NULL;
}

int32_t console_tasks_partitions(const console_tasks_t *ts)
{
        return ts->partitions;
}

int console_tasks_loaded(console_tasks_t *ts)
{
        return __atomic_load_n(&ts->loaded, __ATOMIC_ACQUIRE);
}

/* Makes the topic when missing and assigns every partition of it, from its start, to crk. */
static int start_view(console_tasks_t *ts, const cb_kafka_conf_t *kc, char *errstr,
                      size_t errstr_size)
{
        cb_topic_spec_t spec = {ts->topic, 1, 0, 0};
        rd_kafka_topic_partition_list_t *list;
        int32_t p;
        int rc;

        if (cb_kafka_ensure_topics(ts->prk, kc, &spec, 1, errstr, errstr_size))
                return -1;
        ts->partitions =
            cb_kafka_partition_count(ts->prk, ts->topic, kc->timeout_ms, errstr, errstr_size);
        if (ts->partitions <= 0)
                return -1;
        if (!(ts->eof = calloc((size_t)ts->partitions, 1)) ||
            !(list = rd_kafka_topic_partition_list_new(ts->partitions))) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        for (p = 0; p < ts->partitions; p++)
                rd_kafka_topic_partition_list_add(list, ts->topic, p)->offset =
                    RD_KAFKA_OFFSET_BEGINNING;
        rc = rd_kafka_assign(ts->crk, list) ? -1 : 0;
        rd_kafka_topic_partition_list_destroy(list);
        if (rc)
                snprintf(errstr, errstr_size, "cannot read %s", ts->topic);
        return rc;
}

console_tasks_t *console_tasks_new(const cb_kafka_conf_t *kc, const char *topic, char *errstr,
                                   size_t errstr_size)
{
        static const char *const pdefaults[] = {"client.id", "closebridge-console-tasks",
                                                "linger.ms", "0", NULL};
        static const char *const pforced[] = {"acks", "all", "enable.idempotence", "true", NULL};
        /* assign() needs a group.id in librdkafka 2.0.2; nothing is committed */
        static const char *const cdefaults[] = {"client.id", "closebridge-console-tasks-view",
                                                "group.id", "closebridge-console-tasks-view", NULL};
        static const char *const cforced[] = {
            "enable.auto.commit", "false", "enable.partition.eof", "true", "isolation.level",
            "read_committed",     NULL};
        console_tasks_t *ts = calloc(1, sizeof(*ts));

        if (!ts) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        pthread_mutex_init(&ts->lock, NULL);
        pthread_mutex_init(&ts->wlock, NULL);
        ts->topic = topic;
        ts->m_tasks = cb_metrics_family("closebridge_console_tasks", "replay tasks known, by state",
                                        CB_METRIC_GAUGE);
        ts->prk = cb_kafka_new(kc,
                               &(cb_kafka_spec_t){.type = RD_KAFKA_PRODUCER,
                                                  .defaults = pdefaults,
                                                  .forced = pforced,
                                                  .dr_msg_cb = console_produce_on_report},
                               errstr, errstr_size);
        if (!ts->prk)
                goto fail;
        ts->crk = cb_kafka_new(kc,
                               &(cb_kafka_spec_t){.type = RD_KAFKA_CONSUMER,
                                                  .defaults = cdefaults,
                                                  .forced = cforced,
                                                  .consumer_poll = 1},
                               errstr, errstr_size);
        if (!ts->crk || start_view(ts, kc, errstr, errstr_size))
                goto fail;
        pthread_mutex_lock(&ts->lock);
        count(ts);
        pthread_mutex_unlock(&ts->lock);
        if (cb_thread_start(&ts->thread, view_main, ts)) {
                snprintf(errstr, errstr_size, "cannot start the tasks view");
                goto fail;
        }
        return ts;
fail:
        console_tasks_destroy(ts);
        return NULL;
}

void console_tasks_destroy(console_tasks_t *ts)
{
        size_t i;

        if (!ts)
                return;
        cb_thread_stop(&ts->thread);
        if (ts->crk) {
                rd_kafka_consumer_close(ts->crk);
                rd_kafka_destroy(ts->crk);
        }
        if (ts->prk) {
                rd_kafka_flush(ts->prk, 5000);
                rd_kafka_destroy(ts->prk);
        }
        for (i = 0; i < ts->n; i++)
                free(ts->items[i]);
        free(ts->items);
        free(ts->eof);
        pthread_mutex_destroy(&ts->lock);
        pthread_mutex_destroy(&ts->wlock);
        free(ts);
}
