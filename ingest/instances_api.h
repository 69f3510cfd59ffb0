/* ingest instances API: Cloud Elements' /instances (docs/architecture.md §2, §5.2).
 *
 *   POST   /instances        create from an instance JSON (docs/architecture.md §5.2); 400
 *                            names every missing entry
 *   GET    /instances        list
 *   GET    /instances/{id}   one
 *   PATCH  /instances/{id}   change (e.g. a new callback URL); configuration keys set to null go
 *   DELETE /instances/{id}   delete
 * All need "Authorization: User <secret>, Organization <secret>" (401 otherwise). Instances live
 * in the compacted instances topic; a change is answered once this replica's table holds it.
 * Secrets are masked in every answer, except the create answer, which shows the instance's
 * token and Standard Webhooks secret (event.notification.secret, "whsec_...") once.
 *
 * This file routes, checks credentials and queues; what each operation does is instances_ops.c's.
 * Threads: handlers run on HTTP threads and only check and queue; one worker thread of its own
 * runs the operations (whose Kafka writes block) and answers. */
#ifndef INGEST_INSTANCES_API_H
#define INGEST_INSTANCES_API_H

#include "cb_http.h"
#include "cb_instance.h"
#include "instances_ops.h"

struct ingest;
typedef struct ingest_admin ingest_admin_t;

/* Where a request goes (ingest_instances_route). */
typedef struct ingest_instances_route {
        ingest_instances_op_t op;
        char id[CB_INSTANCE_ID_MAX]; /* the instance's id; "" for LIST and CREATE */
        const char *message;         /* static: the refusal's message */
        const char *allow;           /* static: the Allow header of a 405, else NULL */
} ingest_instances_route_t;

/* Maps a request's method and the rest of its path after "/instances" (both borrowed): "" or
 * "/" to LIST (GET) or CREATE (POST), "/{id}" with a valid id to GET, PATCH or DELETE. Returns 0
 * with route->op and route->id set, or the refusal's HTTP status (404 for what is not an
 * instance id, 405 for another method) with route->message and route->allow set. */
unsigned ingest_instances_route(const char *method, const char *rest,
                                ingest_instances_route_t *route);

/* Starts the worker. Borrows ing for the worker's life. Returns NULL when out of resources. */
ingest_admin_t *ingest_admin_new(struct ingest *ing);

/* Answers every queued request and stops the worker; requests that come later get 503 (the
 * server may still pass some on while it shuts down: admin stays valid until destroyed).
 * Again, or NULL: a no-op. */
void ingest_admin_stop(ingest_admin_t *admin);

/* Stops it (ingest_admin_stop) and frees it; call once no request can reach it. NULL is a
 * no-op. */
void ingest_admin_destroy(ingest_admin_t *admin);

/* Handles a request whose path, after "/instances", is rest (borrowed): "" or "/{id}". */
void ingest_admin_handle(ingest_admin_t *admin, cb_http_req_t *req, const char *rest);

#endif
