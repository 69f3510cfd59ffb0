#include "instances_file.h"

#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "cb_instance.h"
#include "cb_log.h"

/* Writes the id of instance obj (a positive integer, or its decimal text) into id.
 * Returns 0 or -1. */
static int instance_id(json_object *obj, char *id, size_t size)
{
        json_object *v;

        if (!json_object_object_get_ex(obj, "id", &v))
                return -1;
        if (json_object_is_type(v, json_type_int))
                snprintf(id, size, "%lld", (long long)json_object_get_int64(v));
        else if (json_object_is_type(v, json_type_string))
                snprintf(id, size, "%s", json_object_get_string(v));
        else
                return -1;
        return cb_instance_id_valid(id) ? 0 : -1;
}

int ingest_instances_file_apply(ingest_t *ing, const char *path, char *errstr, size_t errstr_size)
{
        json_object *root = json_object_from_file(path), *list = root, *obj;
        char id[CB_INSTANCE_ID_MAX], err[256];
        cb_instance_t *inst, *current;
        size_t i, n, written = 0;
        int ret = -1;

        if (!root) {
                snprintf(errstr, errstr_size, "%s: cannot read JSON: %s", path,
                         json_util_get_last_err() ? json_util_get_last_err() : "?");
                return -1;
        }
        if (json_object_is_type(root, json_type_object))
                json_object_object_get_ex(root, "instances", &list);
        if (!list || !json_object_is_type(list, json_type_array)) {
                snprintf(errstr, errstr_size, "%s: expected an array of instances", path);
                goto done;
        }
        n = json_object_array_length(list);
        /* Check them all before writing any. */
        for (i = 0; i < n; i++) {
                obj = json_object_array_get_idx(list, i);
                if (instance_id(obj, id, sizeof(id))) {
                        snprintf(errstr, errstr_size,
                                 "%s: instance %zu: needs \"id\", a positive integer", path, i);
                        goto done;
                }
                inst = cb_instance_new(id, json_object_get(obj), err, sizeof(err));
                if (!inst) {
                        snprintf(errstr, errstr_size, "%s: instance %s: %s", path, id, err);
                        goto done;
                }
                cb_instance_release(inst);
        }
        for (i = 0; i < n; i++) {
                const char *value;
                int same;

                obj = json_object_array_get_idx(list, i);
                instance_id(obj, id, sizeof(id));
                current = cb_table_get(ing->table, id);
                same = current && json_object_equal(current->json, obj);
                cb_instance_release(current);
                if (same)
                        continue;
                value = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE);
                if (ingest_producer_send_sync(ing->producer, ing->topic_instances,
                                              RD_KAFKA_PARTITION_UA, id, value, strlen(value), NULL,
                                              err, sizeof(err))) {
                        snprintf(errstr, errstr_size, "%s: instance %s: %s", path, id, err);
                        goto done;
                }
                written++;
        }
        if (written &&
            cb_table_sync(ing->table, (int)cb_config_int(ing->cfg, "kafka-timeout-ms"))) {
                snprintf(errstr, errstr_size, "%s: the instances table did not catch up", path);
                goto done;
        }
        cb_log_info("%s: %zu instances, %zu written to %s", path, n, written, ing->topic_instances);
        ret = (int)n;
done:
        json_object_put(root);
        return ret;
}
