/* publish retry: the retry ladder as pure policy (docs/architecture.md §7; docs/sources.md §10).
 *
 * The first attempt comes from the events topic. After a failure of attempt k (1-based) the
 * event goes to the retry topic of step k (delays[k-1] later); after the last step, to the
 * dead-letter topic. 410 Gone and refused destinations end retries at once. */
#ifndef PUBLISH_RETRY_H
#define PUBLISH_RETRY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define PUBLISH_LADDER_MAX 32

typedef struct publish_ladder {
        long delay_s[PUBLISH_LADDER_MAX];
        size_t steps;
} publish_ladder_t;

/* Parses a comma-separated list of delays, each a whole number with a unit s, m, h or d
 * ("5s,5m,30m,2h,5h,10h,10h"). Returns 0, or -1 with errstr naming the bad item. */
int publish_ladder_parse(const char *spec, publish_ladder_t *ladder, char *errstr,
                         size_t errstr_size);

/* Writes the retry topic of step (0-based) into out: events_topic + ".retry." + the delay in
 * its largest whole unit ("closeio.events.retry.5m"). Steps with equal delays share a topic. */
void publish_ladder_topic(const publish_ladder_t *ladder, size_t step, const char *events_topic,
                          char *out, size_t out_size);

typedef enum { PUBLISH_DELIVERED = 0, PUBLISH_RETRY, PUBLISH_DEAD } publish_outcome_t;

typedef struct publish_decision {
        publish_outcome_t outcome;
        size_t step;        /* PUBLISH_RETRY: the ladder step (0-based) to go to */
        int64_t due_ms;     /* PUBLISH_RETRY: when the next attempt is due (epoch ms) */
        const char *reason; /* PUBLISH_DEAD: why (static) */
} publish_decision_t;

/* What follows attempt (1-based) that ended with HTTP status (-1: transport error; refused:
 * the destination may never be called). retry_after_s (-1: none) moves the next attempt later,
 * up to retry_after_max_s, never earlier than the step's delay. */
publish_decision_t publish_retry_decide(const publish_ladder_t *ladder, int attempt, long status,
                                        int refused, long retry_after_s, long retry_after_max_s,
                                        int64_t now_ms);

#endif
