#include "record.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errf.h"
#include "cb_json.h"
#include "cb_time.h"

/* The cb-* headers of retry and DLQ records (publish/move.h). */
#define H_ATTEMPT     "cb-attempt"
#define H_DUE         "cb-due-ms"
#define H_LAST_STATUS "cb-last-status"
#define H_LAST_ERROR  "cb-last-error"
#define H_REASON      "cb-dead-reason"

/* Bytes of client or record text an error message may quote. */
#define QUOTE_MAX 64

static const char *const state_names[] = {
    [CONSOLE_RECEIVED] = "received",   [CONSOLE_RETRYING] = "retrying",
    [CONSOLE_DELIVERED] = "delivered", [CONSOLE_DEAD] = "dead",
    [CONSOLE_SKIPPED] = "skipped",
};

const char *console_state_name(console_state_t state)
{
        if ((unsigned)state >= sizeof(state_names) / sizeof(state_names[0]))
                return "unknown";
        return state_names[state];
}

int console_state_parse(const char *s)
{
        size_t i;

        if (!s)
                return -1;
        for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
                if (!strcmp(s, state_names[i]))
                        return (int)i;
        return -1;
}

/* The attempt outcomes (publish/attempt_log.h) and the state each makes the event. */
static const struct {
        const char *name;
        console_state_t state;
} outcomes[] = {
    {"delivered", CONSOLE_DELIVERED},   {"retry", CONSOLE_RETRYING},
    {"breaker-open", CONSOLE_RETRYING}, {"dead", CONSOLE_DEAD},
    {"skipped", CONSOLE_SKIPPED},
};

/* Writes src[0..len) into out (out_size > 0) for an error message: at most QUOTE_MAX bytes,
 * stopping at a NUL, bytes other than printable ASCII as '?'. */
static void quote(char *out, size_t out_size, const char *src, size_t len)
{
        size_t i;

        for (i = 0; i < len && i < QUOTE_MAX && i + 1 < out_size && src[i]; i++)
                out[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
        out[i] = '\0';
}

/* Copies src[0..len) (not NUL-terminated; up to a NUL in it) into dst[0..size) NUL-terminated,
 * cut to what fits, never inside a UTF-8 character. */
static void copy_text(char *dst, size_t size, const char *src, size_t len)
{
        const char *nul = src ? memchr(src, '\0', len) : NULL;
        size_t n;

        if (!src)
                len = 0;
        if (nul)
                len = (size_t)(nul - src);
        n = len < size - 1 ? len : size - 1;
        if (n < len)
                while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
                        n--;
        memcpy(dst, src ? src : "", n);
        dst[n] = '\0';
}

/* Copies the string member key of obj into dst (cut to fit); "" when absent or not a string. */
static void copy_member(char *dst, size_t size, yyjson_val *obj, const char *key)
{
        yyjson_val *v = yyjson_obj_get(obj, key);

        if (yyjson_is_str(v))
                copy_text(dst, size, yyjson_get_str(v), yyjson_get_len(v));
        else
                dst[0] = '\0';
}

/* The integer member key of obj in *out. Returns 0, or -1 when absent, null, not an integer or
 * beyond int64 (*out left as it is). */
static int get_int64(yyjson_val *obj, const char *key, int64_t *out)
{
        yyjson_val *v = yyjson_obj_get(obj, key);

        if (yyjson_is_sint(v)) {
                *out = yyjson_get_sint(v);
                return 0;
        }
        if (yyjson_is_uint(v) && yyjson_get_uint(v) <= (uint64_t)INT64_MAX) {
                *out = (int64_t)yyjson_get_uint(v);
                return 0;
        }
        return -1;
}

/* An int member in lo..INT_MAX, or 0. */
static int get_int(yyjson_val *obj, const char *key, int lo)
{
        int64_t v;

        return get_int64(obj, key, &v) == 0 && v >= lo && v <= INT_MAX ? (int)v : 0;
}

/* The date-time member key of obj as epoch ms (floor), or fallback when absent or unreadable. */
static int64_t get_time_ms(yyjson_val *obj, const char *key, int64_t fallback)
{
        const char *s = yyjson_get_str(yyjson_obj_get(obj, key));
        int64_t us;

        if (!s || cb_time_parse(s, &us))
                return fallback;
        return us / 1000 - (us % 1000 < 0);
}

/* Copies the envelope id, the string member key of obj, into out->env_id. Returns 0, or -1 with
 * errstr set when there is none, it holds a NUL or it does not fit (cutting it would merge the
 * events of two envelopes). */
static int take_env_id(console_rec_t *out, yyjson_val *obj, const char *key, char *errstr,
                       size_t errstr_size)
{
        yyjson_val *v = yyjson_obj_get(obj, key);
        const char *s = yyjson_get_str(v);
        size_t len = yyjson_get_len(v);

        if (!s || len == 0)
                return console_errf(errstr, errstr_size, "no envelope id (\"%s\")", key);
        if (memchr(s, '\0', len))
                return console_errf(errstr, errstr_size, "envelope id holds a NUL");
        if (len >= sizeof(out->env_id))
                return console_errf(errstr, errstr_size,
                                    "envelope id too long (%zu bytes, at most %zu)", len,
                                    sizeof(out->env_id) - 1);
        memcpy(out->env_id, s, len + 1);
        return 0;
}

/* The envelope: its id and what the index filters on. */
static int decode_envelope(console_rec_t *out, yyjson_val *env, char *errstr, size_t errstr_size)
{
        yyjson_val *data = yyjson_obj_get(env, "data");

        if (take_env_id(out, env, "id", errstr, errstr_size))
                return -1;
        copy_member(out->type, sizeof(out->type), env, "type");
        copy_member(out->origin, sizeof(out->origin), env, "origin");
        out->event_time_ms = get_time_ms(env, "time", 0);
        if (yyjson_is_obj(data)) {
                copy_member(out->object_type, sizeof(out->object_type), data, "objectType");
                copy_member(out->object_id, sizeof(out->object_id), data, "objectId");
                copy_member(out->event_type, sizeof(out->event_type), data, "eventType");
        }
        return 0;
}

/* An attempt record (publish/attempt_log.c). */
static int decode_attempt(console_rec_t *out, yyjson_val *rec, char *errstr, size_t errstr_size)
{
        yyjson_val *v = yyjson_obj_get(rec, "outcome");
        const char *outcome = yyjson_get_str(v);
        char q[QUOTE_MAX + 1];
        size_t i;

        if (take_env_id(out, rec, "envelopeId", errstr, errstr_size))
                return -1;
        if (!outcome)
                return console_errf(errstr, errstr_size, "attempt without an outcome");
        for (i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
                if (yyjson_get_len(v) == strlen(outcomes[i].name) &&
                    !strcmp(outcome, outcomes[i].name))
                        break;
        if (i == sizeof(outcomes) / sizeof(outcomes[0])) {
                quote(q, sizeof(q), outcome, yyjson_get_len(v));
                return console_errf(errstr, errstr_size, "unknown outcome \"%s\"", q);
        }
        snprintf(out->outcome, sizeof(out->outcome), "%s", outcomes[i].name);
        out->state = outcomes[i].state;
        copy_member(out->url, sizeof(out->url), rec, "url");
        copy_member(out->replay, sizeof(out->replay), rec, "replay");
        copy_member(out->error, sizeof(out->error), rec, "error");
        out->attempt = get_int(rec, "attempt", 0);
        out->status = get_int(rec, "status", 0);
        if (get_int64(rec, "durationMs", &out->duration_ms) || out->duration_ms < 0)
                out->duration_ms = 0;
        if (get_int64(rec, "nextDueMs", &out->next_due_ms) || out->next_due_ms < 0)
                out->next_due_ms = 0;
        out->at_ms = get_time_ms(rec, "at", out->ts_ms);
        if (out->state == CONSOLE_SKIPPED)
                snprintf(out->reason, sizeof(out->reason), "%s", out->error);
        return 0;
}

/* The last header named name, or NULL (also when its value is null). */
static const console_header_t *last_header(const console_kafka_rec_t *in, const char *name)
{
        const console_header_t *h = NULL;
        size_t i;

        for (i = 0; in->headers && i < in->nheaders; i++)
                if (in->headers[i].name && !strcmp(in->headers[i].name, name))
                        h = &in->headers[i];
        return h && h->value ? h : NULL;
}

/* The decimal value of a header (digits only, at most max), or -1. */
static int64_t header_number(const console_header_t *h, int64_t max)
{
        int64_t v = 0;
        size_t i;

        if (!h || h->len == 0)
                return -1;
        for (i = 0; i < h->len; i++) {
                if (h->value[i] < '0' || h->value[i] > '9')
                        return -1;
                if (v > (max - (h->value[i] - '0')) / 10)
                        return -1;
                v = v * 10 + (h->value[i] - '0');
        }
        return v;
}

/* The cb-* headers of a retry or DLQ record. */
static void decode_headers(console_rec_t *out, const console_kafka_rec_t *in)
{
        const console_header_t *h;
        int64_t v;

        v = header_number(last_header(in, H_ATTEMPT), INT_MAX);
        out->attempt = v > 0 ? (int)v : 0;
        v = header_number(last_header(in, H_LAST_STATUS), INT_MAX);
        out->status = v > 0 ? (int)v : 0; /* "error": none */
        h = last_header(in, H_LAST_ERROR);
        if (h)
                copy_text(out->error, sizeof(out->error), h->value, h->len);
        if (in->kind == CONSOLE_TOPIC_RETRY) {
                v = header_number(last_header(in, H_DUE), INT64_MAX);
                out->next_due_ms = v > 0 ? v : 0;
        } else {
                h = last_header(in, H_REASON);
                if (h)
                        copy_text(out->reason, sizeof(out->reason), h->value, h->len);
        }
}

int console_rec_decode(const console_kafka_rec_t *in, console_rec_t *out, char *errstr,
                       size_t errstr_size)
{
        char err[256];
        yyjson_doc *doc;
        yyjson_val *root;
        int ret = -1;

        memset(out, 0, sizeof(*out));
        out->kind = in->kind;
        out->topic = in->topic;
        out->partition = in->partition;
        out->offset = in->offset;
        out->ts_ms = in->ts_ms;
        out->at_ms = in->ts_ms;
        if (in->kind != CONSOLE_TOPIC_EVENTS && in->kind != CONSOLE_TOPIC_DELIVERIES &&
            in->kind != CONSOLE_TOPIC_RETRY && in->kind != CONSOLE_TOPIC_DLQ)
                return console_errf(errstr, errstr_size, "unknown topic kind %d", (int)in->kind);

        if (!in->key || in->key_len == 0)
                return console_errf(errstr, errstr_size, "no key");
        if (in->key_len >= sizeof(out->instance_id) || memchr(in->key, '\0', in->key_len))
                return console_errf(errstr, errstr_size, "key is not an instance id");
        memcpy(out->instance_id, in->key, in->key_len);
        out->instance_id[in->key_len] = '\0';
        if (!cb_instance_id_valid(out->instance_id)) {
                out->instance_id[0] = '\0';
                return console_errf(errstr, errstr_size, "key is not an instance id");
        }

        if (!in->value)
                return console_errf(errstr, errstr_size, "no value");
        doc = cb_json_read(in->value, in->len, CB_JSON_MAX_DEPTH, err, sizeof(err));
        if (!doc)
                return console_errf(errstr, errstr_size, "value is not JSON: %s", err);
        root = yyjson_doc_get_root(doc);
        if (!yyjson_is_obj(root)) {
                console_errf(errstr, errstr_size, "value is not a JSON object");
        } else if (in->kind == CONSOLE_TOPIC_DELIVERIES) {
                ret = decode_attempt(out, root, errstr, errstr_size);
        } else {
                ret = decode_envelope(out, root, errstr, errstr_size);
                if (ret == 0 && in->kind == CONSOLE_TOPIC_EVENTS) {
                        out->state = CONSOLE_RECEIVED;
                } else if (ret == 0) {
                        out->state =
                            in->kind == CONSOLE_TOPIC_RETRY ? CONSOLE_RETRYING : CONSOLE_DEAD;
                        decode_headers(out, in);
                }
        }
        yyjson_doc_free(doc);
        return ret;
}
