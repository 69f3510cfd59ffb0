#include "poller_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_kafka.h"
#include "cb_log.h"
#include "cb_time.h"
#include "ingest.h"

void ingest_poll_stored_clear(ingest_stored_t **stored)
{
        ingest_stored_t *e, *tmp;

        HASH_ITER(hh, *stored, e, tmp)
        {
                HASH_DEL(*stored, e);
                free(e->json);
                free(e);
        }
}

void ingest_poll_stored_put(ingest_stored_t **stored, const char *id, const char *json, size_t n)
{
        ingest_stored_t *e;

        HASH_FIND_STR(*stored, id, e);
        if (e) {
                HASH_DEL(*stored, e);
                free(e->json);
                free(e);
        }
        if (!json || !(e = calloc(1, sizeof(*e))))
                return;
        snprintf(e->id, sizeof(e->id), "%s", id);
        e->json = strndup(json, n);
        map_add_failed = 0;
        if (e->json)
                HASH_ADD_STR(*stored, id, e);
        if (!e->json || map_add_failed) {
                free(e->json);
                free(e);
        }
}

ingest_stored_t *ingest_poll_stored_load(ingest_poller_t *p)
{
        static const char *const defaults[] = {"client.id",
                                               "closebridge-poller-state",
                                               "group.id",
                                               "closebridge-poller-state",
                                               "enable.auto.commit",
                                               "false",
                                               "enable.partition.eof",
                                               "true",
                                               "isolation.level",
                                               "read_committed",
                                               NULL};
        rd_kafka_topic_partition_list_t *parts = NULL;
        rd_kafka_message_t *rkm;
        rd_kafka_t *rk = NULL;
        char errstr[256], key[CB_INSTANCE_ID_MAX];
        int n, i, eofs = 0;
        int64_t deadline = cb_time_now_ms() + p->ing->kafka.timeout_ms;
        ingest_stored_t *stored = NULL;

        rk = cb_kafka_new(&p->ing->kafka,
                          &(cb_kafka_spec_t){.type = RD_KAFKA_CONSUMER, .defaults = defaults},
                          errstr, sizeof(errstr));
        n = rk ? cb_kafka_partition_count(rk, p->topic_state, 10000, errstr, sizeof(errstr)) : -1;
        if (n <= 0) {
                cb_log_warn("poller: cannot read %s: %s; polls start afresh", p->topic_state,
                            errstr);
                goto done;
        }
        parts = rd_kafka_topic_partition_list_new(n);
        for (i = 0; i < n; i++)
                rd_kafka_topic_partition_list_add(parts, p->topic_state, i)->offset =
                    RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk, parts);
        while (eofs < n && cb_time_now_ms() < deadline &&
               __atomic_load_n(&p->run, __ATOMIC_ACQUIRE)) {
                rkm = rd_kafka_consumer_poll(rk, 200);
                if (!rkm)
                        continue;
                if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        eofs++;
                } else if (!rkm->err && rkm->key && rkm->key_len < sizeof(key)) {
                        memcpy(key, rkm->key, rkm->key_len);
                        key[rkm->key_len] = '\0';
                        ingest_poll_stored_put(&stored, key, rkm->payload, rkm->len);
                }
                rd_kafka_message_destroy(rkm);
        }
        if (eofs < n && __atomic_load_n(&p->run, __ATOMIC_ACQUIRE))
                cb_log_warn("poller: %s not read to its end in time", p->topic_state);
done:
        if (parts)
                rd_kafka_topic_partition_list_destroy(parts);
        cb_kafka_consumer_destroy(rk, 1000);
        return stored;
}
