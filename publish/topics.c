#include "topics.h"

#include <stdio.h>

#include "cb_kafka.h"
#include "cb_log.h"
#include "consume.h"
#include "retry.h"

#define TOPICS_MAX (PUBLISH_LADDER_MAX + 5)

int publish_topics_setup(publish_t *pub, char *errstr, size_t errstr_size)
{
        char names[TOPICS_MAX][PUBLISH_TOPIC_MAX];
        const char *ptrs[TOPICS_MAX];
        int compact[TOPICS_MAX], timeout = pub->kafka.timeout_ms;
        cb_topic_spec_t specs[TOPICS_MAX];
        long events, limits[TOPICS_MAX], room = pub->kafka.topic_max_message_bytes;
        size_t n = publish_topics(pub, names, compact), i;

        for (i = 0; i < n; i++)
                ptrs[i] = names[i];
        /* names[0] is closeio.events; it sets the size of those an envelope moves to */
        if (cb_kafka_max_message_bytes(pub->prk, ptrs, 1, 0, &events, timeout, errstr, errstr_size))
                return -1;
        if (events > room)
                room = events;
        for (i = 0; i < n; i++)
                specs[i] = (cb_topic_spec_t){names[i], compact[i], 0, 0};
        specs[2].max_message_bytes = room; /* the DLQ */
        for (i = 4; i < n; i++)
                specs[i].max_message_bytes = room; /* the replay and retry topics */
        if (cb_kafka_ensure_topics(pub->prk, &pub->kafka, specs, n, errstr, errstr_size) ||
            cb_kafka_max_message_bytes(pub->prk, ptrs, n, 0, limits, timeout, errstr, errstr_size))
                return -1;
        /* a topic just made has what it was made with; the broker may not tell it at once */
        for (i = 0; i < n; i++)
                if (specs[i].created)
                        limits[i] = specs[i].max_message_bytes ? specs[i].max_message_bytes : room;
        for (i = 2; i < n; i++)
                if (i != 3 && limits[i] > 0 && limits[i] < limits[0])
                        cb_log_warn("topic %s takes records of %ld bytes at most, less than the "
                                    "%ld of %s: an event larger than that can neither be retried "
                                    "nor dead-lettered; raise its max.message.bytes to %ld "
                                    "(kafka-configs.sh --alter --entity-type topics "
                                    "--add-config)",
                                    names[i], limits[i], limits[0], names[0], limits[0]);
        return 0;
}
