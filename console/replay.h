/* console replay: an event sent again, through closeio.events.replay, which publish consumes
 * like a retry topic whose records are due at once (so subscribers of closeio.events never see a
 * replay). The replay keeps the record's key, value (the envelope, so its id: the receiver's
 * webhook-id) and headers, but closebridge's own (cb-*), and adds cb-replay (the replay's id,
 * which publish writes into the attempt records it leads to) and cb-attempt 1 (a replay starts
 * the retry ladder again). docs/console.md §4.
 *
 * Threads: a console_replay_t is one Kafka producer and belongs to one thread (an API worker),
 * which serves its delivery reports while it waits. */
#ifndef CONSOLE_REPLAY_H
#define CONSOLE_REPLAY_H

#include <stddef.h>
#include <librdkafka/rdkafka.h>

#include "cb_kafka.h"

/* Room for a replay id, NUL included ("rp_" and 16 hex digits). */
#define CONSOLE_REPLAY_ID_MAX 20

typedef struct console_replay console_replay_t;

/* A producer (idempotent, acks=all) configured from kc (read during the call) for topic (the
 * full name, borrowed for the producer's life). Returns NULL with errstr set. */
console_replay_t *console_replay_new(const cb_kafka_conf_t *kc, const char *topic, char *errstr,
                                     size_t errstr_size);

/* Frees rp after flushing what it still holds. NULL is a no-op. */
void console_replay_destroy(console_replay_t *rp);

/* Writes a new random replay id into out. Returns 0, or -1 when no random bytes came. */
int console_replay_id(char *out, size_t out_size);

/* hdrs (borrowed, may be NULL) without closebridge's own (cb-*), plus cb-replay: replay_id and
 * cb-attempt: 1. A new list the caller owns (or hands to producev). */
rd_kafka_headers_t *console_replay_headers(const rd_kafka_headers_t *hdrs, const char *replay_id);

/* Produces value (len bytes, copied) keyed instance_id, with hdrs (borrowed, may be NULL; cb-*
 * left out) and the replay headers of replay_id, and waits up to timeout_ms until Kafka
 * acknowledged it. Returns 0, or -1 with errstr set (refused, failed or timed out: the replay may
 * then still be written, which costs at most one more delivery of the same webhook-id). */
int console_replay_produce(console_replay_t *rp, const char *instance_id, const char *value,
                           size_t len, const rd_kafka_headers_t *hdrs, const char *replay_id,
                           int timeout_ms, char *errstr, size_t errstr_size);

#endif
