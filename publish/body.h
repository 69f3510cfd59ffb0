/* publish body: what an instance's callback receives for one envelope, in the instance's
 * event.notification.format. */
#ifndef PUBLISH_BODY_H
#define PUBLISH_BODY_H

#include <json-c/json.h>

#include "cb_instance.h"

/* The callback body for envelope env (borrowed) and inst (borrowed):
 * - "elements": Cloud Elements' {"message": {elementKey, instanceId, instance_id, instanceName,
 *   instanceTags, eventId, events: [{elementKey, eventType, objectType, objectId, date}], raw}};
 * - "cloudevents": the envelope itself, a structured CloudEvent.
 * Returns a new NUL-terminated string the caller frees and sets *content_type (static), or
 * NULL when env lacks what the body needs or memory ran out. */
char *publish_body_new(const cb_instance_t *inst, json_object *env, const char **content_type);

#endif
