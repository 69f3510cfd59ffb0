#include "cb_table.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <librdkafka/rdkafka.h>

#include "cb_json.h"
#include "cb_kafka.h"
#include "cb_log.h"
#include "cb_map.h"
#include "cb_thread.h"
#include "cb_time.h"

/* An instance in the map, which holds one reference to it. */
typedef struct entry {
        UT_hash_handle hh;
        cb_instance_t *inst; /* keyed by inst->id */
} entry_t;

struct cb_table {
        const char *topic;
        rd_kafka_t *rk;
        cb_thread_t thread; /* table_main */

        pthread_rwlock_t lock; /* guards map */
        entry_t *map;          /* by instance id */

        pthread_mutex_t mtx; /* guards what follows */
        pthread_cond_t cond; /* broadcast whenever a position moves */
        int partitions;
        int64_t *position; /* next offset to apply, per partition */
        int *eof;          /* partition reached its end at least once */
        int loaded;
};

/* Takes e out of the map and frees it, its reference too. Under the write lock. */
static void entry_drop(cb_table_t *t, entry_t *e)
{
        HASH_DEL(t->map, e);
        cb_instance_release(e->inst);
        free(e);
}

/* Puts inst (its reference taken) in the map. Under the write lock, with no entry of its id.
 * Returns 0, or -1 when out of memory (inst released). */
static int entry_add(cb_table_t *t, cb_instance_t *inst)
{
        entry_t *e = calloc(1, sizeof(*e));

        if (!e) {
                cb_instance_release(inst);
                return -1;
        }
        e->inst = inst;
        map_add_failed = 0;
        HASH_ADD_KEYPTR(hh, t->map, inst->id, strlen(inst->id), e);
        if (map_add_failed) {
                cb_instance_release(inst);
                free(e);
                return -1;
        }
        return 0;
}

/* Applies one record: a value replaces the instance, a tombstone deletes it. */
static void apply(cb_table_t *t, const rd_kafka_message_t *rkm)
{
        char id[CB_INSTANCE_ID_MAX], err[256];
        cb_instance_t *inst = NULL;
        json_object *json;
        entry_t *e;

        if (!rkm->key || rkm->key_len == 0 || rkm->key_len >= sizeof(id)) {
                cb_log_warn("%s: record at offset %lld has no valid key, skipped", t->topic,
                            (long long)rkm->offset);
                return;
        }
        memcpy(id, rkm->key, rkm->key_len);
        id[rkm->key_len] = '\0';
        if (!cb_instance_id_valid(id)) {
                /* e.g. ingest's id reservations: records that are not instances */
                cb_log_debug("%s: record with key %s is not an instance, skipped", t->topic, id);
                return;
        }
        if (rkm->payload) {
                json = cb_json_parse(rkm->payload, rkm->len, err, sizeof(err));
                inst = json ? cb_instance_new(id, json, err, sizeof(err)) : NULL;
                if (inst)
                        inst->partition = rkm->partition;
                if (!inst) {
                        cb_log_warn("%s: instance %s at offset %lld is invalid (%s), skipped",
                                    t->topic, id, (long long)rkm->offset, err);
                        return;
                }
        }
        pthread_rwlock_wrlock(&t->lock);
        HASH_FIND(hh, t->map, id, strlen(id), e);
        if (e)
                entry_drop(t, e);
        if (inst && entry_add(t, inst))
                cb_log_error("%s: out of memory storing instance %s", t->topic, id);
        pthread_rwlock_unlock(&t->lock);
}

static void *table_main(void *arg)
{
        cb_table_t *t = arg;
        rd_kafka_message_t *rkm;
        int i, all;

        while (cb_thread_running(&t->thread)) {
                rkm = rd_kafka_consumer_poll(t->rk, 100);
                if (!rkm)
                        continue;
                if (rkm->err && rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        cb_log_warn("%s: %s", t->topic, rd_kafka_message_errstr(rkm));
                        rd_kafka_message_destroy(rkm);
                        continue;
                }
                if (!rkm->err)
                        apply(t, rkm);
                if (rkm->partition >= 0 && rkm->partition < t->partitions) {
                        pthread_mutex_lock(&t->mtx);
                        if (rkm->err) {
                                t->eof[rkm->partition] = 1;
                                t->position[rkm->partition] = rkm->offset;
                        } else {
                                t->position[rkm->partition] = rkm->offset + 1;
                        }
                        for (all = 1, i = 0; i < t->partitions; i++)
                                all &= t->eof[i];
                        if (all && !t->loaded) {
                                __atomic_store_n(&t->loaded, 1, __ATOMIC_RELEASE);
                                cb_log_info("%s: instances table loaded", t->topic);
                        }
                        pthread_cond_broadcast(&t->cond);
                        pthread_mutex_unlock(&t->mtx);
                }
                rd_kafka_message_destroy(rkm);
        }
        return NULL;
}

cb_table_t *cb_table_new(const cb_kafka_conf_t *kc, const char *topic, char *errstr,
                         size_t errstr_size)
{
        /* group.id is required by assign() in librdkafka 2.0.2; the table never commits. */
        static const char *const defaults[] = {"client.id", "closebridge-table", "group.id",
                                               "closebridge-table", "reconnect.backoff.max.ms",
                                               "1000",
                                               /* a fetch held open would delay the end-offset
                                                  requests of cb_table_sync behind it on the
                                                  same connection */
                                               "fetch.wait.max.ms", "50", NULL};
        static const char *const forced[] = {"enable.partition.eof", "true", "enable.auto.commit",
                                             "false", NULL};
        rd_kafka_topic_partition_list_t *parts = NULL;
        cb_table_t *t = calloc(1, sizeof(*t));
        int i;

        if (!t) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        t->topic = topic;
        pthread_rwlock_init(&t->lock, NULL);
        pthread_mutex_init(&t->mtx, NULL);
        pthread_cond_init(&t->cond, NULL);
        t->rk = cb_kafka_new(kc,
                             &(cb_kafka_spec_t){.type = RD_KAFKA_CONSUMER,
                                                .defaults = defaults,
                                                /* the table's own: it must read from the start */
                                                .forced = forced},
                             errstr, errstr_size);
        if (!t->rk)
                goto fail;
        t->partitions = cb_kafka_partition_count(t->rk, topic, kc->timeout_ms, errstr, errstr_size);
        if (t->partitions <= 0)
                goto fail;
        t->position = calloc((size_t)t->partitions, sizeof(*t->position));
        t->eof = calloc((size_t)t->partitions, sizeof(*t->eof));
        parts = rd_kafka_topic_partition_list_new(t->partitions);
        if (!t->position || !t->eof || !parts) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        for (i = 0; i < t->partitions; i++)
                rd_kafka_topic_partition_list_add(parts, topic, i)->offset =
                    RD_KAFKA_OFFSET_BEGINNING;
        if (rd_kafka_assign(t->rk, parts)) {
                snprintf(errstr, errstr_size, "cannot assign %s", topic);
                goto fail;
        }
        rd_kafka_topic_partition_list_destroy(parts);
        parts = NULL;
        if (cb_thread_start(&t->thread, table_main, t)) {
                snprintf(errstr, errstr_size, "cannot start the table thread");
                goto fail;
        }
        return t;
fail:
        if (parts)
                rd_kafka_topic_partition_list_destroy(parts);
        cb_table_destroy(t);
        return NULL;
}

void cb_table_destroy(cb_table_t *t)
{
        entry_t *e, *tmp;

        if (!t)
                return;
        cb_thread_stop(&t->thread);
        cb_kafka_consumer_destroy(t->rk, 1000);
        HASH_ITER(hh, t->map, e, tmp)
        {
                entry_drop(t, e);
        }
        free(t->position);
        free(t->eof);
        pthread_rwlock_destroy(&t->lock);
        pthread_mutex_destroy(&t->mtx);
        pthread_cond_destroy(&t->cond);
        free(t);
}

/* Read on every request (readiness): loaded only ever goes from 0 to 1, so an atomic load
 * does, without the mutex the table thread takes for every record. */
int cb_table_loaded(cb_table_t *t)
{
        return __atomic_load_n(&t->loaded, __ATOMIC_ACQUIRE);
}

/* Milliseconds left until deadline (CLOCK_REALTIME), at least 0. */
static int ms_left(const struct timespec *deadline)
{
        struct timespec now;
        long long ms;

        clock_gettime(CLOCK_REALTIME, &now);
        ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
             (deadline->tv_nsec - now.tv_nsec) / 1000000;
        return ms > 0 ? (int)ms : 0;
}

/* Reads the end offset of every partition in one ListOffsets request into ends[]. A topic
 * created a moment ago may not have leaders yet: asks again until the deadline.
 * Returns 0 or -1. */
static int end_offsets(cb_table_t *t, int64_t *ends, const struct timespec *deadline)
{
        struct timespec step = {0, 100 * 1000000};
        rd_kafka_topic_partition_list_t *parts;
        rd_kafka_resp_err_t err;
        int i;

        for (;;) {
                parts = rd_kafka_topic_partition_list_new(t->partitions);
                for (i = 0; i < t->partitions; i++)
                        rd_kafka_topic_partition_list_add(parts, t->topic, i)->offset =
                            RD_KAFKA_OFFSET_END;
                err = rd_kafka_offsets_for_times(t->rk, parts, ms_left(deadline) + 1);
                for (i = 0; !err && i < parts->cnt; i++) {
                        err = parts->elems[i].err;
                        ends[parts->elems[i].partition] = parts->elems[i].offset;
                }
                rd_kafka_topic_partition_list_destroy(parts);
                if (!err)
                        return 0;
                if (ms_left(deadline) == 0) {
                        cb_log_warn("%s: end offsets unknown: %s", t->topic, rd_kafka_err2str(err));
                        return -1;
                }
                nanosleep(&step, NULL);
        }
}

int cb_table_sync(cb_table_t *t, int timeout_ms)
{
        struct timespec deadline;
        int64_t *ends = calloc((size_t)t->partitions, sizeof(*ends));
        int i, ret = 0;

        if (!ends)
                return -1;
        cb_time_deadline(&deadline, timeout_ms);
        if (end_offsets(t, ends, &deadline)) {
                free(ends);
                return -1;
        }
        pthread_mutex_lock(&t->mtx);
        for (i = 0; i < t->partitions && !ret; i++)
                while (t->position[i] < ends[i] && !ret)
                        ret = pthread_cond_timedwait(&t->cond, &t->mtx, &deadline) ? -1 : 0;
        pthread_mutex_unlock(&t->mtx);
        free(ends);
        return ret;
}

cb_instance_t *cb_table_get(cb_table_t *t, const char *id)
{
        cb_instance_t *inst = NULL;
        entry_t *e;

        pthread_rwlock_rdlock(&t->lock);
        HASH_FIND(hh, t->map, id, strlen(id), e);
        if (e)
                inst = cb_instance_ref(e->inst);
        pthread_rwlock_unlock(&t->lock);
        return inst;
}

size_t cb_table_count(cb_table_t *t)
{
        size_t n;

        pthread_rwlock_rdlock(&t->lock);
        n = HASH_COUNT(t->map);
        pthread_rwlock_unlock(&t->lock);
        return n;
}

static int by_numeric_id(const void *a, const void *b)
{
        const cb_instance_t *x = *(cb_instance_t *const *)a, *y = *(cb_instance_t *const *)b;
        size_t lx = strlen(x->id), ly = strlen(y->id);

        /* ids are digit strings without leading zeros: longer is larger */
        return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->id, y->id);
}

long cb_table_snapshot(cb_table_t *t, cb_instance_t ***out)
{
        entry_t *e;
        cb_instance_t **all;
        long n = 0;

        pthread_rwlock_rdlock(&t->lock);
        all = malloc((HASH_COUNT(t->map) + 1) * sizeof(*all));
        if (all)
                for (e = t->map; e; e = e->hh.next)
                        all[n++] = cb_instance_ref(e->inst);
        pthread_rwlock_unlock(&t->lock);
        if (!all)
                return -1;
        qsort(all, (size_t)n, sizeof(*all), by_numeric_id);
        *out = all;
        return n;
}
