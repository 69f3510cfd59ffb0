/* publish client: publish's two Kafka clients, made from its configuration (README,
 * Configuration: KAFKA_* and --kafka pass librdkafka properties through):
 * - the consumer (pub->rk), a member of --group-id, static under --group-instance-id, that
 *   never commits on its own (group.h commits);
 * - the producer (pub->prk) of retry, dead-letter and attempts records, idempotent, acks=all.
 * Their errors are logged; a fatal one is handled by publish_client_on_fatal. Each one's queue
 * (the consumer's, and the producer's main queue) writes into pub->wake when it gets something
 * (publish_client_watch). */
#ifndef PUBLISH_CLIENT_H
#define PUBLISH_CLIENT_H

#include "publish.h"

/* Makes q (borrowed) write into pub->wake when it goes from empty to non-empty (librdkafka's IO
 * event); nothing when pub->wake is NULL. */
void publish_client_watch(publish_t *pub, rd_kafka_queue_t *q);

/* Makes pub->rk. Returns 0, or -1 with errstr set. */
int publish_client_consumer(publish_t *pub, char *errstr, size_t errstr_size);

/* Makes pub->prk. Returns 0, or -1 with errstr set. */
int publish_client_producer(publish_t *pub, char *errstr, size_t errstr_size);

/* After rk's fatal error: the consumer's (a static member fenced) sets pub->renew, for the loop
 * to make a new one (group.h); the producer's stops publish (pub->fatal, exit status 1),
 * committing nothing more. */
void publish_client_on_fatal(publish_t *pub, rd_kafka_t *rk);

#endif
