/* console route: what a path of the events API names (api.h lists them), read without I/O.
 * Every path may also stand under /elements/api-v2, as Cloud Elements' did. */
#ifndef CONSOLE_ROUTE_H
#define CONSOLE_ROUTE_H

#include "cb_envelope.h"
#include "cb_instance.h"
#include "task.h"

typedef struct console_route {
        int one;       /* an event, not a list */
        int redeliver; /* .../events/{eventId}/redeliver */
        int bulk;      /* .../events/redeliver: a replay task */
        int task;      /* /tasks/{taskId} */
        int summary;   /* /console/api/instances: the web page's instances (summary.h) */
        char task_id[CONSOLE_TASK_ID_MAX];
        char instance_id[CB_INSTANCE_ID_MAX]; /* "" when the path names none */
        char env_id[CB_ENVELOPE_ID_MAX];      /* "" for a list */
} console_route_t;

/* Reads path (borrowed; libmicrohttpd's, already URL-decoded) into r. Returns 1 when it is one
 * of the API's paths; 0 when it is not (the caller answers 404 "no such path"); -1 when it is
 * one whose instance id is not one (cb_instance_id_valid), whose event id cannot be (empty,
 * or CB_ENVELOPE_ID_MAX bytes or more) or whose task id is not one (console_task_id_valid):
 * 404, no such instance, event or task. ".../events/redeliver" is a replay task (bulk), never
 * the event "redeliver" (that one is ".../events/redeliver/redeliver"). An event id is
 * everything after ".../events/" (but a last "/redeliver"): ingest takes any Close event id
 * without '.' or ' ', so an envelope id may hold '/', UTF-8 or control bytes, which the path
 * carries percent-encoded. "/console/api/instances" (never under the prefix) is the summary. */
int console_route_parse(const char *path, console_route_t *r);

#endif
