/* publish attempt log: one record per delivery attempt on the attempts topic
 * (closeio.deliveries, keyed by instance id): envelope, instance, the URL without credentials,
 * attempt number, HTTP status or error, duration, outcome and the next attempt's due time. What
 * the console reads to say what a receiver answered. Best effort: a lost record loses no
 * event. */
#ifndef PUBLISH_ATTEMPT_LOG_H
#define PUBLISH_ATTEMPT_LOG_H

#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "deliver.h"
#include "item.h"

/* The record of it's attempt as JSON text (the caller frees it), or NULL when out of memory.
 * job: the attempt made, or NULL for one that was not (an open circuit breaker, a skipped
 * envelope); outcome: "delivered", "retry", "dead", "breaker-open" or "skipped" (its error says
 * why); next_due_ms: 0 when none; at_us: now. The instance id is the Kafka key's. An attempt a
 * replay asked for names it ("replay": it->replay, the record's cb-replay header). */
char *publish_attempt_record(const publish_item_t *it, const publish_job_t *job,
                             const char *outcome, int64_t next_due_ms, int64_t at_us);

/* Produces that record to topic through prk (without a report opaque). */
void publish_attempt_log(rd_kafka_t *prk, const char *topic, const publish_item_t *it,
                         const publish_job_t *job, const char *outcome, int64_t next_due_ms);

#endif
