/* publish item: one consumed message on its way to a final state (consume.h), as the consume
 * loop's modules pass it around. An item is owned by exactly one holder at a time: its key's
 * turns (cb_turns.h), a parked partition (parked.h), the delivery engine while an attempt is in
 * flight (its job's opaque), the producer while it is moved to another topic (move.h). */
#ifndef PUBLISH_ITEM_H
#define PUBLISH_ITEM_H

#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "cb_envelope.h"
#include "cb_instance.h"
#include "cb_turns.h"

typedef struct publish_item {
        struct publish_item *next; /* in its holder's list */
        rd_kafka_message_t *rkm;   /* owned; NULL only in unit tests */
        unsigned generation;       /* of the assignment it was consumed under */
        int attempt;               /* number of the next attempt (1 on the events topic) */
        int64_t due_ms;            /* retry topics: when the attempt is due */
        size_t step;               /* the retry step it is being moved to */
        const char *dead_reason;   /* set while it is moved to the dead-letter topic (static) */
        cb_instance_t *inst;       /* a reference, while being delivered */
        char *key;                 /* ordering key: instance id, '\n', subject */
        cb_turn_t turn;            /* its turn under key (one in flight per key) */
        char *body;
        const char *content_type;
        char env_id[CB_ENVELOPE_ID_MAX];
        char dest[256];
        long last_status;
        char last_error[128];
        char replay[32]; /* the cb-replay header of a record of the replay topic, or "" */
} publish_item_t;

/* Frees it and what it owns (its message, instance reference, key and body). NULL: nothing. */
void publish_item_free(publish_item_t *it);

/* The topic its message came from (borrowed from the message). */
const char *publish_item_topic(const publish_item_t *it);

/* The last header name of rkm as a new string (the caller frees it), or NULL. */
char *publish_item_header(const rd_kafka_message_t *rkm, const char *name);

#endif
