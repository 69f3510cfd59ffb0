#include "instances_ops.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

#include "cb_base64.h"
#include "cb_json.h"
#include "cb_log.h"
#include "ingest.h"
#include "instance_doc.h"
#include "instance_store.h"

/* Sets answer to an error: status and the message format gives. */
static void refuse(ingest_instances_answer_t *answer, unsigned status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void refuse(ingest_instances_answer_t *answer, unsigned status, const char *format, ...)
{
        va_list ap;

        answer->status = status;
        va_start(ap, format);
        vsnprintf(answer->message, sizeof(answer->message), format, ap);
        va_end(ap);
}

/* Sets answer to 200 with body (taken). */
static void answer_ok(ingest_instances_answer_t *answer, json_object *body)
{
        answer->status = 200;
        answer->body = body;
}

/* 503 with Retry-After: the instance could not be stored or given an id. */
static void unavailable(ingest_instances_answer_t *answer, const char *msg)
{
        refuse(answer, 503, "%s", msg);
        answer->retry_after = 1;
}

/* "<prefix>" + base64 of n random bytes, into out. Returns 0 or -1. */
static int random_secret(const char *prefix, size_t n, char *out, size_t size)
{
        unsigned char bytes[48];
        size_t plen = strlen(prefix);

        if (n > sizeof(bytes) || RAND_bytes(bytes, (int)n) != 1 || plen >= size)
                return -1;
        memcpy(out, prefix, plen);
        return cb_base64_encode(bytes, n, out + plen, size - plen) < 0 ? -1 : 0;
}

/* The body as a JSON object, or NULL after a 400. Caller owns. */
static json_object *body_object(const char *body, size_t len, ingest_instances_answer_t *answer)
{
        char err[256];
        json_object *obj = cb_json_parse(body, len, err, sizeof(err));

        if (!json_object_is_type(obj, json_type_object)) {
                refuse(answer, 400, "%s", *err ? err : "the body must be a JSON object");
                json_object_put(obj);
                return NULL;
        }
        return obj;
}

/* cb_instance_check at CB_INSTANCE_COMPLETE, a 400 with its message when stored is refused.
 * Returns 0 when valid. */
static int check(json_object *stored, ingest_instances_answer_t *answer)
{
        if (!cb_instance_check(stored, CB_INSTANCE_COMPLETE, answer->message,
                               sizeof(answer->message)))
                return 0;
        answer->status = 400;
        return -1;
}

/* ingest_instance_store_put, a 503 when the record could not be stored. Returns 0 when
 * stored. */
static int put(ingest_t *ing, const char *id, json_object *stored,
               ingest_instances_answer_t *answer)
{
        char err[256] = "", msg[400];

        if (!ingest_instance_store_put(ing, id, stored, err, sizeof(err)))
                return 0;
        snprintf(msg, sizeof(msg), "the instance could not be stored: %s", err);
        cb_log_kv(CB_LOG_WARN, CB_KV("instance", id), "%s", msg);
        unavailable(answer, msg);
        return -1;
}

static void do_create(ingest_t *ing, const char *body, size_t len,
                      ingest_instances_answer_t *answer)
{
        char id[CB_INSTANCE_ID_MAX], secret[96], token[96], err[256];
        json_object *stored = body_object(body, len, answer);

        if (!stored || check(stored, answer))
                goto done;
        if (random_secret("whsec_", 24, secret, sizeof(secret)) ||
            random_secret("", 24, token, sizeof(token))) {
                refuse(answer, 500, "cannot generate secrets");
                goto done;
        }
        ingest_instance_prepare(stored, secret, token); /* checked: it has a configuration */
        if (ingest_instance_store_reserve_id(ing, id, sizeof(id), err, sizeof(err))) {
                cb_log_warn("no instance id reserved: %s", err);
                unavailable(answer, err);
                goto done;
        }
        json_object_object_add(stored, "id", json_object_new_int64(strtoll(id, NULL, 10)));
        if (put(ing, id, stored, answer))
                goto done;
        cb_log_info("instance %s created", id);
        answer_ok(answer, ingest_instance_view(stored, 1));
done:
        json_object_put(stored);
}

static void do_patch(ingest_t *ing, const char *id, const char *body, size_t len,
                     ingest_instances_answer_t *answer)
{
        cb_instance_t *inst = cb_table_get(ing->table, id);
        json_object *patch = NULL, *stored = NULL;

        if (!inst) {
                refuse(answer, 404, "unknown instance");
                return;
        }
        patch = body_object(body, len, answer);
        if (!patch)
                goto done;
        if (json_object_deep_copy(inst->json, &stored, NULL)) {
                refuse(answer, 500, "out of memory");
                goto done;
        }
        if (ingest_instance_merge(stored, patch, answer->message, sizeof(answer->message))) {
                answer->status = 400;
                goto done;
        }
        if (check(stored, answer) || put(ing, id, stored, answer))
                goto done;
        cb_log_info("instance %s changed", id);
        answer_ok(answer, ingest_instance_view(stored, 0));
done:
        json_object_put(stored);
        json_object_put(patch);
        cb_instance_release(inst);
}

static void do_delete(ingest_t *ing, const char *id, ingest_instances_answer_t *answer)
{
        cb_instance_t *inst = cb_table_get(ing->table, id);
        json_object *deleted;

        if (!inst) {
                refuse(answer, 404, "unknown instance");
                return;
        }
        cb_instance_release(inst);
        if (put(ing, id, NULL, answer))
                return;
        cb_log_info("instance %s deleted", id);
        deleted = json_object_new_object();
        json_object_object_add(deleted, "id", json_object_new_int64(strtoll(id, NULL, 10)));
        json_object_object_add(deleted, "deleted", json_object_new_boolean(1));
        answer_ok(answer, deleted);
}

static void do_get(ingest_t *ing, const char *id, ingest_instances_answer_t *answer)
{
        cb_instance_t *inst = cb_table_get(ing->table, id);

        if (!inst) {
                refuse(answer, 404, "unknown instance");
                return;
        }
        answer_ok(answer, ingest_instance_view(inst->json, 0));
        cb_instance_release(inst);
}

static void do_list(ingest_t *ing, ingest_instances_answer_t *answer)
{
        cb_instance_t **all;
        json_object *list;
        long n = cb_table_snapshot(ing->table, &all), i;

        if (n < 0) {
                refuse(answer, 500, "out of memory");
                return;
        }
        list = json_object_new_array();
        for (i = 0; i < n; i++) {
                json_object_array_add(list, ingest_instance_view(all[i]->json, 0));
                cb_instance_release(all[i]);
        }
        free(all);
        answer_ok(answer, list);
}

void ingest_instances_op_run(ingest_t *ing, ingest_instances_op_t op, const char *id,
                             const char *body, size_t len, ingest_instances_answer_t *answer)
{
        memset(answer, 0, sizeof(*answer));
        switch (op) {
        case INGEST_INSTANCES_LIST:
                do_list(ing, answer);
                break;
        case INGEST_INSTANCES_GET:
                do_get(ing, id, answer);
                break;
        case INGEST_INSTANCES_CREATE:
                do_create(ing, body, len, answer);
                break;
        case INGEST_INSTANCES_PATCH:
                do_patch(ing, id, body, len, answer);
                break;
        case INGEST_INSTANCES_DELETE:
                do_delete(ing, id, answer);
                break;
        }
}

void ingest_instances_answer_fini(ingest_instances_answer_t *answer)
{
        json_object_put(answer->body);
        answer->body = NULL;
}
