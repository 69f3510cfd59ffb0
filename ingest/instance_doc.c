#include "instance_doc.h"

#include <stdio.h>
#include <string.h>

#define MASK "********"

/* Configuration entries never shown after creation. */
static const char *const secret_keys[] = {"username", "password", "event.notification.secret",
                                          "event.notification.signature.key",
                                          "event.webhook.signature.key"};

/* The entry key of conf (borrowed) as text, borrowed from conf; NULL when absent or null. */
static const char *conf_str(json_object *conf, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(conf, key, &v) || !v)
                return NULL;
        return json_object_get_string(v);
}

int ingest_instance_prepare(json_object *stored, const char *secret, const char *token)
{
        json_object *conf;

        json_object_object_del(stored, "id");
        if (!json_object_object_get_ex(stored, "configuration", &conf) ||
            !json_object_is_type(conf, json_type_object))
                return -1;
        if (!conf_str(conf, "event.notification.secret"))
                json_object_object_add(conf, "event.notification.secret",
                                       json_object_new_string(secret));
        json_object_object_add(stored, "token", json_object_new_string(token));
        return 0;
}

int ingest_instance_merge(json_object *stored, json_object *patch, char *errstr, size_t errstr_size)
{
        json_object *conf, *pconf;

        json_object_object_foreach(patch, key, val)
        {
                if (!strcmp(key, "name") || !strcmp(key, "tags") || !strcmp(key, "disabled")) {
                        if (val) /* RFC 7396: null removes */
                                json_object_object_add(stored, key, json_object_get(val));
                        else
                                json_object_object_del(stored, key);
                } else if (!strcmp(key, "configuration")) {
                        if (!json_object_is_type(val, json_type_object)) {
                                snprintf(errstr, errstr_size, "configuration must be an object");
                                return -1;
                        }
                        if (!json_object_object_get_ex(stored, "configuration", &conf)) {
                                conf = json_object_new_object();
                                json_object_object_add(stored, "configuration", conf);
                        }
                        pconf = val;
                        json_object_object_foreach(pconf, ckey, cval)
                        {
                                if (cval)
                                        json_object_object_add(conf, ckey, json_object_get(cval));
                                else
                                        json_object_object_del(conf, ckey);
                        }
                } else if (strcmp(key, "id") && strcmp(key, "element")) {
                        snprintf(errstr, errstr_size, "\"%.64s\" cannot be changed", key);
                        return -1;
                }
        }
        return 0;
}

json_object *ingest_instance_view(json_object *stored, int reveal)
{
        json_object *out = json_object_new_object(), *conf = NULL, *element, *v, *src, *copy;
        size_t i;

        json_object_object_foreach(stored, key, val)
        {
                if (!strcmp(key, "configuration") || !strcmp(key, "element") ||
                    (!strcmp(key, "token") && !reveal))
                        continue;
                copy = NULL;
                /* a copy, never a reference: stored may be a shared instance's tree, whose
                   counts json-c keeps without atomics (cb_instance.h) */
                if (!json_object_deep_copy(val, &copy, NULL) || !val)
                        json_object_object_add(out, key, copy);
        }
        element = json_object_new_object();
        json_object_object_add(element, "key", json_object_new_string("closeio"));
        json_object_object_add(element, "name", json_object_new_string("Close.io"));
        json_object_object_add(element, "hub", json_object_new_string("crm"));
        json_object_object_add(element, "active", json_object_new_boolean(1));
        json_object_object_add(element, "deleted", json_object_new_boolean(0));
        json_object_object_add(element, "typeOauth", json_object_new_boolean(0));
        v = json_object_new_object();
        json_object_object_add(v, "type", json_object_new_string("basic"));
        json_object_object_add(element, "authentication", v);
        json_object_object_add(out, "element", element);
        json_object_object_add(out, "provisionInteractions", json_object_new_array());
        json_object_object_add(out, "valid", json_object_new_boolean(1));
        if (!json_object_object_get_ex(stored, "disabled", NULL))
                json_object_object_add(out, "disabled", json_object_new_boolean(0));
        json_object_object_add(out, "maxCacheSize", json_object_new_int(0));
        json_object_object_add(out, "cacheTimeToLive", json_object_new_int(0));

        if (json_object_object_get_ex(stored, "configuration", &src))
                json_object_deep_copy(src, &conf, NULL);
        if (!conf)
                conf = json_object_new_object();
        for (i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++) {
                if (reveal && !strcmp(secret_keys[i], "event.notification.secret"))
                        continue;
                if (json_object_object_get_ex(conf, secret_keys[i], &v) && v)
                        json_object_object_add(conf, secret_keys[i], json_object_new_string(MASK));
        }
        v = json_object_object_get(conf, "event.notification.enabled");
        json_object_object_add(
            out, "eventsEnabled",
            json_object_new_boolean(v && !strcmp(json_object_get_string(v), "true")));
        json_object_object_add(out, "configuration", conf);
        json_object_object_add(out, "cachingEnabled", json_object_new_boolean(0));
        return out;
}
