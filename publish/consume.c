#include "consume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "body.h"
#include "cb_envelope.h"
#include "cb_json.h"
#include "cb_kafka.h"
#include "cb_log.h"

enum { FINAL = 0, STOPPED = -1 };

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        (void)opaque;
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                cb_log_info("assigned %d partitions", parts->cnt);
                rd_kafka_assign(rk, parts);
                return;
        }
        /* Hand back cleanly: what is final is committed before another member takes over. */
        if (!rd_kafka_assignment_lost(rk))
                rd_kafka_commit(rk, NULL, 0);
        cb_log_info("revoked %d partitions", parts->cnt);
        rd_kafka_assign(rk, NULL);
}

int publish_consumer_new(publish_t *pub, char *errstr, size_t errstr_size)
{
        const char *defaults[] = {"group.id", cb_config_str(pub->cfg, "group-id"),
                                  "enable.auto.commit", "false", "enable.auto.offset.store",
                                  "false", "auto.offset.reset", "earliest",
                                  "reconnect.backoff.max.ms", "1000",
                                  /* an idle partition answers a fetch after at most this:
                                     it bounds the delay of the first event after a pause */
                                  "fetch.wait.max.ms", "100", NULL};
        rd_kafka_conf_t *conf = cb_kafka_conf_new(pub->cfg, defaults, errstr, errstr_size);

        if (!conf)
                return -1;
        /* Offsets move only when an envelope is final; nothing may commit on its own. */
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", NULL, 0);
        rd_kafka_conf_set(conf, "enable.auto.offset.store", "false", NULL, 0);
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        pub->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
        if (!pub->rk) {
                rd_kafka_conf_destroy(conf);
                return -1;
        }
        rd_kafka_poll_set_consumer(pub->rk);
        return 0;
}

/* Sleeps ms in short steps; returns STOPPED when asked to stop meanwhile. */
static int pause_ms(publish_t *pub, long ms)
{
        struct timespec step = {0, 100 * 1000000};

        for (; ms > 0 && *pub->run; ms -= 100)
                nanosleep(&step, NULL);
        return *pub->run ? FINAL : STOPPED;
}

/* Delivers body to inst's callback URL until a 2xx. Returns FINAL or STOPPED. */
static int deliver_until_done(publish_t *pub, const cb_instance_t *inst, const char *env_id,
                              const char *content_type, const char *body)
{
        char ct[128], wid[CB_ENVELOPE_ID_MAX + 32], err[256];
        const char *headers[] = {ct, wid};
        long status, backoff = cb_config_int(pub->cfg, "retry-initial-ms");
        long backoff_max = cb_config_int(pub->cfg, "retry-max-ms");
        int attempt;

        snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
        snprintf(wid, sizeof(wid), "webhook-id: %s", env_id);
        for (attempt = 1; *pub->run; attempt++) {
                status = publish_deliver(pub->deliverer, inst->callback_url, headers, 2, body,
                                         strlen(body), err, sizeof(err));
                if (status >= 200 && status < 300) {
                        cb_log_info("delivered %s to instance %s (attempt %d, status %ld)", env_id,
                                    inst->id, attempt, status);
                        return FINAL;
                }
                if (status < 0)
                        cb_log_warn("delivery of %s to instance %s failed (attempt %d): %s", env_id,
                                    inst->id, attempt, err);
                else
                        cb_log_warn("delivery of %s to instance %s failed (attempt %d): HTTP %ld",
                                    env_id, inst->id, attempt, status);
                if (pause_ms(pub, backoff) == STOPPED)
                        break;
                backoff = backoff * 2 > backoff_max ? backoff_max : backoff * 2;
        }
        return STOPPED;
}

/* Takes one envelope to a final state. Returns FINAL or STOPPED. */
static int handle(publish_t *pub, const rd_kafka_message_t *rkm)
{
        char id[CB_INSTANCE_ID_MAX], err[256];
        cb_instance_t *inst = NULL;
        json_object *env = NULL;
        const char *env_id, *content_type;
        char *body = NULL;
        int ret = FINAL;

        if (!rkm->key || rkm->key_len == 0 || rkm->key_len >= sizeof(id)) {
                cb_log_warn("%s [%d] offset %lld: no instance id key, skipped",
                            rd_kafka_topic_name(rkm->rkt), rkm->partition, (long long)rkm->offset);
                return FINAL;
        }
        memcpy(id, rkm->key, rkm->key_len);
        id[rkm->key_len] = '\0';
        env = rkm->payload ? cb_json_parse(rkm->payload, rkm->len, err, sizeof(err)) : NULL;
        env_id = env ? cb_envelope_attr(env, "id") : NULL;
        if (!env_id) {
                cb_log_warn("%s [%d] offset %lld: not an envelope, skipped",
                            rd_kafka_topic_name(rkm->rkt), rkm->partition, (long long)rkm->offset);
                goto done;
        }
        inst = cb_table_get(pub->table, id);
        if (!inst) {
                /* The instance may have been written just before the event: catch up once. */
                cb_table_sync(pub->table, 5000);
                inst = cb_table_get(pub->table, id);
        }
        if (!inst || !inst->notify_enabled || !inst->callback_url) {
                cb_log_info("envelope %s skipped: instance %s is %s", env_id, id,
                            !inst ? "unknown or deleted" : "not enabled for notifications");
                goto done;
        }
        body = publish_body_new(inst, env, &content_type);
        if (!body) {
                cb_log_warn("envelope %s skipped: cannot build its callback body", env_id);
                goto done;
        }
        ret = deliver_until_done(pub, inst, env_id, content_type, body);
done:
        free(body);
        cb_instance_release(inst);
        json_object_put(env);
        return ret;
}

/* Stores offset+1 of rkm and commits it asynchronously. */
static void mark_final(publish_t *pub, const rd_kafka_message_t *rkm)
{
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
        rd_kafka_resp_err_t err;

        rd_kafka_topic_partition_list_add(parts, rd_kafka_topic_name(rkm->rkt), rkm->partition)
            ->offset = rkm->offset + 1;
        err = rd_kafka_offsets_store(pub->rk, parts);
        if (err)
                cb_log_warn("cannot store offset: %s", rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_destroy(parts);
        rd_kafka_commit(pub->rk, NULL, 1);
}

int publish_consume_loop(publish_t *pub)
{
        rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_message_t *rkm;
        rd_kafka_resp_err_t err;

        rd_kafka_topic_partition_list_add(topics, pub->topic_events, RD_KAFKA_PARTITION_UA);
        err = rd_kafka_subscribe(pub->rk, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (err) {
                cb_log_error("cannot subscribe to %s: %s", pub->topic_events,
                             rd_kafka_err2str(err));
                return -1;
        }
        while (*pub->run) {
                rkm = rd_kafka_consumer_poll(pub->rk, 200);
                if (!rkm)
                        continue;
                if (rkm->err) {
                        if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                cb_log_warn("consumer: %s", rd_kafka_message_errstr(rkm));
                        rd_kafka_message_destroy(rkm);
                        continue;
                }
                if (handle(pub, rkm) == FINAL)
                        mark_final(pub, rkm);
                rd_kafka_message_destroy(rkm);
        }
        return 0;
}

void publish_consumer_close(publish_t *pub)
{
        if (!pub->rk)
                return;
        rd_kafka_commit(pub->rk, NULL, 0);
        rd_kafka_consumer_close(pub->rk);
        rd_kafka_destroy(pub->rk);
        pub->rk = NULL;
}
