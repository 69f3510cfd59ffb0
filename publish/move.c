#include "move.h"

#include <stdio.h>
#include <string.h>

#include "cb_log.h"

/* Produces it's record (same key and value, its headers but closebridge's own) to topic with
 * extra headers, the item as the report's opaque. Returns 0, or -1 when refused at once. */
static int produce(publish_t *pub, publish_item_t *it, const char *topic, const char *const *extra)
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

static void again_later(publish_t *pub, publish_item_t *it)
{
        it->next = pub->state->reproduce;
        pub->state->reproduce = it;
}

static void last_status(const publish_item_t *it, char *out, size_t size)
{
        if (it->last_status > 0)
                snprintf(out, size, "%ld", it->last_status);
        else
                snprintf(out, size, "error");
}

void publish_move_retry(publish_t *pub, publish_item_t *it, size_t step, int attempt,
                        int64_t due_ms)
{
        char topic[PUBLISH_TOPIC_MAX], a[16], due[24], status[24];
        const char *extra[] = {PUBLISH_H_ATTEMPT,
                               a,
                               PUBLISH_H_DUE,
                               due,
                               PUBLISH_H_LAST_STATUS,
                               status,
                               PUBLISH_H_LAST_ERROR,
                               it->last_error,
                               NULL};

        publish_ladder_topic(&pub->ladder, step, pub->topic_events, topic, sizeof(topic));
        snprintf(a, sizeof(a), "%d", attempt);
        snprintf(due, sizeof(due), "%lld", (long long)due_ms);
        last_status(it, status, sizeof(status));
        it->attempt = attempt;
        it->due_ms = due_ms;
        it->step = step;
        if (produce(pub, it, topic, extra))
                again_later(pub, it);
}

void publish_move_dlq(publish_t *pub, publish_item_t *it, const char *reason)
{
        char a[16], status[24];
        const char *extra[] = {PUBLISH_H_ATTEMPT,
                               a,
                               PUBLISH_H_REASON,
                               reason,
                               PUBLISH_H_LAST_STATUS,
                               status,
                               PUBLISH_H_LAST_ERROR,
                               it->last_error,
                               NULL};

        snprintf(a, sizeof(a), "%d", it->attempt);
        last_status(it, status, sizeof(status));
        if (!it->dead_reason) /* not again when the move is retried */
                cb_log_kv(CB_LOG_WARN,
                          CB_KV("envelope", it->env_id, "instance", it->inst ? it->inst->id : "",
                                "attempt", a, "status", status),
                          "dead-lettered: %s", reason);
        it->dead_reason = reason;
        if (produce(pub, it, pub->topic_dlq, extra))
                again_later(pub, it);
}

void publish_move_again(publish_t *pub)
{
        publish_item_t *it = pub->state->reproduce, *next;

        pub->state->reproduce = NULL;
        for (; it; it = next) {
                next = it->next;
                it->next = NULL;
                if (it->generation != pub->state->generation)
                        publish_item_free(it);
                else if (it->dead_reason)
                        publish_move_dlq(pub, it, it->dead_reason);
                else
                        publish_move_retry(pub, it, it->step, it->attempt, it->due_ms);
        }
}

void publish_move_report(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
        publish_t *pub = opaque;
        publish_item_t *it = rkm->_private;

        (void)rk;
        if (!it)
                return; /* an attempts-log record */
        if (rkm->err) {
                cb_log_kv(CB_LOG_WARN,
                          CB_KV("envelope", it->env_id, "topic", rd_kafka_topic_name(rkm->rkt)),
                          "moving the envelope failed: %s; trying again",
                          rd_kafka_err2str(rkm->err));
                again_later(pub, it);
                return;
        }
        publish_final(pub, it);
}
