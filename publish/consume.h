/* publish consume: the consumer group member that takes envelopes off closeio.events and the
 * retry topics and brings each to a final state (DESIGN §7):
 * - delivered: a 2xx from the instance's callback;
 * - moved on: produced to the next retry topic (or the dead-letter topic) and acknowledged;
 * - skipped: unknown, deleted or disabled instance, or not an envelope.
 * A partition's offset is committed only up to the lowest message not yet final. Retry topics'
 * partitions are paused until their head is due. Events of one Close object (same instance and
 * subject) are never in flight at once, so on the happy path their order holds. Every attempt
 * is written to the attempts topic. */
#ifndef PUBLISH_CONSUME_H
#define PUBLISH_CONSUME_H

#include "publish.h"

/* Creates the consumer (pub->rk), the producer (pub->prk) and the loop's state from pub->cfg.
 * Returns 0, or -1 with errstr set. */
int publish_consumer_new(publish_t *pub, char *errstr, size_t errstr_size);

/* The topics publish creates when missing, into specs (room for PUBLISH_LADDER_MAX + 5);
 * returns their count. */
size_t publish_topics(const publish_t *pub, char names[][PUBLISH_TOPIC_MAX], int *compact);

/* Subscribes and runs until *pub->run is cleared; then stops taking messages, lets the
 * attempts in flight finish (up to delivery-timeout-ms), and commits what is final.
 * Returns 0, or -1 when it could not subscribe or a Kafka client hit a fatal error. */
int publish_consume_loop(publish_t *pub);

/* Closes the consumer and the producer and frees the loop's state. */
void publish_consumer_close(publish_t *pub);

#endif
