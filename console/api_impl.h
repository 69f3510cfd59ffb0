/* console api internals shared by api.c (routing, auth, the request's parameters) and
 * api_worker.c (the queries, on the worker threads). Not for other files. */
#ifndef CONSOLE_API_IMPL_H
#define CONSOLE_API_IMPL_H

#include "api.h"
#include "cb_envelope.h"
#include "cb_metrics.h"
#include "cb_queue.h"
#include "cb_thread.h"
#include "filter.h"
#include "task.h"

/* One request for a worker. */
typedef struct console_job {
        cb_qlink_t link;
        cb_http_req_t *req; /* a reference the worker drops once it answered */
        int one;            /* 1: one event (env_id), 0: a list (filter) */
        int redeliver;      /* send that one event again */
        int bulk;           /* make the replay task `task` */
        int task;           /* the task task_id: GET, or DELETE (cancel) */
        int cancel;
        int summary; /* the web page's instances (summary.h) */
        char task_id[CONSOLE_TASK_ID_MAX];
        console_task_t new_task;              /* bulk: the task to write */
        char instance_id[CB_INSTANCE_ID_MAX]; /* "": any (an event, an admin's task) */
        char env_id[CB_ENVELOPE_ID_MAX];
        console_filter_t filter;
        int64_t started_us;
} console_job_t;

struct console_api {
        console_api_conf_t conf;
        cb_queue_t queue;
        int queue_ready;
        pthread_t *threads;
        int nthreads;
        cb_metric_family_t *m_seconds;
};

/* The worker threads' body (arg: the api). */
void *console_api_worker_main(void *arg);

/* Answers job's request and frees job (api_worker.c). Without a database (db NULL), fetcher
 * or (for a redelivery) producer it answers 503. */
struct console_index;
struct console_fetch;
struct console_replay;
void console_api_run(console_api_t *api, struct console_index *db, struct console_fetch *fe,
                     struct console_replay *rp, console_job_t *job);

#endif
