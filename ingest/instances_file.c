#include "instances_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cb_instance.h"
#include "cb_json.h"
#include "cb_log.h"
#include "instance_store.h"

/* An instances file larger than this is refused (a few thousand instances take a megabyte). */
#define FILE_MAX (64 * 1024 * 1024)

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

/* Reads the whole file at path (any kind: a pipe too) into a new buffer the caller frees,
 * its length in *len. Returns NULL with errstr set as "path: message". */
static char *read_all(const char *path, size_t *len, char *errstr, size_t errstr_size)
{
        FILE *fp = fopen(path, "rb");
        char *buf = NULL, *more;
        size_t cap = 0, n;

        *len = 0;
        if (!fp) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                return NULL;
        }
        for (;;) {
                if (*len == cap) {
                        more = cap < FILE_MAX ? realloc(buf, cap ? 2 * cap : 65536) : NULL;
                        if (!more) {
                                snprintf(errstr, errstr_size, "%s: %s", path,
                                         cap < FILE_MAX ? "out of memory" : "file too large");
                                goto fail;
                        }
                        buf = more;
                        cap = cap ? 2 * cap : 65536;
                }
                n = fread(buf + *len, 1, cap - *len, fp);
                *len += n;
                if (n == 0)
                        break;
        }
        if (ferror(fp)) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                goto fail;
        }
        fclose(fp);
        return buf;
fail:
        free(buf);
        fclose(fp);
        return NULL;
}

json_object *ingest_instances_file_read(const char *path, char *errstr, size_t errstr_size)
{
        json_object *root, *list, *obj;
        char id[CB_INSTANCE_ID_MAX], err[256] = "";
        size_t i, n, len;
        char *text = read_all(path, &len, errstr, errstr_size);

        if (!text)
                return NULL;
        /* strictly, as the table reads what is written from it: json-c's own reader takes NaN,
           comments and invalid UTF-8, which the table would then refuse */
        list = root = cb_json_parse(text, len, err, sizeof(err));
        free(text);
        if (!root && *err) {
                snprintf(errstr, errstr_size, "%s: %s", path, err);
                return NULL;
        }
        if (json_object_is_type(root, json_type_object))
                json_object_object_get_ex(root, "instances", &list);
        if (!list || !json_object_is_type(list, json_type_array)) {
                snprintf(errstr, errstr_size, "%s: expected an array of instances", path);
                goto fail;
        }
        n = json_object_array_length(list);
        for (i = 0; i < n; i++) {
                obj = json_object_array_get_idx(list, i);
                if (instance_id(obj, id, sizeof(id))) {
                        snprintf(errstr, errstr_size,
                                 "%s: instance %zu: needs \"id\", a positive integer", path, i);
                        goto fail;
                }
                if (cb_instance_check(obj, CB_INSTANCE_LOADABLE, err, sizeof(err))) {
                        snprintf(errstr, errstr_size, "%s: instance %s: %s", path, id, err);
                        goto fail;
                }
        }
        json_object_get(list);
        json_object_put(root);
        return list;
fail:
        json_object_put(root);
        return NULL;
}

int ingest_instances_file_apply(ingest_t *ing, const char *path, char *errstr, size_t errstr_size)
{
        /* Check them all before writing any. */
        json_object *list = ingest_instances_file_read(path, errstr, errstr_size), *obj;
        char id[CB_INSTANCE_ID_MAX], err[256];
        size_t i, n, written = 0;
        int ret = -1;

        if (!list)
                return -1;
        n = json_object_array_length(list);
        for (i = 0; i < n; i++) {
                obj = json_object_array_get_idx(list, i);
                instance_id(obj, id, sizeof(id));
                if (ingest_instance_store_holds(ing, id, obj))
                        continue;
                if (ingest_instance_store_write(ing, id, obj, err, sizeof(err))) {
                        snprintf(errstr, errstr_size, "%s: instance %s: %s", path, id, err);
                        goto done;
                }
                written++;
        }
        /* one wait for them all */
        if (written && ingest_instance_store_sync(ing, ing->kafka.timeout_ms, err, sizeof(err))) {
                snprintf(errstr, errstr_size, "%s: the instances table did not catch up", path);
                goto done;
        }
        cb_log_info("%s: %zu instances, %zu written to %s", path, n, written, ing->topic_instances);
        ret = (int)n;
done:
        json_object_put(list);
        return ret;
}
