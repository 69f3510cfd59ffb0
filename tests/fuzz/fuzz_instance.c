/* Fuzz target: the instance JSON, on the bytes of the three ways it comes in.
 *
 *   POST /instances body: cb_json_parse -> cb_instance_check (complete)
 *                         -> ingest_instance_prepare -> cb_instance_new -> ingest_instance_view
 *   instances file:       ingest_instances_file_read (the bytes as the file, through a memfd)
 *   instances topic:      cb_json_parse -> cb_instance_new (as cb_table loads a record)
 *
 * and what the API and the table depend on: whatever the API or the file loader takes, written
 * to the instances topic as they write it, loads in the table (cb_table reads records strictly)
 * as the same JSON; a refusal says why; every answer is JSON that reads back strictly, with the
 * configuration's secrets masked (the create answer shows only the token and the Standard
 * Webhooks secret) and element.key "closeio". */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cb_instance.h"
#include "cb_json.h"
#include "fuzz.h"
#include "instance_doc.h"
#include "instances_file.h"

#define MASK   "********"
#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define TOKEN  "Wz5mJ9zYn9GTr8D9EcVnkSjvDhBvlnSJ"

static const char *const secret_keys[] = {"username", "password", "event.notification.secret",
                                          "event.notification.signature.key",
                                          "event.webhook.signature.key"};

/* What ingest writes to the instances topic for obj (as ingest_instance_store_write does for
 * the API and the file loader): checks that the table loads it under id, as the same JSON. */
static void check_loads(const char *id, json_object *obj)
{
        const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE);
        char err[256] = "";
        json_object *back = cb_json_parse(text, strlen(text), err, sizeof(err));
        cb_instance_t *inst;

        if (!back)
                fprintf(stderr, "the table cannot read %s: %s\n", text, err);
        FUZZ_CHECK(back != NULL);
        FUZZ_CHECK(json_object_equal(back, obj));
        inst = cb_instance_new(id, back, err, sizeof(err));
        FUZZ_CHECK(inst != NULL);
        cb_instance_release(inst);
}

/* Checks an answer of the API for stored (revealed: the create answer). */
static void check_view(json_object *stored, int revealed)
{
        json_object *view = ingest_instance_view(stored, revealed), *conf, *src, *v, *back;
        const char *text = json_object_to_json_string_ext(view, JSON_C_TO_STRING_PLAIN |
                                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
        char err[256];
        size_t i;

        back = cb_json_parse(text, strlen(text), err, sizeof(err));
        FUZZ_CHECK(back != NULL);
        json_object_put(back);
        FUZZ_CHECK(json_object_object_get_ex(view, "element", &v) &&
                   !strcmp(json_object_get_string(json_object_object_get(v, "key")), "closeio"));
        FUZZ_CHECK(json_object_object_get_ex(view, "token", NULL) ==
                   (revealed && json_object_object_get_ex(stored, "token", NULL)));
        FUZZ_CHECK(json_object_object_get_ex(view, "configuration", &conf));
        if (!json_object_object_get_ex(stored, "configuration", &src))
                src = NULL;
        for (i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++) {
                if (!json_object_object_get_ex(src, secret_keys[i], &v) || !v)
                        continue;
                if (revealed && !strcmp(secret_keys[i], "event.notification.secret"))
                        v = json_object_object_get(src, secret_keys[i]);
                else
                        v = NULL;
                FUZZ_CHECK(
                    !strcmp(json_object_get_string(json_object_object_get(conf, secret_keys[i])),
                            v ? json_object_get_string(v) : MASK));
        }
        json_object_put(view);
}

/* POST /instances, as do_create (ingest/instances_ops.c) takes the body (a fixed secret and
 * token for random ones): what the API checks complete loads in the table. */
static void check_create(const uint8_t *data, size_t size)
{
        char err[CB_INSTANCE_ERR_MAX] = "";
        json_object *stored = cb_json_parse((const char *)data, size, err, sizeof(err));
        cb_instance_t *inst;

        if (!json_object_is_type(stored, json_type_object))
                goto done;
        if (cb_instance_check(stored, CB_INSTANCE_COMPLETE, err, sizeof(err))) {
                FUZZ_CHECK(*err);
                goto done;
        }
        FUZZ_CHECK(ingest_instance_prepare(stored, SECRET, TOKEN) == 0);
        FUZZ_CHECK(!json_object_object_get_ex(stored, "id", NULL));
        FUZZ_CHECK(cb_instance_check(stored, CB_INSTANCE_COMPLETE, err, sizeof(err)) == 0);
        inst = cb_instance_new("1", json_object_get(stored), err, sizeof(err));
        FUZZ_CHECK(inst != NULL);
        cb_instance_release(inst);
        json_object_object_add(stored, "id", json_object_new_int64(1000042));
        check_loads("1000042", stored);
        check_view(stored, 1);
        check_view(stored, 0);
done:
        json_object_put(stored);
}

/* A record of the instances topic, as cb_table loads it; then GET's answer for it. */
static void check_record(const uint8_t *data, size_t size)
{
        char err[256] = "";
        json_object *json = cb_json_parse((const char *)data, size, err, sizeof(err));
        cb_instance_t *inst;

        if (!json)
                return;
        inst = cb_instance_new("20931", json, err, sizeof(err));
        if (!inst) {
                FUZZ_CHECK(*err);
                return;
        }
        FUZZ_CHECK(inst->name && inst->format);
        FUZZ_CHECK(!strcmp(inst->format, "elements") || !strcmp(inst->format, "cloudevents"));
        FUZZ_CHECK(!inst->callback_url || *inst->callback_url);
        check_view(inst->json, 0);
        cb_instance_release(inst);
}

/* The bytes as an instances file: a memfd, opened again by its /proc path. */
static void check_file(const uint8_t *data, size_t size)
{
        static int fd = -1;
        char path[64], err[512] = "", id[CB_INSTANCE_ID_MAX];
        json_object *list, *obj, *v;
        size_t i, n;

        if (fd < 0)
                fd = memfd_create("instances.json", 0);
        FUZZ_CHECK(fd >= 0 && ftruncate(fd, 0) == 0);
        FUZZ_CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        list = ingest_instances_file_read(path, err, sizeof(err));
        if (!list) {
                FUZZ_CHECK(!strncmp(err, path, strlen(path)));
                return;
        }
        FUZZ_CHECK(json_object_is_type(list, json_type_array));
        n = json_object_array_length(list);
        for (i = 0; i < n; i++) {
                obj = json_object_array_get_idx(list, i);
                FUZZ_CHECK(json_object_object_get_ex(obj, "id", &v));
                snprintf(id, sizeof(id), "%s", json_object_get_string(v));
                FUZZ_CHECK(cb_instance_id_valid(id));
                check_loads(id, obj);
        }
        json_object_put(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        check_create(data, size);
        check_record(data, size);
        check_file(data, size);
        return 0;
}
