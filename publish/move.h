/* publish move: an envelope on to another topic, a final state once acknowledged there: the
 * retry topic of its next step, or the dead-letter topic. The record keeps its key, value and
 * headers (but closebridge's own, cb-*), plus:
 * - cb-attempt: the number of the next attempt (on the DLQ: of the last one);
 * - cb-due-ms: when it is due, epoch ms (retry topics);
 * - cb-last-status, cb-last-error: the last attempt's HTTP status ("error" without one) and what
 *   went wrong, in words;
 * - cb-dead-reason: why it was dead-lettered (DLQ).
 * A move the producer refuses or fails is tried again from the loop (publish_move_again). */
#ifndef PUBLISH_MOVE_H
#define PUBLISH_MOVE_H

#include "cb_envelope.h"
#include "state.h"

#define PUBLISH_H_ATTEMPT     CB_HEADER_ATTEMPT
#define PUBLISH_H_DUE         "cb-due-ms"
#define PUBLISH_H_LAST_STATUS "cb-last-status"
#define PUBLISH_H_LAST_ERROR  "cb-last-error"
#define PUBLISH_H_REASON      "cb-dead-reason"

/* Sends it on to the retry topic of step (0-based), for attempt number attempt due at due_ms.
 * Takes it: final once acknowledged. */
void publish_move_retry(publish_t *pub, publish_item_t *it, size_t step, int attempt,
                        int64_t due_ms);

/* Sends it on to the dead-letter topic for reason (static text; logged once). Takes it. */
void publish_move_dlq(publish_t *pub, publish_item_t *it, const char *reason);

/* Tries the moves that failed again; frees those of an older generation (their partition was
 * handed on: the new owner takes them from the last commit). */
void publish_move_again(publish_t *pub);

/* The producer's delivery report (dr_msg_cb, opaque pub): a moved item is final once its new
 * record is stored; a failed move is tried again. */
void publish_move_report(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque);

#endif
