/* ingest close event: Close.io events as ingest takes them in (webhook bodies, Event Log
 * entries, polling-results bodies), parsed with yyjson and normalised the way Cloud Elements
 * did, into the one ingest_close_event_t the envelope is built from (envelope.h).
 *
 * Two webhook forms exist (docs/sources.md §1):
 *   legacy  {"model":"lead","event":"create|update|delete|merge","data":{...}}
 *   modern  {"subscription_id":"whsub_...","event":{"id":"ev_...","object_type":...,...}}
 *
 * Threads: no shared state; any thread may parse, an event belongs to the thread holding it.
 * Ownership: each function below says what an event borrows and what it owns. */
#ifndef INGEST_CLOSE_EVENT_H
#define INGEST_CLOSE_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <yyjson.h>

/* One Close event. The strings are borrowed: from the body it was parsed from (raw_text), from
 * the Event Log page (ingest_close_parse_log_event), or from what the event holds itself (doc, buf)
 * until ingest_close_event_fini. */
typedef struct ingest_close_event {
        const char *model;             /* Close object type: "lead", "activity.note" */
        const char *action;            /* past tense: "created", "updated", "merged" */
        const char *event_type;        /* Cloud Elements': CREATED, UPDATED, DELETED, UNKNOWN */
        const char *object_type;       /* Cloud Elements' resource name: the one pushed
                                          ("accounts"), else the model's ("leads") */
        const char *object_id;         /* the object the event is about */
        int64_t date_us;               /* when it happened (µs, UTC); 0 when not given */
        const char *close_id;          /* Close's "ev_..." id (modern form), else NULL */
        const char *merge_source;      /* on merges: the lead merged away, else NULL */
        const char *merge_destination; /* on merges: the lead kept, else NULL */
        const char *raw_text;          /* the payload's JSON text, which the envelope carries */
        size_t raw_len;                /* verbatim (white space around it aside) */
        yyjson_doc *doc;               /* owned: the parsed payload the strings point into */
        char *buf;                     /* owned: raw_text and strings made for this event */
} ingest_close_event_t;

/* Parses a webhook body, buf[0..len) (not NUL-terminated), into *ev: strict JSON nested at
 * most CB_JSON_PAYLOAD_DEPTH deep, in either form. raw_text is buf itself, which must outlive
 * *ev. Returns 0 (then ingest_close_event_fini(ev) frees what ev holds), or -1 when it is not
 * JSON, is neither form, or lacks a field the envelope needs, with a message for the client in
 * errstr (ev then holds nothing). */
int ingest_close_parse_webhook(const char *buf, size_t len, ingest_close_event_t *ev, char *errstr,
                               size_t errstr_size);

/* Reads entry, one event of Close's Event Log (the "event" of a modern webhook), into *ev, its
 * raw_text being {"event": entry}, which ev owns. The other strings are borrowed from entry's
 * document, which must outlive *ev. Returns 0 (then ingest_close_event_fini(ev)), or -1 when the
 * entry lacks a field the envelope needs or nests too deep, with a message in errstr. */
int ingest_close_parse_log_event(yyjson_val *entry, ingest_close_event_t *ev, char *errstr,
                                 size_t errstr_size);

/* Frees what ev holds (not ev itself). A zeroed ev is a no-op. */
void ingest_close_event_fini(ingest_close_event_t *ev);

/* Parses a polling-results body pushed in Cloud Elements' shape, buf[0..len),
 * {"instance_id": N, "objectType": "accounts", "accounts": [ {Close object}, ... ]}, into one
 * event per object. instance_id, when the body has one, must be instance_id (string or number).
 * Cloud Elements' rules decide the eventType: CREATED when the object's date_created equals its
 * date_updated, else UPDATED. Each event's raw_text is {"objectType": X, X: [that object]}, and
 * each event owns all its strings (buf may go once this returns).
 * Writes a new array of *n events to *events (free with ingest_close_events_free), or returns -1
 * with a message for the client in errstr. */
int ingest_close_parse_polling(const char *buf, size_t len, const char *instance_id,
                               ingest_close_event_t **events, size_t *n, char *errstr,
                               size_t errstr_size);

/* Frees events made by ingest_close_parse_polling. NULL is a no-op. */
void ingest_close_events_free(ingest_close_event_t *events, size_t n);

/* The Close object type a Cloud Elements resource name stands for: "accounts" and "leads" ->
 * "lead", "contacts" -> "contact", "opportunities" -> "opportunity", "tasks" -> "task",
 * "activities" -> "activity"; other names unchanged. Returns a static string or name. */
const char *ingest_close_model_of(const char *resource);

/* The Cloud Elements resource name of a Close object type: "lead" -> "leads",
 * "task.lead" -> "tasks", "activity.call" -> "activities"; other types unchanged.
 * Returns a static string or model itself. */
const char *ingest_close_object_type(const char *model);

#endif
