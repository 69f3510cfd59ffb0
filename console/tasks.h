/* console tasks: every replay task this console knows of, read from the tasks topic
 * (closeio.console.tasks, compacted; task.h) into memory, and the two writes the API makes to
 * it: a new task and a cancel request. Which replica runs a task, and its progress, is
 * task_run.h's.
 *
 * The view reads every partition of the topic from its start, without a consumer group
 * (read_committed: a state written in an aborted transaction is never seen), and keeps the
 * latest state of each task (by its seq). A task this replica just made or cancelled is in the
 * view as soon as Kafka acknowledged it, so the request that follows sees it. Tasks are few
 * (one per bulk replay asked for) and small: they are kept in an array searched by id.
 *
 * Threads: one thread of its own reads the topic; the functions below may be called from any
 * thread (a mutex guards the view; another serialises the writes and their delivery reports). */
#ifndef CONSOLE_TASKS_H
#define CONSOLE_TASKS_H

#include <stddef.h>
#include <stdint.h>

#include "cb_kafka.h"
#include "task.h"

/* The tasks topic's name (after the topic prefix). */
#define CONSOLE_TOPIC_TASKS "closeio.console.tasks"

typedef struct console_tasks console_tasks_t;

/* Creates the tasks topic when missing (compacted, kc's partitions), reads its partitions and
 * starts the view. topic: the full name, borrowed for the view's life. Returns NULL with errstr
 * set. */
console_tasks_t *console_tasks_new(const cb_kafka_conf_t *kc, const char *topic, char *errstr,
                                   size_t errstr_size);

/* Stops the view and frees ts. NULL is a no-op. */
void console_tasks_destroy(console_tasks_t *ts);

/* The tasks topic's partition count (at start-up). */
int32_t console_tasks_partitions(const console_tasks_t *ts);

/* Writes t (a new task, console_task_init) to the topic and waits up to timeout_ms for Kafka to
 * acknowledge it; then it is in the view. Returns 0, or -1 with errstr set (the task may still
 * have been written: it then runs, but its maker was told it failed). */
int console_tasks_create(console_tasks_t *ts, const console_task_t *t, int timeout_ms, char *errstr,
                         size_t errstr_size);

/* Writes a cancel request for task id and waits up to timeout_ms for Kafka to acknowledge it.
 * Returns 0, or -1 with errstr set. */
int console_tasks_cancel(console_tasks_t *ts, const char *id, int timeout_ms, char *errstr,
                         size_t errstr_size);

/* Copies the task id into *out. Returns 1 when the view has it, else 0. */
int console_tasks_get(console_tasks_t *ts, const char *id, console_task_t *out);

/* 1 once every partition has been read to the end it had when the view started, else 0. */
int console_tasks_loaded(console_tasks_t *ts);

#endif
