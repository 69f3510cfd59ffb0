/* console record: what one Kafka record of a followed topic says about an event, decoded
 * without any I/O (a pure function, fuzzed by tests/fuzz/fuzz_console_record.c).
 *
 * The followed topics and what their records mean (docs/console.md):
 * - closeio.events: an event was received (the envelope: its id, instance, object, type,
 *   origin and time);
 * - closeio.deliveries: one delivery attempt (publish/attempt_log.h): its outcome "delivered",
 *   "retry", "dead", "breaker-open" or "skipped", status or error, duration, next due time;
 * - closeio.events.retry.<delay>: the event waits for another attempt (headers cb-attempt,
 *   cb-due-ms, cb-last-status, cb-last-error);
 * - closeio.events.dlq: the event is dead (header cb-dead-reason, cb-attempt, ...).
 * Every record carries the instance id as its Kafka key. */
#ifndef CONSOLE_RECORD_H
#define CONSOLE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "cb_envelope.h"
#include "cb_instance.h"

/* Where an event stands. The order is the rank that breaks ties between records of the same
 * time: a later record of equal time wins when its rank is not lower. */
typedef enum console_state {
        CONSOLE_RECEIVED = 0,
        CONSOLE_RETRYING = 1,
        CONSOLE_DELIVERED = 2,
        CONSOLE_DEAD = 3,
        CONSOLE_SKIPPED = 4,
} console_state_t;

/* "received", "retrying", "delivered", "dead", "skipped" (static). */
const char *console_state_name(console_state_t state);

/* The state named s (one of the names above, exactly), or -1. */
int console_state_parse(const char *s);

/* Which kind of topic a record came from. */
typedef enum console_topic_kind {
        CONSOLE_TOPIC_EVENTS,
        CONSOLE_TOPIC_DELIVERIES,
        CONSOLE_TOPIC_RETRY,
        CONSOLE_TOPIC_DLQ,
} console_topic_kind_t;

/* One Kafka header, borrowed: value is not NUL-terminated (len bytes; NULL for a null one). */
typedef struct console_header {
        const char *name;
        const char *value;
        size_t len;
} console_header_t;

/* A Kafka record as the follower hands it over; everything borrowed. */
typedef struct console_kafka_rec {
        console_topic_kind_t kind;
        const char *topic;
        int32_t partition;
        int64_t offset;
        int64_t ts_ms; /* the record's timestamp (CreateTime), epoch ms */
        const char *key;
        size_t key_len;
        const char *value;
        size_t len;
        const console_header_t *headers;
        size_t nheaders;
} console_kafka_rec_t;

/* What a record says; every string NUL-terminated, "" when absent; numbers 0 (or -1 where
 * said) when absent. Strings that do not fit are cut. */
typedef struct console_rec {
        console_topic_kind_t kind;
        char instance_id[CB_INSTANCE_ID_MAX]; /* the Kafka key */
        char env_id[CB_ENVELOPE_ID_MAX];
        const char *topic; /* borrowed from the Kafka record */
        int32_t partition;
        int64_t offset;
        int64_t ts_ms;
        console_state_t state; /* what the record makes the event */
        /* CONSOLE_TOPIC_EVENTS, from the envelope (data.objectType, data.objectId,
           data.eventType; type, origin, time) */
        char object_type[64];
        char object_id[128];
        char event_type[16];
        char type[128];
        char origin[16];
        int64_t event_time_ms; /* "time", epoch ms; 0 when absent or unreadable */
        /* CONSOLE_TOPIC_DELIVERIES (attempt record), and from the headers of retry and DLQ
           records (cb-attempt, cb-last-status, cb-last-error, cb-due-ms, cb-dead-reason) */
        int attempt;         /* attempt number; 0 when absent */
        int status;          /* HTTP status; 0 when none (a transport error) */
        char error[256];     /* what went wrong, in words */
        int64_t duration_ms; /* attempts */
        char outcome[16];    /* attempts: "delivered", "retry", "dead", "breaker-open",
                                "skipped" */
        int64_t next_due_ms; /* when the next attempt is due (attempts, retry records); 0 */
        int64_t at_ms;       /* attempts: "at"; others: ts_ms */
        char url[512];       /* attempts: the URL without credentials */
        char reason[256];    /* DLQ: cb-dead-reason; skipped attempts: the error */
        char replay[64];     /* attempts: "replay", the replay that asked for it */
} console_rec_t;

/* Decodes in into out. The state follows from the kind: an event record is CONSOLE_RECEIVED;
 * an attempt's outcome "delivered" is DELIVERED, "retry" and "breaker-open" RETRYING, "dead"
 * DEAD, "skipped" SKIPPED; a retry record RETRYING; a DLQ record DEAD.
 * Returns 0, or -1 with errstr set when the record says nothing the index can use: no key or a
 * key that is not an instance id (cb_instance_id_valid), a value that is not JSON (events,
 * attempts), no envelope id ("id" of the envelope; "envelopeId" of an attempt; retry and DLQ
 * records carry the envelope itself as their value), an unknown outcome. Never reads past the
 * lengths given. */
int console_rec_decode(const console_kafka_rec_t *in, console_rec_t *out, char *errstr,
                       size_t errstr_size);

#endif
