#include "body.h"

#include <stdlib.h>
#include <string.h>

#include "cb_envelope.h"
#include "cb_json_span.h"

/* A copy of member key of obj into doc: null when obj lacks it. */
static yyjson_mut_val *copy_member(yyjson_mut_doc *doc, yyjson_val *obj, const char *key)
{
        yyjson_val *v = yyjson_obj_get(obj, key);

        return v ? yyjson_val_mut_copy(doc, v) : yyjson_mut_null(doc);
}

/* data.raw of the envelope as the bytes it holds (Close's payload as Close sent it: ingest puts
 * it there unchanged), borrowed from env_text, which outlives doc's writing; null when absent. */
static yyjson_mut_val *raw_member(yyjson_mut_doc *doc, yyjson_val *data, yyjson_val *env,
                                  const char *env_text, size_t env_len)
{
        static const char *const path[] = {"data", "raw", NULL};
        const char *raw;
        size_t len;

        if (cb_json_span(env_text, env_len, env, path, &raw, &len))
                return copy_member(doc, data, "raw"); /* null */
        return yyjson_mut_rawn(doc, raw, len);
}

static char *elements_body(const cb_instance_t *inst, yyjson_val *env, const char *env_text,
                           size_t env_len)
{
        static const char *const event_keys[] = {"eventType", "objectType", "objectId", "date"};
        yyjson_val *data = yyjson_obj_get(env, "data"), *id_val = yyjson_obj_get(env, "id");
        yyjson_mut_doc *doc;
        yyjson_mut_val *root, *msg, *events, *event, *v;
        int64_t id = strtoll(inst->id, NULL, 10);
        int ok;
        char *out = NULL;
        size_t i;

        if (!yyjson_is_obj(data) || !id_val)
                return NULL;
        doc = yyjson_mut_doc_new(NULL);
        if (!doc)
                return NULL;
        root = yyjson_mut_obj(doc);
        msg = yyjson_mut_obj(doc);
        events = yyjson_mut_arr(doc);
        event = yyjson_mut_obj(doc);
        ok = root && msg && events && event;
        ok = ok && yyjson_mut_obj_add_str(doc, event, "elementKey", "closeio");
        for (i = 0; ok && i < sizeof(event_keys) / sizeof(event_keys[0]); i++)
                ok = (v = copy_member(doc, data, event_keys[i])) &&
                     yyjson_mut_obj_add_val(doc, event, event_keys[i], v);
        ok = ok && yyjson_mut_arr_append(events, event);
        ok = ok && yyjson_mut_obj_add_str(doc, msg, "elementKey", "closeio");
        ok = ok && yyjson_mut_obj_add_int(doc, msg, "instanceId", id);
        ok = ok && yyjson_mut_obj_add_int(doc, msg, "instance_id", id);
        ok = ok && yyjson_mut_obj_add_str(doc, msg, "instanceName", inst->name);
        /* the instance's tags as they are stored: written as they are */
        ok = ok && (v = yyjson_mut_raw(doc, inst->tags_text)) &&
             yyjson_mut_obj_add_val(doc, msg, "instanceTags", v);
        ok = ok && (v = yyjson_val_mut_copy(doc, id_val)) &&
             yyjson_mut_obj_add_val(doc, msg, "eventId", v);
        ok = ok && yyjson_mut_obj_add_val(doc, msg, "events", events);
        ok = ok && (v = raw_member(doc, data, env, env_text, env_len)) &&
             yyjson_mut_obj_add_val(doc, msg, "raw", v);
        ok = ok && yyjson_mut_obj_add_val(doc, root, "message", msg);
        if (ok) {
                yyjson_mut_doc_set_root(doc, root);
                out = yyjson_mut_write(doc, 0, NULL);
        }
        yyjson_mut_doc_free(doc);
        return out;
}

char *publish_body_new(const cb_instance_t *inst, yyjson_val *env, const char *env_text,
                       size_t env_len, const char **content_type)
{
        if (!strcmp(inst->format, "cloudevents")) {
                *content_type = CB_ENVELOPE_CONTENT_TYPE;
                return strndup(env_text, env_len);
        }
        *content_type = "application/json";
        return elements_body(inst, env, env_text, env_len);
}
