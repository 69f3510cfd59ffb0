/* publish group: publish's membership of its consumer group. Subscribing, taking partitions
 * (from what their last owner committed, metadata included: offsets.h) and handing them back
 * (attempts in flight finish and what is final is committed first), committing what is final,
 * and a new consumer in place of a fenced one. On the consume loop's thread only. */
#ifndef PUBLISH_GROUP_H
#define PUBLISH_GROUP_H

#include "state.h"

/* Subscribes pub->rk to the events topic and the retry topics. Returns 0, or -1 (logged). */
int publish_group_subscribe(publish_t *pub);

/* The consumer's rebalance_cb (opaque pub). */
void publish_group_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *parts, void *opaque);

/* Commits each partition's position (offsets.h) that changed since the last commit (every one
 * with all, or after a refused commit), with the final offsets beyond it in the metadata; async:
 * without waiting. One asynchronous commit at a time: while one is unanswered (for up to
 * PUBLISH_COMMIT_STALE_MS) an async call does nothing, and the next call after its answer sends
 * everything final meanwhile. Commits sent every commit-interval-ms whatever the broker's pace
 * queue up behind each other when it is slower (each one's positions reach it later and later,
 * and a crash delivers all of that again); one at a time, a position waits at most about two
 * commits' round trips. */
#define PUBLISH_COMMIT_STALE_MS 10000
void publish_group_commit(publish_t *pub, int async, int all);

/* Serves the answers of asynchronous commits, without waiting: called on every pass of the
 * consume loop, also when it takes no messages (attempts at their limit), so that the next
 * commit is never held back by a queue nobody polls. */
void publish_group_serve(publish_t *pub);

/* Drops the commit answers' queue: before pub->rk is destroyed. */
void publish_group_commits_close(publish_t *pub);

/* Pauses (pause 1) or resumes the fetching of topic/partition. */
void publish_group_pause(publish_t *pub, const char *topic, int32_t partition, int pause);

/* The consumer was fenced (pub->renew). A static member whose session ends in an outage longer
 * than session.timeout.ms is fenced when the broker is back, and librdkafka 2.0.2 makes that
 * fatal to the consumer (confluentinc/librdkafka#3437; README, Callbacks). The attempts in
 * flight finish and their moves are acknowledged (nothing more can be committed through this
 * consumer), the assignment is forgotten and its items freed, and a new consumer joins under
 * the same group.instance.id: it resumes from the committed offsets and their metadata, so what
 * finished since the last commit is delivered again (at least once). More than
 * PUBLISH_RENEW_MAX renewals within PUBLISH_RENEW_WINDOW_MS mean two live replicas share an id
 * (each joining fences the other). Returns 0, or -1 when publish must stop (exit 1). */
#define PUBLISH_RENEW_MAX       3
#define PUBLISH_RENEW_WINDOW_MS 600000
int publish_group_renew(publish_t *pub);

#endif
