#include "cb_instance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cb_instance_id_valid(const char *id)
{
        size_t i, len = strlen(id);

        if (len == 0 || len > 18 || id[0] == '0')
                return 0;
        for (i = 0; i < len; i++)
                if (id[i] < '0' || id[i] > '9')
                        return 0;
        return 1;
}

static json_object *configuration(json_object *json)
{
        json_object *conf;

        if (!json_object_object_get_ex(json, "configuration", &conf) ||
            !json_object_is_type(conf, json_type_object))
                return NULL;
        return conf;
}

static const char *config_text(json_object *json, const char *key)
{
        json_object *conf = configuration(json), *v;

        if (!conf || !json_object_object_get_ex(conf, key, &v) || !v)
                return NULL;
        return json_object_get_string(v);
}

const char *cb_instance_config(const cb_instance_t *inst, const char *key)
{
        return config_text(inst->json, key);
}

cb_instance_t *cb_instance_new(const char *id, json_object *json, char *errstr, size_t errstr_size)
{
        cb_instance_t *inst = NULL;
        json_object *element, *key, *v, *tags;
        const char *s;

        if (!cb_instance_id_valid(id)) {
                snprintf(errstr, errstr_size, "instance id \"%s\" is not a positive integer", id);
                goto fail;
        }
        if (!json_object_is_type(json, json_type_object)) {
                snprintf(errstr, errstr_size, "instance must be a JSON object");
                goto fail;
        }
        if (!json_object_object_get_ex(json, "element", &element) ||
            !json_object_object_get_ex(element, "key", &key) ||
            !json_object_is_type(key, json_type_string) ||
            strcmp(json_object_get_string(key), "closeio")) {
                snprintf(errstr, errstr_size, "instance needs \"element\": {\"key\": \"closeio\"}");
                goto fail;
        }
        if (!configuration(json)) {
                snprintf(errstr, errstr_size, "instance needs a \"configuration\" object");
                goto fail;
        }
        inst = calloc(1, sizeof(*inst));
        if (!inst) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        inst->refcnt = 1;
        inst->partition = -1;
        snprintf(inst->id, sizeof(inst->id), "%s", id);
        inst->json = json;

        inst->name = "";
        if (json_object_object_get_ex(json, "name", &v) && json_object_is_type(v, json_type_string))
                inst->name = json_object_get_string(v);
        inst->disabled =
            json_object_object_get_ex(json, "disabled", &v) && json_object_get_boolean(v);

        s = config_text(json, "event.notification.enabled");
        inst->notify_enabled = s && !strcmp(s, "true");
        inst->callback_url = config_text(json, "event.notification.callback.url");
        if (inst->callback_url && !*inst->callback_url)
                inst->callback_url = NULL;
        inst->format = config_text(json, "event.notification.format");
        if (!inst->format)
                inst->format = "elements";
        if (strcmp(inst->format, "elements") && strcmp(inst->format, "cloudevents")) {
                snprintf(errstr, errstr_size,
                         "event.notification.format must be \"elements\" or \"cloudevents\"");
                inst->json = NULL;
                free(inst);
                inst = NULL;
                goto fail;
        }
        tags =
            json_object_object_get_ex(json, "tags", &v) && json_object_is_type(v, json_type_array)
                ? v
                : NULL;
        inst->tags_text =
            strdup(tags ? json_object_to_json_string_ext(tags, JSON_C_TO_STRING_PLAIN |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE)
                        : "[]");
        if (!inst->tags_text) {
                snprintf(errstr, errstr_size, "out of memory");
                cb_instance_release(inst);
                return NULL;
        }
        return inst;
fail:
        json_object_put(json);
        return NULL;
}

cb_instance_t *cb_instance_ref(cb_instance_t *inst)
{
        __atomic_add_fetch(&inst->refcnt, 1, __ATOMIC_RELAXED);
        return inst;
}

void cb_instance_release(cb_instance_t *inst)
{
        if (!inst || __atomic_sub_fetch(&inst->refcnt, 1, __ATOMIC_ACQ_REL))
                return;
        json_object_put(inst->json);
        free(inst->tags_text);
        free(inst);
}
