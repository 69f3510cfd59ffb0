/* cb_envelope: what both processes know of the one event envelope on closeio.events, a
 * CloudEvents 1.0 event in structured JSON mode (docs/architecture.md §4). ingest builds it
 * (ingest/envelope.h); publish reads it with yyjson (publish/body.c, publish/consume.c).
 * Constants only: no state, nothing to own, usable from any thread. */
#ifndef CB_ENVELOPE_H
#define CB_ENVELOPE_H

/* Its Kafka content-type header, and the content type of callbacks that carry it as it is. */
#define CB_ENVELOPE_CONTENT_TYPE "application/cloudevents+json; charset=UTF-8"
/* Room for an envelope id, NUL included: ingest builds none longer, publish skips a record whose
 * id does not fit. */
#define CB_ENVELOPE_ID_MAX 128

/* Headers of a replay on closeio.events.replay (the console writes them, publish reads them):
 * the replay's id, which publish copies into the attempt records it leads to, and the number of
 * the attempt (1: a replay starts the retry ladder again; publish/move.h's cb-attempt). */
#define CB_HEADER_REPLAY  "cb-replay"
#define CB_HEADER_ATTEMPT "cb-attempt"

#endif
