/* ingest events: the two ways events come in (docs/architecture.md §5).
 *   POST /events/closeio/{b64id}         a Close webhook, legacy or modern form
 *   POST /events/closeioPolling/{b64id}  polling results pushed in Cloud Elements' shape
 * Both answer 202 once every envelope of the request is acknowledged by Kafka; 404 unknown or
 * undecodable instance id; 415 a body declared as not JSON; 400 malformed JSON or an unknown
 * payload shape; 401 a bad signature or credentials; 503 when Kafka does not acknowledge. */
#ifndef INGEST_EVENTS_H
#define INGEST_EVENTS_H

#include "cb_http.h"
#include "ingest.h"

/* Handles a webhook whose path ends in b64id (borrowed). When the instance has
 * event.webhook.signature.key, close-sig-hash and close-sig-timestamp must verify. */
void ingest_events_webhook(ingest_t *ing, cb_http_req_t *req, const char *b64id);

/* Handles pushed polling results for b64id: one envelope per object, origin "polling". When
 * admin secrets are configured, the push must carry them (it comes from a trusted poller). */
void ingest_events_polling(ingest_t *ing, cb_http_req_t *req, const char *b64id);

#endif
