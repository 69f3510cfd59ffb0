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

/* Builds an instance with id from json, which it takes (also on failure).
 * Checks element.key = "closeio", a "configuration" object, and the closebridge keys' values.
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
