/* cb_close: Close.io webhook payloads, parsed and normalised the way Cloud Elements did.
 *
 * Two webhook forms exist (reference: closeio-and-elements.md §1):
 *   legacy  {"model":"lead","event":"create|update|delete|merge","data":{...}}
 *   modern  {"subscription_id":"whsub_...","event":{"id":"ev_...","object_type":...,...}} */
#ifndef CB_CLOSE_H
#define CB_CLOSE_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

/* One Close event. Every pointer is borrowed from the parsed payload (raw) and lives as long
 * as it does. */
typedef struct cb_close_event {
        const char *model;             /* Close object type: "lead", "activity.note" */
        const char *action;            /* past tense: "created", "updated", "merged" */
        const char *event_type;        /* Cloud Elements': CREATED, UPDATED, DELETED, UNKNOWN */
        const char *object_type;       /* Cloud Elements' resource name: "leads", "contacts" */
        const char *object_id;         /* the object the event is about */
        int64_t date_us;               /* when it happened (µs, UTC); 0 when not given */
        const char *close_id;          /* Close's "ev_..." id (modern form), else NULL */
        const char *merge_source;      /* on merges: the lead merged away, else NULL */
        const char *merge_destination; /* on merges: the lead kept, else NULL */
        json_object *raw;              /* the payload as received */
        const char *raw_text;          /* optional: raw's bytes as received (valid JSON), */
        size_t raw_len;                /* which the envelope then carries verbatim */
} cb_close_event_t;

/* Parses a webhook body (already parsed JSON, borrowed) into *ev.
 * Returns 0, or -1 when it is neither form or lacks a field the envelope needs, with a
 * message for the client in errstr. */
int cb_close_parse_webhook(json_object *body, cb_close_event_t *ev, char *errstr,
                           size_t errstr_size);

/* Parses a polling-results body pushed in Cloud Elements' shape,
 * {"instance_id": N, "objectType": "accounts", "accounts": [ {Close object}, ... ]}, into one
 * event per object. Cloud Elements' rules decide the eventType: CREATED when the object's
 * date_created equals its date_updated, else UPDATED. Each event's raw is a new object
 * {"objectType": X, X: [that object]} the event owns.
 * Writes a new array of *n events to *events (free with cb_close_events_free), or returns -1 with
 * a message for the client in errstr. Borrows body; the events borrow from it too. */
int cb_close_parse_polling(json_object *body, cb_close_event_t **events, size_t *n, char *errstr,
                           size_t errstr_size);

/* Frees events made by cb_close_parse_polling. NULL is a no-op. */
void cb_close_events_free(cb_close_event_t *events, size_t n);

/* The Close object type a Cloud Elements resource name stands for: "accounts" and "leads" ->
 * "lead", "contacts" -> "contact", "opportunities" -> "opportunity", "tasks" -> "task",
 * "activities" -> "activity"; other names unchanged. Returns a static string or name. */
const char *cb_close_model_of(const char *resource);

/* The Cloud Elements resource name of a Close object type: "lead" -> "leads",
 * "task.lead" -> "tasks", "activity.call" -> "activities"; other types unchanged.
 * Returns a static string or model itself. */
const char *cb_close_object_type(const char *model);

#endif
