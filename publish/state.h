/* publish state: the consume loop's own state (consume.h), shared by the modules that make the
 * loop up (loop.c, consume.c, move.c, group.c). Only the consume loop's thread touches it. */
#ifndef PUBLISH_STATE_H
#define PUBLISH_STATE_H

#include "cb_turns.h"
#include "item.h"
#include "lookup.h"
#include "parked.h"
#include "publish.h"

typedef struct publish_state {
        cb_turns_t *keys;          /* per-key ordering: one turn per key at a time */
        publish_parked_t *parked;  /* retry-topic items held until due */
        publish_lookup_t *lookup;  /* envelope -> instance */
        publish_item_t *reproduce; /* items whose move to another topic must be tried again */
        unsigned generation;       /* of the assignment: bumped when it is dropped */
        int64_t last_commit_ms;
        int stored;     /* offsets final since the last commit */
        int commit_out; /* an asynchronous commit was sent and not yet answered (group.h) */
        rd_kafka_queue_t *commit_q; /* where their answers come: publish_group_serve */
        int recommit;               /* one was refused: the next commit sends every position */
        int renewals;               /* of the consumer, since renew_window_ms (group.c) */
        int64_t renew_window_ms;
} publish_state_t;

/* it reached a final state: its partition's position to commit moves (offsets.h), and it is
 * freed. */
void publish_final(publish_t *pub, publish_item_t *it);

/* Runs attempts' results, commit answers and the producer's reports until nothing is in flight
 * or timeout_ms passed, sleeping on pub->wake between them (loop.c). */
void publish_drain(publish_t *pub, int64_t timeout_ms);

/* What the loop hands over (consume.c): a message of the consumer, which the call takes (it is
 * held, attempted, moved or finished); an attempt's result (the job stays the caller's); and
 * the held retry items now due, which go to their attempts. publish_release_due returns the
 * milliseconds until the next held item is due, at most limit_ms. */
void publish_take_message(publish_t *pub, rd_kafka_message_t *rkm);
void publish_take_result(publish_t *pub, publish_job_t *job);
int64_t publish_release_due(publish_t *pub, int64_t limit_ms);

/* Adds 1 to the series label="value" of fam. */
void publish_count(cb_metric_family_t *fam, const char *label, const char *value);

#endif
