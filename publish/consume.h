/* publish consume: the consumer group member that takes envelopes off closeio.events and the
 * retry topics and brings each to a final state (docs/architecture.md §7):
 * - delivered: a 2xx from the instance's callback;
 * - moved on: produced to the retry topic of the next step (or the dead-letter topic) and
 *   acknowledged there (move.c); while a destination's circuit breaker is open, its attempts
 *   fail at once, without a request, and move on the same way;
 * - skipped: no instance id key, not an envelope, an unknown, deleted or disabled instance, one
 *   without notifications or a callback URL, or a body that cannot be built;
 * - already final: its partition's last owner finished it (the commit's metadata, offsets.h).
 * A partition's offset is committed only up to the lowest message not yet final, every
 * commit-interval-ms (one commit at a time: group.h), with what is final beyond it in the
 * commit's metadata. Retry topics' partitions are paused until their head is due. Events of one
 * Close object (same instance and subject) are never in flight at once, so on the happy path their
 * order holds. Attempts are written to the attempts topic, best effort (a record the producer
 * refuses is dropped).
 *
 * The loop runs on one thread and is split over modules that all run on it: loop.c (the loop:
 * one sleep on a wake-up, then every source served), consume.c (messages and results), group.c
 * (membership, commits, pausing, a new consumer after fencing), client.c (the consumer and the
 * producer), lookup.c (envelope -> instance), cb_turns (per-key ordering), parked.c (retry items
 * held until due), move.c (retry and dead-letter moves), request.c (the callback's headers) and
 * attempt_log.c (the attempts log); state.h holds their shared state. */
#ifndef PUBLISH_CONSUME_H
#define PUBLISH_CONSUME_H

#include "publish.h"

/* Creates the consumer (pub->rk), the producer (pub->prk), the offsets (pub->offsets) and the
 * loop's state (pub->state), from pub->conf and the Kafka settings of pub->kafka
 * (client.c). Returns 0, or -1 with errstr set. */
int publish_consumer_new(publish_t *pub, char *errstr, size_t errstr_size);

/* Writes the names of the topics publish creates when missing into names (room for
 * PUBLISH_LADDER_MAX + 5), and into compact whether each is compacted: the events topic, the
 * instances topic (compacted), the dead-letter topic, the attempts topic, the replay topic
 * (the console's redeliveries: consumed like a retry topic whose records are due at once), then
 * one retry topic per distinct delay of the ladder. Returns their count; the ones consumed are
 * names[0] and names[4] on. */
size_t publish_topics(const publish_t *pub, char names[][PUBLISH_TOPIC_MAX], int *compact);

/* Subscribes and runs until *pub->run is cleared; then stops taking messages, lets the
 * attempts in flight finish (up to delivery-timeout-ms + 1 s), flushes the producer so that
 * moves are acknowledged, and commits what is final. A consumer fenced on the way (its fatal
 * error) is replaced by a new one under the same group.instance.id (group.h). Returns 0, or -1
 * when it could not subscribe, the producer hit a fatal error, or the fenced consumer could not
 * be replaced (more than PUBLISH_RENEW_MAX renewals within PUBLISH_RENEW_WINDOW_MS, or the new
 * one failed); -1 returns at once, without waiting for attempts or committing. */
int publish_consume_loop(publish_t *pub);

/* Flushes the producer (up to 5 s), frees the items parked or waiting to be moved again,
 * closes the consumer and the producer, and frees the loop's state and the offsets. */
void publish_consumer_close(publish_t *pub);

#endif
