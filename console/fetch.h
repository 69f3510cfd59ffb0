/* console fetch: one record of a topic read back by its position, for the envelope of an
 * event the API shows (the index keeps only where it is: docs/console.md).
 *
 * Threads: a console_fetch_t is one Kafka consumer and belongs to one thread (an API worker). */
#ifndef CONSOLE_FETCH_H
#define CONSOLE_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "cb_kafka.h"

typedef struct console_fetch console_fetch_t;

/* A fetcher with a consumer configured from kc (read during the call). Returns NULL with
 * errstr set. */
console_fetch_t *console_fetch_new(const cb_kafka_conf_t *kc, char *errstr, size_t errstr_size);

/* Frees fe. NULL is a no-op. */
void console_fetch_destroy(console_fetch_t *fe);

/* Reads the value of the record at offset of topic's partition into a new NUL-terminated
 * buffer (*out, the caller frees it; its length in *len), and, when hdrs is not NULL, a copy of
 * its headers (*hdrs, NULL without any; the caller destroys them). Waits up to timeout_ms.
 * Returns 0; 1 when the record is not there (retention, compaction, an offset not written yet)
 * or has no value;
 * -1 with errstr set on a Kafka error or time-out. */
int console_fetch_value(console_fetch_t *fe, const char *topic, int32_t partition, int64_t offset,
                        int timeout_ms, char **out, size_t *len, rd_kafka_headers_t **hdrs,
                        char *errstr, size_t errstr_size);

/* One record to read back, and what was read (console_fetch_many). */
typedef struct console_fetch_item {
        const char *topic; /* borrowed */
        int32_t partition;
        int64_t offset;
        int rc;                   /* out: 0 read, 1 not there (as above) */
        char *value;              /* out: NUL-terminated, the caller frees it; NULL unless rc 0 */
        size_t len;               /* out */
        rd_kafka_headers_t *hdrs; /* out: a copy (the caller destroys it), or NULL */
} console_fetch_item_t;

/* Reads items[0..n) back at once: each partition they name is read once, from the lowest
 * offset wanted in it up to the highest (a replay task's step reads a batch of events this
 * way, instead of one assignment per record). Waits up to timeout_ms in all. Returns 0 with
 * each item's rc, value and headers set, or -1 with errstr set on a Kafka error or time-out (the
 * items read so far are set; the caller frees them either way). */
int console_fetch_many(console_fetch_t *fe, console_fetch_item_t *items, size_t n, int timeout_ms,
                       char *errstr, size_t errstr_size);

#endif
