/* cb_instance: one connected Close account, the instance JSON of Cloud Elements' instances API
 * plus closebridge's own configuration keys (docs/architecture.md §2, §5.2). Immutable once
 * built, shared by reference count between the instances table and whoever looked it up. */
#ifndef CB_INSTANCE_H
#define CB_INSTANCE_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define CB_INSTANCE_ID_MAX 24

typedef struct cb_instance {
        int refcnt;                  /* atomic; use cb_instance_ref/_release */
        char id[CB_INSTANCE_ID_MAX]; /* decimal text, as keyed on closeio.instances */
        json_object *json;           /* owned: the instance JSON as stored */
        const char *name;            /* borrowed from json; "" when absent */
        int notify_enabled;          /* event.notification.enabled */
        int disabled;                /* "disabled": true: nothing is delivered */
        const char *callback_url;    /* event.notification.callback.url, or NULL */
        const char *format;          /* event.notification.format: "elements" or "cloudevents" */
        char *tags_text;   /* owned: tags as compact JSON text, "[]" without; read it from any
                              thread (json-c writes into a tree it serialises) */
        int32_t partition; /* of its record on the instances topic (-1: none) */
} cb_instance_t;

/* Returns 1 when id is a positive decimal integer of at most 18 digits without leading zeros. */
int cb_instance_id_valid(const char *id);

/* Room enough for every message of cb_instance_check. */
#define CB_INSTANCE_ERR_MAX 1100

/* How much cb_instance_check asks of an instance. */
typedef enum cb_instance_level {
        /* what the table loads (cb_instance_new) and an instances file may declare: a JSON
           object with element.key "closeio", a "configuration" object, and the closebridge
           keys' values (event.notification.format "elements" or "cloudevents") */
        CB_INSTANCE_LOADABLE,
        /* what the instances API stores: loadable, and a name, a configuration.username (the
           Close API key), an http(s) callback URL when notifications are on, disabled a
           boolean and tags an array of strings when present */
        CB_INSTANCE_COMPLETE,
} cb_instance_level_t;

/* The one judge of what makes an instance valid. Borrows json. Returns 0 when it is valid at
 * level, or -1 with errstr set: for CB_INSTANCE_COMPLETE first the message naming every missing
 * or wrong entry ("missing required entries: name, ...; element.key must be ..."), and only
 * when there is none the message of what a loadable instance lacks. These are the instances
 * API's 400 messages. */
int cb_instance_check(json_object *json, cb_instance_level_t level, char *errstr,
                      size_t errstr_size);

/* Builds an instance with id from json, which it takes (also on failure).
 * Checks id (cb_instance_id_valid) and json (cb_instance_check, CB_INSTANCE_LOADABLE).
 * Returns a new instance with one reference (the caller's), or NULL with errstr set. */
cb_instance_t *cb_instance_new(const char *id, json_object *json, char *errstr, size_t errstr_size);

/* Adds a reference; returns inst. */
cb_instance_t *cb_instance_ref(cb_instance_t *inst);
/* Drops a reference, freeing on the last. NULL is a no-op. */
void cb_instance_release(cb_instance_t *inst);

/* A configuration entry as text: strings as they are, booleans and numbers as JSON text.
 * Borrowed from inst; NULL when absent or null. */
const char *cb_instance_config(const cb_instance_t *inst, const char *key);

#endif
