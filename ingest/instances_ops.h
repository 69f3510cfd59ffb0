/* ingest instances ops: what each request of the instances API does (docs/architecture.md
 * §5.2): list, read, create, change and delete instances, reading the table and writing through
 * the instance store (instance_store.h), each ending in the answer to send. No HTTP here: the
 * API (instances_api.c) routes, checks credentials, queues, and sends the answer.
 *
 * Threads: an op blocks on Kafka (create, patch, delete): run them on the instances API worker
 * only. They read ing (read-only after start-up) and the table (thread-safe). */
#ifndef INGEST_INSTANCES_OPS_H
#define INGEST_INSTANCES_OPS_H

#include <stddef.h>
#include <json-c/json.h>

#include "cb_instance.h"

struct ingest; /* ingest.h, which includes this header through instances_api.h */

typedef enum ingest_instances_op {
        INGEST_INSTANCES_LIST,   /* GET /instances */
        INGEST_INSTANCES_GET,    /* GET /instances/{id} */
        INGEST_INSTANCES_CREATE, /* POST /instances */
        INGEST_INSTANCES_PATCH,  /* PATCH /instances/{id} */
        INGEST_INSTANCES_DELETE, /* DELETE /instances/{id} */
} ingest_instances_op_t;

/* What an op answers. */
typedef struct ingest_instances_answer {
        unsigned status;                   /* the HTTP status */
        json_object *body;                 /* owned: the answer when status is 200, else NULL */
        int retry_after;                   /* 1: send Retry-After: retry-after-s with it (a 503) */
        char message[CB_INSTANCE_ERR_MAX]; /* the error's message when status is not 200 */
} ingest_instances_answer_t;

/* Runs op on instance id (borrowed: a valid id for GET, PATCH and DELETE, else ignored) with
 * the request's body (borrowed, len bytes; read by CREATE and PATCH) and writes its answer
 * into *answer, which the caller then finishes with ingest_instances_answer_fini:
 * 200 with the instance's view (the create answer shows its secrets once), 400 naming what is
 * wrong with the body, 404 for an unknown instance, 503 with retry_after when no id could be
 * reserved or the record not stored, 500 when out of memory. */
void ingest_instances_op_run(struct ingest *ing, ingest_instances_op_t op, const char *id,
                             const char *body, size_t len, ingest_instances_answer_t *answer);

/* Frees what answer holds (not answer itself). */
void ingest_instances_answer_fini(ingest_instances_answer_t *answer);

#endif
