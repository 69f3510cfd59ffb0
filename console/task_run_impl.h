/* console task_run internals shared by task_run.c (the thread, the group, the partitions) and
 * task_step.c (one step of a task: the next events, their replays and the new state in one
 * transaction). Not for other files. */
#ifndef CONSOLE_TASK_RUN_IMPL_H
#define CONSOLE_TASK_RUN_IMPL_H

#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "cb_metrics.h"
#include "cb_thread.h"
#include "fetch.h"
#include "index.h"
#include "task.h"
#include "task_run.h"

/* A running task of an owned partition. */
typedef struct run_task {
        console_task_t t; /* its latest state: written by this runner or read back */
        int64_t next_ms;  /* its next step is not before this (the rate, a back-off) */
        int stepped;      /* steps this runner took of it */
} run_task_t;

/* A partition of the tasks topic, as this runner holds it. */
typedef struct run_part {
        int assigned;       /* the group gave it to this replica */
        int loading;        /* read from its start, not yet to its end */
        rd_kafka_t *txp;    /* its transactional producer; NULL until init_transactions did */
        int64_t retry_ms;   /* when to try making txp again */
        run_task_t **tasks; /* its tasks, those that ended too (owned) */
        size_t n, cap;
} run_part_t;

struct console_runner {
        console_runner_conf_t conf;
        rd_kafka_t *rk; /* the group consumer of the tasks topic */
        run_part_t *parts;
        int32_t nparts;
        cb_thread_t thread;
        console_index_t *idx; /* opened at the first step */
        console_fetch_t *fe;
        console_index_hit_t *hits; /* conf.batch of them */
        cb_metric_family_t *m_replays;
};

/* Takes one step of task rt of partition p (which has its producer): a batch of replays and
 * the new state in one transaction, or the final state (no event left, or cancelled). Returns 1
 * when the task ended (rt->t says so), 0 when it goes on (rt->next_ms says when), -1 when p's
 * producer failed for good (fenced or fatal: the caller makes a new one and reads
 * p again). */
int console_runner_step(console_runner_t *r, int32_t p, run_task_t *rt);

#endif
