#include "poller_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cb_config.h"
#include "cb_kafka.h"
#include "cb_log.h"
#include "cb_table.h"
#include "cb_time.h"
#include "ingest.h"

/* Empties *sched, freeing each entry. */
static void sched_clear(ingest_sched_t **sched)
{
        ingest_sched_t *s, *tmp;

        HASH_ITER(hh, *sched, s, tmp)
        {
                HASH_DEL(*sched, s);
                ingest_poll_state_fini(&s->state);
                free(s);
        }
}

/* Number of walks under way; the caller holds lock. */
static size_t walks(const ingest_poller_t *p)
{
        size_t i, n = 0;

        for (i = 0; i < p->nworkers; i++)
                n += p->workers[i].inst != NULL;
        return n;
}

/* Stops the walks under way early and waits until they are over; the caller holds lock.
 * Afterwards no worker touches sched or stored until the caller unlocks. */
static void drain(ingest_poller_t *p)
{
        __atomic_store_n(&p->halt, 1, __ATOMIC_RELEASE);
        while (walks(p))
                pthread_cond_wait(&p->idle, &p->lock);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        ingest_poller_t *p = opaque;
        ingest_stored_t *stored = NULL;
        int i;

        /* a walk that outlived our partitions could publish what their new owner publishes too */
        pthread_mutex_lock(&p->lock);
        drain(p);
        free(p->parts);
        p->parts = NULL;
        p->nparts = 0;
        /* what another member polled meanwhile is on the state topic: read it again */
        sched_clear(&p->sched);
        pthread_mutex_unlock(&p->lock);
        /* No walk starts meanwhile: only this thread hands walks out. The lock is not held
           while the state topic is read, so that a shutdown is not kept waiting. */
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                cb_log_info("poller: polling the instances of %d partitions", parts->cnt);
                stored = ingest_poll_stored_load(p);
        }
        pthread_mutex_lock(&p->lock);
        ingest_poll_stored_clear(&p->stored);
        p->stored = stored;
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                p->parts = calloc((size_t)parts->cnt + 1, sizeof(*p->parts));
                for (i = 0; p->parts && i < parts->cnt; i++)
                        p->parts[p->nparts++] = parts->elems[i].partition;
        }
        if (__atomic_load_n(&p->run, __ATOMIC_ACQUIRE))
                __atomic_store_n(&p->halt, 0, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&p->lock);
        rd_kafka_assign(rk, err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? parts : NULL);
}

static int ours(const ingest_poller_t *p, int32_t partition)
{
        size_t i;

        for (i = 0; i < p->nparts; i++)
                if (p->parts[i] == partition)
                        return 1;
        return 0;
}

/* 1 when inst is to be polled at all. */
static int polling(const cb_instance_t *inst)
{
        const char *type = cb_instance_config(inst, "event.vendor.type");

        return type && !strcmp(type, "polling") && !inst->disabled;
}

/* inst's Close API key (its "username"), "" when it has none. Borrowed from inst. */
static const char *api_key(const cb_instance_t *inst)
{
        const char *key = cb_instance_config(inst, "username");

        return key ? key : "";
}

/* The worker free for a walk of inst, when fewer than per_key walks of its API key are under
 * way, or NULL; the caller holds lock. */
static ingest_poll_worker_t *free_worker(ingest_poller_t *p, const cb_instance_t *inst)
{
        ingest_poll_worker_t *idle = NULL;
        long same = 0;
        size_t i;

        for (i = 0; i < p->nworkers; i++) {
                if (!p->workers[i].inst)
                        idle = idle ? idle : &p->workers[i];
                else if (!strcmp(api_key(p->workers[i].inst), api_key(inst)))
                        same++;
        }
        return same < p->per_key ? idle : NULL;
}

/* A due instance waiting for a worker. */
typedef struct due {
        cb_instance_t *inst; /* borrowed from the snapshot */
        ingest_sched_t *s;
} due_t;

/* Longest overdue first, so that a key's instances take turns however many there are. */
static int by_next(const void *a, const void *b)
{
        int64_t x = ((const due_t *)a)->s->next_ms, y = ((const due_t *)b)->s->next_ms;

        return (x > y) - (x < y);
}

/* The sched_t of inst, made (due at once) when it has none; the caller holds lock. */
static ingest_sched_t *sched_of(ingest_poller_t *p, const cb_instance_t *inst)
{
        ingest_sched_t *s;

        HASH_FIND_STR(p->sched, inst->id, s);
        if (s || !(s = calloc(1, sizeof(*s))))
                return s;
        snprintf(s->id, sizeof(s->id), "%s", inst->id);
        map_add_failed = 0;
        HASH_ADD_STR(p->sched, id, s);
        if (map_add_failed) {
                free(s);
                s = NULL;
        }
        return s;
}

/* Hands the due instances of ours, longest overdue first, to free workers, as the number of
 * workers and the per-key limit allow. */
static void schedule(ingest_poller_t *p)
{
        cb_instance_t **all;
        ingest_poll_worker_t *w;
        ingest_sched_t *s;
        due_t *due;
        long n, i, ndue = 0;
        int64_t now = cb_time_now_ms();

        n = cb_table_snapshot(p->ing->table, &all);
        if (n < 0)
                return;
        due = malloc(((size_t)n + 1) * sizeof(*due));
        pthread_mutex_lock(&p->lock);
        for (i = 0; due && i < n; i++) {
                if (!__atomic_load_n(&p->run, __ATOMIC_ACQUIRE) || !polling(all[i]) ||
                    !ours(p, all[i]->partition))
                        continue;
                s = sched_of(p, all[i]);
                if (s && !s->busy && now >= s->next_ms)
                        due[ndue++] = (due_t){all[i], s};
        }
        if (ndue > 1)
                qsort(due, (size_t)ndue, sizeof(*due), by_next);
        for (i = 0; i < ndue; i++) {
                w = free_worker(p, due[i].inst);
                if (!w)
                        continue;
                due[i].s->busy = 1;
                w->s = due[i].s;
                w->inst = cb_instance_ref(due[i].inst);
                pthread_cond_broadcast(&p->wake);
        }
        pthread_mutex_unlock(&p->lock);
        free(due);
        for (i = 0; i < n; i++)
                cb_instance_release(all[i]);
        free(all);
}

/* Ends w's job, walked or not, and tells drain(). Call with p->lock held. */
static void job_done(ingest_poller_t *p, ingest_poll_worker_t *w)
{
        w->s->busy = 0;
        cb_instance_release(w->inst);
        w->inst = NULL;
        w->s = NULL;
        pthread_cond_broadcast(&p->idle);
}

/* A worker: walks the instances the scheduler hands it, one at a time, until run drops. */
static void *worker_main(void *arg)
{
        ingest_poll_worker_t *w = arg;
        ingest_poller_t *p = w->p;

        pthread_mutex_lock(&p->lock);
        while (__atomic_load_n(&p->run, __ATOMIC_ACQUIRE)) {
                if (!w->inst) {
                        pthread_cond_wait(&p->wake, &p->lock);
                        continue;
                }
                pthread_mutex_unlock(&p->lock);
                ingest_poll_walk(p, w->curl, w->inst, w->s);
                pthread_mutex_lock(&p->lock);
                job_done(p, w);
        }
        /* A job handed out just as run dropped is given back unwalked (the instance's next
           owner polls it): kept, it would make drain() wait for ever, and shutdown with it. */
        if (w->inst)
                job_done(p, w);
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

/* The scheduler: serves the group's rebalances and hands out the due walks. */
static void *poller_main(void *arg)
{
        ingest_poller_t *p = arg;
        rd_kafka_message_t *rkm;

        while (__atomic_load_n(&p->run, __ATOMIC_ACQUIRE) &&
               !__atomic_load_n(&p->fatal, __ATOMIC_ACQUIRE)) {
                /* serves rebalances; the records themselves are the table's business */
                rkm = rd_kafka_consumer_poll(p->assign, 100);
                if (rkm)
                        rd_kafka_message_destroy(rkm);
                rd_kafka_poll(p->txp, 0); /* its statistics and errors */
                schedule(p);
        }
        /* the walks end before the group hears we left, so no walk outlives our partitions */
        pthread_mutex_lock(&p->lock);
        drain(p);
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

ingest_poller_t *ingest_poller_new(ingest_t *ing, char *errstr, size_t errstr_size)
{
        char txid[256], host[128] = "host", group[256];
        const char *txdefaults[] = {"client.id",
                                    "closebridge-poller",
                                    "transactional.id",
                                    txid,
                                    "enable.idempotence",
                                    "true",
                                    "acks",
                                    "all",
                                    "reconnect.backoff.max.ms",
                                    "1000",
                                    "message.max.bytes",
                                    CB_PRODUCER_MESSAGE_MAX,
                                    NULL};
        const char *cdefaults[] = {
            "client.id", "closebridge-poller",       "group.id", group, "auto.offset.reset",
            "latest",    "reconnect.backoff.max.ms", "1000",     NULL};
        /* the assignment group only divides the instances: it never commits */
        const char *no_auto_commit[] = {"enable.auto.commit", "false", NULL};
        ingest_poller_t *p = calloc(1, sizeof(*p));
        rd_kafka_topic_partition_list_t *topics;
        rd_kafka_error_t *error;
        size_t i = 0;

        if (!p) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        pthread_mutex_init(&p->lock, NULL);
        pthread_mutex_init(&p->txlock, NULL);
        pthread_cond_init(&p->wake, NULL);
        pthread_cond_init(&p->idle, NULL);
        p->ing = ing;
        p->per_key = ing->conf.poll_per_key;
        cb_kafka_topic(&ing->kafka, CB_TOPIC_POLLER_STATE, p->topic_state, sizeof(p->topic_state));
        p->nworkers = ing->conf.poll_workers;
        p->workers = calloc(p->nworkers, sizeof(*p->workers));
        for (i = 0; p->workers && i < p->nworkers; i++) {
                p->workers[i].p = p;
                if (!(p->workers[i].curl = curl_easy_init()))
                        break;
        }
        p->m_polls =
            cb_metrics_family("closebridge_polls_total", "polls of the Close Event Log, by outcome",
                              CB_METRIC_COUNTER);
        p->m_events =
            cb_metrics_family("closebridge_polled_events_total",
                              "new events found by polling and published", CB_METRIC_COUNTER);
        if (!p->workers || i < p->nworkers) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        /* One transactional id per replica, stable across its restarts, so a restarted
           replica fences its own unfinished transaction at once. */
        gethostname(host, sizeof(host) - 1);
        if (*ing->conf.poller_txid)
                snprintf(txid, sizeof(txid), "%s", ing->conf.poller_txid);
        else
                snprintf(txid, sizeof(txid), "closebridge-poller-%s-%ld", host,
                         (long)ing->conf.http_port);
        snprintf(group, sizeof(group), "%s", ing->conf.poller_group_id);
        p->txp = cb_kafka_new(&ing->kafka,
                              &(cb_kafka_spec_t){.type = RD_KAFKA_PRODUCER, .defaults = txdefaults},
                              errstr, errstr_size);
        if (!p->txp)
                goto fail;
        error = rd_kafka_init_transactions(p->txp, ing->kafka.timeout_ms);
        if (error) {
                snprintf(errstr, errstr_size, "poller transactions: %s",
                         rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                goto fail;
        }
        p->assign = cb_kafka_new(&ing->kafka,
                                 &(cb_kafka_spec_t){.type = RD_KAFKA_CONSUMER,
                                                    .defaults = cdefaults,
                                                    .forced = no_auto_commit,
                                                    .opaque = p,
                                                    .rebalance_cb = rebalance_cb,
                                                    .consumer_poll = 1},
                                 errstr, errstr_size);
        if (!p->assign)
                goto fail;
        topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, ing->topic_instances, RD_KAFKA_PARTITION_UA);
        rd_kafka_subscribe(p->assign, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        __atomic_store_n(&p->run, 1, __ATOMIC_RELEASE);
        for (i = 0; i < p->nworkers; i++) {
                if (pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i])) {
                        snprintf(errstr, errstr_size, "cannot start the poller's workers");
                        goto fail;
                }
                p->workers[i].started = 1;
        }
        if (pthread_create(&p->thread, NULL, poller_main, p)) {
                snprintf(errstr, errstr_size, "cannot start the poller thread");
                goto fail;
        }
        p->thread_started = 1;
        return p;
fail:
        ingest_poller_destroy(p);
        return NULL;
}

void ingest_poller_destroy(ingest_poller_t *p)
{
        size_t i;

        if (!p)
                return;
        /* stored before the lock is taken, so that a rebalance holding it hears at once */
        __atomic_store_n(&p->run, 0, __ATOMIC_RELEASE);
        __atomic_store_n(&p->halt, 1, __ATOMIC_RELEASE);
        pthread_mutex_lock(&p->lock);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->lock);
        if (p->thread_started)
                pthread_join(p->thread, NULL);
        for (i = 0; i < p->nworkers; i++) {
                if (p->workers[i].started)
                        pthread_join(p->workers[i].thread, NULL);
                if (p->workers[i].curl)
                        curl_easy_cleanup(p->workers[i].curl);
        }
        free(p->workers);
        cb_kafka_consumer_destroy(p->assign, 3000);
        if (p->txp)
                rd_kafka_destroy(p->txp);
        sched_clear(&p->sched);
        ingest_poll_stored_clear(&p->stored);
        free(p->parts);
        pthread_cond_destroy(&p->wake);
        pthread_cond_destroy(&p->idle);
        pthread_mutex_destroy(&p->lock);
        pthread_mutex_destroy(&p->txlock);
        free(p);
}

int ingest_poller_fatal(ingest_poller_t *p)
{
        return p && __atomic_load_n(&p->fatal, __ATOMIC_ACQUIRE);
}
