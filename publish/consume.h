/* publish consume: the consumer group member that takes envelopes off closeio.events and
 * delivers each to its instance's callback URL.
 *
 * An offset is stored and committed only after its envelope reached a final state: delivered
 * (2xx) or skipped (unknown, deleted or disabled instance; unreadable envelope). A failed
 * delivery is tried again, with growing pauses, until it succeeds or the process stops; the
 * retry ladder topics will take that over. */
#ifndef PUBLISH_CONSUME_H
#define PUBLISH_CONSUME_H

#include "publish.h"

/* Creates the consumer (pub->rk) from pub->cfg. Returns 0, or -1 with errstr set. */
int publish_consumer_new(publish_t *pub, char *errstr, size_t errstr_size);

/* Subscribes to the events topic and runs until *pub->run is cleared. Returns 0. */
int publish_consume_loop(publish_t *pub);

/* Commits what is stored, leaves the group and frees the consumer. */
void publish_consumer_close(publish_t *pub);

#endif
