/* ingest webhook: POST /events/closeio/{base64 instance id}, a Close webhook in either form. */
#ifndef INGEST_WEBHOOK_H
#define INGEST_WEBHOOK_H

#include "cb_http.h"
#include "ingest.h"

/* Handles one webhook whose path ends in b64id (borrowed). Answers 202 once the envelope is
 * acknowledged by Kafka; 404 unknown or undecodable instance id; 415 a body declared as not
 * JSON; 400 malformed JSON or an unknown payload shape; 503 when Kafka does not acknowledge. */
void ingest_webhook_handle(ingest_t *ing, cb_http_req_t *req, const char *b64id);

#endif
