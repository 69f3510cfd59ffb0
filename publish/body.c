#include "body.h"

#include <stdlib.h>
#include <string.h>

#include "cb_envelope.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static json_object *member(json_object *obj, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

/* A deep copy of member key of obj (NULL stays NULL), for parts of instances: other threads
 * read those, and json-c's reference counts are not atomic. */
static json_object *copy_member(json_object *obj, const char *key)
{
        json_object *v = member(obj, key), *dst = NULL;

        if (v && json_object_deep_copy(v, &dst, NULL))
                return NULL;
        return dst;
}

/* A new reference to member key of obj, which belongs to this thread. */
static json_object *share_member(json_object *obj, const char *key)
{
        return json_object_get(member(obj, key));
}

static char *elements_body(const cb_instance_t *inst, json_object *env)
{
        static const char *const event_keys[] = {"eventType", "objectType", "objectId", "date"};
        json_object *data = member(env, "data"), *root, *msg, *events, *event, *tags;
        long long id = strtoll(inst->id, NULL, 10);
        char *out = NULL;
        size_t i;

        if (!data || !member(env, "id"))
                return NULL;
        root = json_object_new_object();
        msg = json_object_new_object();
        events = json_object_new_array();
        event = json_object_new_object();
        tags = inst->tags ? copy_member(inst->json, "tags") : json_object_new_array();
        if (!root || !msg || !events || !event || !tags)
                goto done;

        json_object_object_add(event, "elementKey", json_object_new_string("closeio"));
        for (i = 0; i < sizeof(event_keys) / sizeof(event_keys[0]); i++)
                json_object_object_add(event, event_keys[i], share_member(data, event_keys[i]));
        json_object_array_add(events, event);
        event = NULL;

        json_object_object_add(msg, "elementKey", json_object_new_string("closeio"));
        json_object_object_add(msg, "instanceId", json_object_new_int64(id));
        json_object_object_add(msg, "instance_id", json_object_new_int64(id));
        json_object_object_add(msg, "instanceName", json_object_new_string(inst->name));
        json_object_object_add(msg, "instanceTags", tags);
        tags = NULL;
        json_object_object_add(msg, "eventId", share_member(env, "id"));
        json_object_object_add(msg, "events", events);
        events = NULL;
        json_object_object_add(msg, "raw", share_member(data, "raw"));
        json_object_object_add(root, "message", msg);
        msg = NULL;
        out = strdup(json_object_to_json_string_ext(root, JSON_FLAGS));
done:
        json_object_put(tags);
        json_object_put(event);
        json_object_put(events);
        json_object_put(msg);
        json_object_put(root);
        return out;
}

char *publish_body_new(const cb_instance_t *inst, json_object *env, const char *env_text,
                       size_t env_len, const char **content_type)
{
        if (!strcmp(inst->format, "cloudevents")) {
                *content_type = CB_ENVELOPE_CONTENT_TYPE;
                return strndup(env_text, env_len);
        }
        *content_type = "application/json";
        return elements_body(inst, env);
}
