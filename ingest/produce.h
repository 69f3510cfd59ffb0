/* ingest producer: the idempotent Kafka producer behind every 2xx ingest sends.
 *
 * A request is answered 202 only after Kafka acknowledged every envelope of it (acks=all),
 * 503 with Retry-After when any was refused or not acknowledged within ack-timeout-ms, and 413
 * when one is too large for its topic (permanent: the same event is refused again).
 * Threads: delivery reports run on the producer's own poll thread, which answers requests. */
#ifndef INGEST_PRODUCE_H
#define INGEST_PRODUCE_H

#include <stddef.h>
#include <librdkafka/rdkafka.h>

#include "cb_kafka.h"
#include "cb_http.h"
#include "envelope.h"

typedef struct ingest_producer ingest_producer_t;

/* Creates the producer from kc (read during the call only) and starts its poll thread.
 * Returns NULL with errstr set. */
ingest_producer_t *ingest_producer_new(const cb_kafka_conf_t *kc, int ack_timeout_ms,
                                       long retry_after_s, char *errstr, size_t errstr_size);

/* Sets the largest record ingest_producer_send produces (ingest_envelope_record_size); a request
 * with a larger envelope gets 413 and nothing of it is produced. Call before requests come. */
void ingest_producer_set_record_max(ingest_producer_t *p, size_t record_max);

/* The librdkafka handle, borrowed, e.g. for the Admin API. */
rd_kafka_t *ingest_producer_rk(ingest_producer_t *p);

/* Produces envs[0..n) (borrowed for the call) to topic with key, and answers req when every
 * one is acknowledged or has failed. Takes its own reference on req. */
void ingest_producer_send(ingest_producer_t *p, cb_http_req_t *req, const char *topic,
                          const char *key, const ingest_envelope_t *envs, size_t n);

/* Produces one record (value NULL = tombstone) to partition (RD_KAFKA_PARTITION_UA: by key)
 * and waits for its acknowledgement, up to ack-timeout-ms. Blocks: never call it on an HTTP
 * thread. Writes the record's offset to *offset when offset is not NULL.
 * Returns 0, or -1 with errstr set. */
int ingest_producer_send_sync(ingest_producer_t *p, const char *topic, int32_t partition,
                              const char *key, const char *value, size_t len, int64_t *offset,
                              char *errstr, size_t errstr_size);

/* Produces env (borrowed for the call: value and headers are copied) to topic with key on rk,
 * with opaque for its delivery report. The one way both the HTTP path and the poller write an
 * envelope. Returns librdkafka's error of rd_kafka_producev (0: handed over). */
rd_kafka_resp_err_t ingest_envelope_produce(rd_kafka_t *rk, const char *topic, const char *key,
                                            const ingest_envelope_t *env, void *opaque);

/* 1 once librdkafka reported a fatal error (the producer cannot go on), else 0. */
int ingest_producer_fatal(ingest_producer_t *p);

/* Waits up to timeout_ms for every record in flight to be acknowledged; what is still not
 * acknowledged then is purged, so its request is answered 503. */
void ingest_producer_drain(ingest_producer_t *p, int timeout_ms);

/* Stops the poll thread and frees the producer. Drain first. NULL is a no-op. */
void ingest_producer_destroy(ingest_producer_t *p);

#endif
