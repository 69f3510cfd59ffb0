/* console produce: one record written and waited for, the way every producer of the console's
 * API side writes (a replay, a new task, a cancel request): the caller is told only once Kafka
 * acknowledged it, or that it failed. Also the console's random ids.
 *
 * Threads: a producer given to console_produce_acked is polled by the waiting thread; two
 * threads must not wait on the same producer at once (a time-out purges what it holds). */
#ifndef CONSOLE_PRODUCE_H
#define CONSOLE_PRODUCE_H

#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

/* The dr_msg_cb of every producer console_produce_acked writes with. */
void console_produce_on_report(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque);

/* Produces value (len bytes, copied) keyed key to topic's partition (RD_KAFKA_PARTITION_UA: the
 * partitioner's choice) with hdrs (taken, also on failure; may be NULL), and waits up to
 * timeout_ms for its delivery report. what names the record in errstr ("the replay"). Returns
 * 0, or -1 with errstr set (refused, failed or timed out: a record timed out may still be
 * written). */
int console_produce_acked(rd_kafka_t *rk, const char *topic, int32_t partition, const char *key,
                          const void *value, size_t len, rd_kafka_headers_t *hdrs, int timeout_ms,
                          const char *what, char *errstr, size_t errstr_size);

/* Writes prefix and 16 random hex digits into out ("rp_", "tk_"). Returns 0, or -1 when out is
 * smaller than strlen(prefix) + 17 or no random bytes came. */
int console_random_id(const char *prefix, char *out, size_t out_size);

#endif
