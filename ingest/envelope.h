/* ingest envelope: builds the one event envelope on closeio.events, a CloudEvents 1.0 event in
 * structured JSON mode (docs/architecture.md §4), and its Kafka headers, from a Close event
 * (close_event.h). What publish shares of it (content type, id size) is in cb_envelope.h.
 * Threads: no shared state but a digest fetched once (pthread_once); any thread may build, an
 * envelope belongs to the thread holding it. Ownership: an envelope owns its buf (released with
 * ingest_envelope_fini) and borrows nothing once built. */
#ifndef INGEST_ENVELOPE_H
#define INGEST_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "cb_envelope.h"
#include "close_event.h"

/* Writes the deterministic envelope id of ev for instance_id into out: the same Close event
 * gives the same id however it arrives. Modern events: Close's id plus its date_updated
 * ("ev_2sYK..._20190115124823395000"); legacy events: "cb_" and 32 hex digits of a SHA-256 over
 * instance, model, eventType, object id, date and merge destination. Never contains '.'
 * (Standard Webhooks ids may not). Returns 0, or -1 when out_size is too small. */
int ingest_envelope_id(const char *instance_id, const ingest_close_event_t *ev, char *out,
                       size_t out_size);

/* One Kafka header of an envelope. */
typedef struct ingest_envelope_header {
        const char *name;  /* static */
        const char *value; /* static or in the envelope */
} ingest_envelope_header_t;

#define INGEST_ENVELOPE_HEADERS_MAX 16

/* An envelope ready for Kafka: the CloudEvent as JSON text, and its headers (content-type plus
 * a ce_<attribute> header for every top-level string attribute except datacontenttype, so
 * consumers can route without parsing). Written directly, without a json-c tree: it is built
 * for every event ingest takes. Its pointers lead into buf or to static strings, never into the
 * struct itself, so it may be moved: copied by value, with one copy passed to
 * ingest_envelope_fini. */
typedef struct ingest_envelope {
        const char *id;   /* the envelope id, in buf */
        const char *json; /* the CloudEvent (NUL-terminated), in buf */
        size_t json_len;
        size_t nheaders;
        ingest_envelope_header_t headers[INGEST_ENVELOPE_HEADERS_MAX];
        char *buf; /* owned: json and the header values that are not static */
} ingest_envelope_t;

/* Builds the CloudEvent for ev into *env. origin is "webhook" or "polling"; now_us stands in for
 * the event time when the payload has none. data.raw is ev->raw_text byte for byte (leading and
 * trailing white space aside; null when it is NULL).
 * Borrows every argument only for the call. Returns 0, or -1 when out of memory or when ev's id
 * does not fit CB_ENVELOPE_ID_MAX (*env is then empty). Release with ingest_envelope_fini. */
int ingest_envelope_build(ingest_envelope_t *env, const char *instance_id,
                          const ingest_close_event_t *ev, const char *origin, int64_t now_us);

/* The most bytes env takes as one Kafka record with a key of key_len bytes, uncompressed in a
 * batch of its own: value, key, headers and the framing of record and batch. */
size_t ingest_envelope_record_size(const ingest_envelope_t *env, size_t key_len);

/* Frees what env holds and empties it. An empty (zeroed) envelope is a no-op. */
void ingest_envelope_fini(ingest_envelope_t *env);

#endif
