/* publish loop: how long the consume loop (loop.c, declared in consume.h) may sleep. The loop
 * itself sleeps in one poll() on pub->wake and wakes for what writes into it; this is the
 * other half, what is due. Only the consume loop's thread. */
#ifndef PUBLISH_LOOP_H
#define PUBLISH_LOOP_H

#include <stdint.h>

#include "publish.h"

/* The longest sleep: librdkafka wants its consumer polled now and then even when nothing comes
   (max.poll.interval.ms). */
#define PUBLISH_IDLE_MS 1000
/* How soon moves the producer refused are tried again. */
#define PUBLISH_MOVE_AGAIN_MS 100

/* Milliseconds from now the loop may sleep (0: go on at once): the least of held_ms (until the
 * next held retry item is due), the next commit while something is final and uncommitted
 * (commit-interval-ms after the last, or PUBLISH_COMMIT_STALE_MS after one still unanswered),
 * PUBLISH_MOVE_AGAIN_MS while moves wait to be tried again, and PUBLISH_IDLE_MS. Reads
 * pub->state and pub->conf only. */
int64_t publish_loop_sleep_ms(const publish_t *pub, int64_t now, int64_t held_ms);

#endif
