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

/* 1 when v is an array of strings. */
static int string_array(json_object *v)
{
        size_t i, n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;

        for (i = 0; i < n; i++)
                if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
                        return 0;
        return json_object_is_type(v, json_type_array);
}

/* What the instances API requires beyond a loadable instance, every missing or wrong entry
 * named in one message. Returns 0 or -1 with errstr set. */
static int check_complete(json_object *json, char *errstr, size_t errstr_size)
{
        json_object *conf = NULL, *element = NULL, *v;
        const char *enabled, *url, *user;
        char missing[512] = "", wrong[512] = "";

        json_object_object_get_ex(json, "configuration", &conf);
        json_object_object_get_ex(json, "element", &element);
        if (!json_object_object_get_ex(json, "name", &v) ||
            !json_object_is_type(v, json_type_string) || !*json_object_get_string(v))
                strcat(missing, ", name");
        v = NULL;
        if (!element || !json_object_object_get_ex(element, "key", &v))
                strcat(missing, ", element.key");
        else if (!json_object_is_type(v, json_type_string) ||
                 strcmp(json_object_get_string(v), "closeio"))
                strcat(wrong, ", element.key must be \"closeio\"");
        /* as cb_instance_new reads it, "false" would disable */
        if (json_object_object_get_ex(json, "disabled", &v) &&
            !json_object_is_type(v, json_type_boolean))
                strcat(wrong, ", disabled must be true or false");
        if (json_object_object_get_ex(json, "tags", &v) && !string_array(v))
                strcat(wrong, ", tags must be an array of strings");
        if (!json_object_is_type(conf, json_type_object))
                strcat(missing, ", configuration");
        else if (!(user = config_text(json, "username")) || !*user)
                strcat(missing, ", configuration.username (the Close API key)");
        enabled = config_text(json, "event.notification.enabled");
        url = config_text(json, "event.notification.callback.url");
        if (enabled && !strcmp(enabled, "true") && (!url || !*url))
                strcat(missing, ", configuration.event.notification.callback.url");
        if (url && *url && strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
                strcat(wrong, ", event.notification.callback.url must be an http(s) URL");
        if (!*missing && !*wrong)
                return 0;
        snprintf(errstr, errstr_size, "%s%s%s%s", *missing ? "missing required entries: " : "",
                 *missing ? missing + 2 : "", *missing && *wrong ? "; " : "",
                 *wrong ? wrong + 2 : "");
        return -1;
}

int cb_instance_check(json_object *json, cb_instance_level_t level, char *errstr,
                      size_t errstr_size)
{
        json_object *element, *key;
        const char *format;

        if (!json_object_is_type(json, json_type_object)) {
                snprintf(errstr, errstr_size, "instance must be a JSON object");
                return -1;
        }
        if (level == CB_INSTANCE_COMPLETE && check_complete(json, errstr, errstr_size))
                return -1;
        if (!json_object_object_get_ex(json, "element", &element) ||
            !json_object_object_get_ex(element, "key", &key) ||
            !json_object_is_type(key, json_type_string) ||
            strcmp(json_object_get_string(key), "closeio")) {
                snprintf(errstr, errstr_size, "instance needs \"element\": {\"key\": \"closeio\"}");
                return -1;
        }
        if (!configuration(json)) {
                snprintf(errstr, errstr_size, "instance needs a \"configuration\" object");
                return -1;
        }
        format = config_text(json, "event.notification.format");
        if (format && strcmp(format, "elements") && strcmp(format, "cloudevents")) {
                snprintf(errstr, errstr_size,
                         "event.notification.format must be \"elements\" or \"cloudevents\"");
                return -1;
        }
        return 0;
}

cb_instance_t *cb_instance_new(const char *id, json_object *json, char *errstr, size_t errstr_size)
{
        cb_instance_t *inst;
        json_object *v, *tags;
        const char *s;

        if (!cb_instance_id_valid(id)) {
                snprintf(errstr, errstr_size, "instance id \"%s\" is not a positive integer", id);
                goto fail;
        }
        if (cb_instance_check(json, CB_INSTANCE_LOADABLE, errstr, errstr_size))
                goto fail;
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
