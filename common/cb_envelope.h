/* cb_envelope: the one event envelope on closeio.events, a CloudEvents 1.0 event in structured
 * JSON mode (DESIGN §4), and its Kafka headers. */
#ifndef CB_ENVELOPE_H
#define CB_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "cb_close.h"

#define CB_ENVELOPE_CONTENT_TYPE "application/cloudevents+json; charset=UTF-8"
#define CB_ENVELOPE_ID_MAX       128

/* Writes the deterministic envelope id of ev for instance_id into out: the same Close event
 * gives the same id however it arrives. Modern events: Close's id plus its date_updated
 * ("ev_2sYK..._20190115124823395000"); legacy events: "cb_" and 32 hex digits of a SHA-256 over
 * instance, model, eventType, object id, date and merge destination. Never contains '.'
 * (Standard Webhooks ids may not). Returns 0, or -1 when out_size is too small. */
int cb_envelope_id(const char *instance_id, const cb_close_event_t *ev, char *out, size_t out_size);

/* Builds the CloudEvent for ev. origin is "webhook" or "polling"; now_us stands in for the event
 * time when the payload has none. Takes a new reference to ev->raw. When ev->raw_text is set,
 * the envelope's text carries those bytes as data.raw, byte for byte (leading and trailing white
 * space aside), rather than json-c's rewriting of them: ev->raw then gets a serializer of its
 * own, holding a copy of the text.
 * Returns a new object the caller owns, or NULL when out of memory. */
json_object *cb_envelope_new(const char *instance_id, const cb_close_event_t *ev,
                             const char *origin, int64_t now_us);

/* The Kafka headers of an envelope: content-type plus a ce_<attribute> header for every
 * top-level string attribute except data, so consumers can route without parsing. */
typedef struct cb_envelope_header {
        const char *name;  /* static or borrowed from the envelope */
        const char *value; /* borrowed from the envelope */
} cb_envelope_header_t;

#define CB_ENVELOPE_HEADERS_MAX 16

/* Fills hdrs (room for CB_ENVELOPE_HEADERS_MAX) from env, borrowing from it; name buffers are
 * taken from names (CB_ENVELOPE_HEADERS_MAX rows of 32 bytes). Returns the count. */
size_t cb_envelope_headers(json_object *env, cb_envelope_header_t *hdrs, char names[][32]);

/* The string attribute key of env (e.g. "id"), or NULL. Borrowed from env. */
const char *cb_envelope_attr(json_object *env, const char *key);

#endif
