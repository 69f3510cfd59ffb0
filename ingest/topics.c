#include "topics.h"

#include <stdio.h>

#include "cb_kafka.h"
#include "cb_log.h"

int ingest_topics_setup(ingest_t *ing, char *errstr, size_t errstr_size)
{
        const cb_kafka_conf_t *kc = &ing->kafka;
        rd_kafka_t *rk = ingest_producer_rk(ing->producer);
        int timeout = ing->kafka.timeout_ms;
        long body = ing->conf.max_body_bytes;
        long want = body + CB_ENVELOPE_ROOM + CB_RECORD_HEADROOM, limits[2], least;
        char state[256], dlq[256];
        const char *names[2] = {ing->topic_events, dlq};
        cb_topic_spec_t topics[3] = {
            {ing->topic_events, 0, 0, 0}, {ing->topic_instances, 1, 0, 0}, {state, 1, 0, 0}};
        size_t i;

        if (want < ing->kafka.topic_max_message_bytes)
                want = ing->kafka.topic_max_message_bytes;
        /* an instance record holds a body of the instances API, as large as a webhook's */
        topics[0].max_message_bytes = topics[1].max_message_bytes = want;
        cb_kafka_topic(kc, CB_TOPIC_POLLER_STATE, state, sizeof(state));
        cb_kafka_topic(kc, CB_TOPIC_DLQ, dlq, sizeof(dlq));
        if (cb_kafka_ensure_topics(rk, kc, topics, 3, errstr, errstr_size))
                return -1;
        /* a topic just made has what it was made with; the broker may not tell it at once */
        if (cb_kafka_max_message_bytes(rk, names, 2, topics[0].created ? 0 : 1, limits, timeout,
                                       errstr, errstr_size))
                return -1;
        if (topics[0].created)
                limits[0] = want;
        least = limits[0];
        for (i = 1; i < 2; i++)
                if (limits[i] > 0 && limits[i] < least)
                        least = limits[i];
        if (least <= CB_RECORD_HEADROOM) {
                snprintf(errstr, errstr_size,
                         "topics %s and %s take records of %ld bytes at most: too small for any "
                         "event",
                         names[0], names[1], least);
                return -1;
        }
        ing->record_max = (size_t)(least - CB_RECORD_HEADROOM);
        if (least < body + CB_ENVELOPE_ROOM + CB_RECORD_HEADROOM)
                cb_log_warn("topic %s takes records of %ld bytes at most (max.message.bytes): "
                            "webhooks over about %ld bytes get 413, not the %ld of "
                            "--max-body-bytes; raise max.message.bytes of %s and %s to %ld "
                            "(kafka-configs.sh --alter --entity-type topics --add-config), or "
                            "lower --max-body-bytes",
                            least == limits[0] ? names[0] : names[1], least,
                            least - CB_RECORD_HEADROOM - CB_ENVELOPE_ROOM, body, names[0], names[1],
                            body + CB_ENVELOPE_ROOM + CB_RECORD_HEADROOM);
        return 0;
}
