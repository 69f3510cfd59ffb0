/* console api: the events API (docs/console.md), under the paths of Cloud Elements' (and under
 * /elements/api-v2):
 *   GET /instances/events                    every instance's events (a tenant: its own)
 *   GET /instances/{id}/events               one instance's events
 *   GET /instances/events/{eventId}          one event, with its envelope and every attempt *   GET
 * /instances/{id}/events/{eventId}     the same, of that instance POST
 * /instances/{id}/events/{eventId}/redeliver, POST /instances/events/{eventId}/redeliver the event
 * sent again (replay.h), whatever its state: 202 once Kafka has the replay Lists take the filters
 * of filter.h and answer a JSON array, newest first, with the next page's cursor in
 * Elements-Next-Page-Token when there is one.
 *
 * Auth (cb_auth.h): the admin secrets see everything; an instance's token (Element part) sees
 * that instance only. A token no instance has is 401; another instance's path is 404, the same
 * as an instance that does not exist.
 *
 * Threads: console_api_handle runs on libmicrohttpd's threads and only checks and routes; the
 * queries and the envelope reads run on the API's worker threads, each with its own database
 * reader and Kafka consumer, which answer the requests. */
#ifndef CONSOLE_API_H
#define CONSOLE_API_H

#include <stddef.h>

#include "cb_auth.h"
#include "cb_http.h"
#include "cb_kafka.h"
#include "cb_table.h"

typedef struct console_api_conf {
        cb_auth_t secrets;
        cb_table_t *table;            /* borrowed: the instances, for the tokens */
        const char *db_path;          /* borrowed for the API's life */
        const cb_kafka_conf_t *kafka; /* borrowed for the API's life (the workers make their
                                         consumers from it) */
        int workers;                  /* worker threads */
        size_t queue_max;             /* requests waiting for a worker at most; 503 beyond */
        int fetch_timeout_ms;         /* reading an envelope back from Kafka */
        const char *topic_replay;     /* full name, borrowed for the API's life */
        int replay_timeout_ms;        /* waiting for Kafka to take a replay or a task */
        struct console_tasks *tasks;  /* borrowed: the replay tasks (tasks.h) */
} console_api_conf_t;

typedef struct console_api console_api_t;

/* Starts the workers. Returns NULL with errstr set. */
console_api_t *console_api_new(const console_api_conf_t *conf, char *errstr, size_t errstr_size);

/* Serves req when its path is one of the API's (answering it now or from a worker) and returns
 * 1; returns 0 for any other path, which the caller answers. */
int console_api_handle(console_api_t *api, cb_http_req_t *req);

/* Answers every request still waiting with 503, stops the workers and frees api. NULL is a
 * no-op. */
void console_api_destroy(console_api_t *api);

#endif
