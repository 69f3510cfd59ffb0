/* publish body: what an instance's callback receives for one envelope, in the instance's
 * event.notification.format. */
#ifndef PUBLISH_BODY_H
#define PUBLISH_BODY_H

#include <yyjson.h>

#include "cb_instance.h"

/* The callback body for envelope env (the root of its yyjson document), whose text is
 * env_text[0..env_len) (as read from Kafka), and inst (all borrowed; the body is built with
 * yyjson from env and inst's tags_text, and touches no json-c tree, so no instance's either):
 * - "elements": Cloud Elements' {"message": {elementKey, instanceId, instance_id, instanceName,
 *   instanceTags, eventId, events: [{elementKey, eventType, objectType, objectId, date}], raw}},
 *   raw being the bytes of the envelope's data.raw as they are in env_text (Close's payload as
 *   Close sent it), so env must be env_text's reading (cb_json_read);
 * - "cloudevents": the envelope itself, a structured CloudEvent, byte for byte.
 * Returns a new NUL-terminated string the caller frees and sets *content_type (static), or
 * NULL when env lacks what the body needs or memory ran out. */
char *publish_body_new(const cb_instance_t *inst, yyjson_val *env, const char *env_text,
                       size_t env_len, const char **content_type);

#endif
