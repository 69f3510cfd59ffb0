/* ingest router: maps each HTTP request to its handler (docs/architecture.md §5). */
#ifndef INGEST_ROUTER_H
#define INGEST_ROUTER_H

#include "cb_http.h"

/* The cb_http handler of ingest; opaque is the ingest_t. Every request gets an answer: its
 * handler's, or 404/405 with a JSON error. */
void ingest_route(void *opaque, cb_http_req_t *req);

#endif
