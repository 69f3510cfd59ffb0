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

#endif
