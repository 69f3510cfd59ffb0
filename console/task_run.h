/* console task_run: the thread that runs replay tasks (task.h), docs/console.md §5.
 *
 * Who runs which task: the console replicas form a consumer group on the tasks topic, and a
 * replica runs the tasks of the partitions it is assigned (static membership, like publish's,
 * so a replica killed and restarted under the same id gets its partitions back at once).
 *
 * Never the same event twice for one task: each partition has one transactional producer,
 * transactional.id "<tasks topic>.<partition>", the same on every replica. Taking a partition,
 * a replica first calls init_transactions, which fences any earlier owner (a replica that lost
 * the partition, or this one before a crash) and aborts the transaction it had open; only then
 * does it read the partition from its start (read_committed) to learn the tasks' states. A step
 * of a task reads the next events after the task's cursor from the index, reads their records
 * back from closeio.events, and writes, in one transaction, their replays to
 * closeio.events.replay (cb-replay: the task id) and the task's new state (the cursor after
 * them, the counts). So a state read back names exactly the replays written before it, and a
 * step that did not commit left nothing publish reads (it consumes read_committed).
 *
 * Threads: one thread of its own, the only user of its consumer, producers, database reader and
 * fetcher; console_runner_destroy from the thread that made it. */
#ifndef CONSOLE_TASK_RUN_H
#define CONSOLE_TASK_RUN_H

#include <stddef.h>

#include "cb_kafka.h"
#include "follow.h"

typedef struct console_runner_conf {
        const cb_kafka_conf_t *kafka; /* borrowed for the runner's life */
        const char *topic_tasks;      /* full names, borrowed */
        const char *topic_replay;
        const char *db_path;           /* the index, opened read-only */
        const char *group_instance_id; /* "" for a dynamic member */
        console_follow_t *follow;      /* borrowed: tasks wait until the index caught up */
        int batch;                     /* events per step (and transaction) at most */
        int rate;                      /* events per second per task at most */
        int fetch_timeout_ms;          /* reading one record back */
} console_runner_conf_t;

typedef struct console_runner console_runner_t;

/* Makes the consumer, joins the group and starts the thread. Returns NULL with errstr set. */
console_runner_t *console_runner_new(const console_runner_conf_t *conf, char *errstr,
                                     size_t errstr_size);

/* Stops the thread (after the step under way: a commit in progress is waited for up to the
 * Kafka time-out), leaves the group and frees r. NULL is a no-op. */
void console_runner_destroy(console_runner_t *r);

#endif
