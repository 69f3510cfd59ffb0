#include "cb_envelope.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/printbuf.h>
#include <openssl/evp.h>

#include "cb_hmac.h"
#include "cb_time.h"

static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

/* OpenSSL 3 looks a digest up by name on every use of EVP_sha256(); fetched once, it is not. */
static void fetch_sha256(void)
{
        sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int cb_envelope_id(const char *instance_id, const cb_close_event_t *ev, char *out, size_t out_size)
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int md_len = 0;
        char date[32] = "";
        EVP_MD_CTX *ctx;
        size_t n, d;

        if (ev->date_us)
                cb_time_format_compact(ev->date_us, date, sizeof(date));
        if (ev->close_id) {
                /* <close id>[_<date>], built without printf: it runs for every event */
                n = strlen(ev->close_id);
                d = strlen(date);
                if (n + (d ? 1 + d : 0) >= out_size)
                        return -1;
                memcpy(out, ev->close_id, n);
                if (d) {
                        out[n++] = '_';
                        memcpy(out + n, date, d);
                        n += d;
                }
                out[n] = '\0';
                return 0;
        }
        if (out_size < 3 + 32 + 1)
                return -1;
        pthread_once(&sha256_once, fetch_sha256);
        ctx = sha256 ? EVP_MD_CTX_new() : NULL;
        if (!ctx)
                return -1;
        /* Fields separated by NUL so that no two field lists hash alike. */
        if (!EVP_DigestInit_ex(ctx, sha256, NULL) ||
            !EVP_DigestUpdate(ctx, instance_id, strlen(instance_id) + 1) ||
            !EVP_DigestUpdate(ctx, ev->model, strlen(ev->model) + 1) ||
            !EVP_DigestUpdate(ctx, ev->event_type, strlen(ev->event_type) + 1) ||
            !EVP_DigestUpdate(ctx, ev->object_id, strlen(ev->object_id) + 1) ||
            !EVP_DigestUpdate(ctx, date, strlen(date) + 1) ||
            (ev->merge_destination &&
             !EVP_DigestUpdate(ctx, ev->merge_destination, strlen(ev->merge_destination) + 1)) ||
            !EVP_DigestFinal_ex(ctx, md, &md_len)) {
                EVP_MD_CTX_free(ctx);
                return -1;
        }
        EVP_MD_CTX_free(ctx);
        memcpy(out, "cb_", 3);
        cb_hex_encode(md, 16, out + 3);
        return 0;
}

static int add_str(json_object *obj, const char *key, const char *value)
{
        json_object *v = json_object_new_string(value);

        if (!v)
                return -1;
        if (json_object_object_add(obj, key, v)) {
                json_object_put(v);
                return -1;
        }
        return 0;
}

typedef struct verbatim {
        size_t len;
        char text[];
} verbatim_t;

static int write_verbatim(json_object *jso, struct printbuf *pb, int level, int flags)
{
        const verbatim_t *v = json_object_get_userdata(jso);

        (void)level;
        (void)flags;
        return printbuf_memappend(pb, v->text, (int)v->len);
}

static void free_verbatim(json_object *jso, void *userdata)
{
        (void)jso;
        free(userdata);
}

/* Makes raw serialize as text[0..len), trimmed of white space. Returns 0 or -1. */
static int attach_verbatim(json_object *raw, const char *text, size_t len)
{
        verbatim_t *v;

        while (len && strchr(" \t\r\n", text[0])) {
                text++;
                len--;
        }
        while (len && strchr(" \t\r\n", text[len - 1]))
                len--;
        v = malloc(sizeof(*v) + len);
        if (!v || len > INT_MAX) {
                free(v);
                return -1;
        }
        v->len = len;
        memcpy(v->text, text, len);
        json_object_set_serializer(raw, write_verbatim, v, free_verbatim);
        return 0;
}

json_object *cb_envelope_new(const char *instance_id, const cb_close_event_t *ev,
                             const char *origin, int64_t now_us)
{
        char id[CB_ENVELOPE_ID_MAX], time_s[40], buf[512];
        json_object *env = json_object_new_object(), *data = json_object_new_object();

        if (!env || !data)
                goto fail;
        if (cb_envelope_id(instance_id, ev, id, sizeof(id)) ||
            cb_time_format_ms(ev->date_us ? ev->date_us : now_us, time_s, sizeof(time_s)))
                goto fail;

        if (add_str(env, "specversion", "1.0") || add_str(env, "id", id))
                goto fail;
        snprintf(buf, sizeof(buf), "/closeio/instances/%s", instance_id);
        if (add_str(env, "source", buf))
                goto fail;
        snprintf(buf, sizeof(buf), "io.close.%s.%s", ev->model, ev->action);
        if (add_str(env, "type", buf))
                goto fail;
        snprintf(buf, sizeof(buf), "%s/%s", ev->model, ev->object_id);
        if (add_str(env, "subject", buf) || add_str(env, "time", time_s) ||
            add_str(env, "datacontenttype", "application/json") ||
            add_str(env, "instanceid", instance_id) || add_str(env, "elementkey", "closeio") ||
            add_str(env, "origin", origin))
                goto fail;

        if (add_str(data, "eventType", ev->event_type) ||
            add_str(data, "objectType", ev->object_type) ||
            add_str(data, "objectId", ev->object_id) || add_str(data, "date", time_s))
                goto fail;
        if (ev->merge_source && add_str(data, "mergeSourceId", ev->merge_source))
                goto fail;
        if (ev->merge_destination && add_str(data, "mergeDestinationId", ev->merge_destination))
                goto fail;
        if (ev->raw_text && attach_verbatim(ev->raw, ev->raw_text, ev->raw_len))
                goto fail;
        if (json_object_object_add(data, "raw", json_object_get(ev->raw))) {
                json_object_put(ev->raw); /* not taken */
                goto fail;
        }
        if (json_object_object_add(env, "data", data))
                goto fail;
        return env;
fail:
        json_object_put(data);
        json_object_put(env);
        return NULL;
}

const char *cb_envelope_attr(json_object *env, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(env, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

size_t cb_envelope_headers(json_object *env, cb_envelope_header_t *hdrs, char names[][32])
{
        size_t n = 0;

        hdrs[n].name = "content-type";
        hdrs[n++].value = CB_ENVELOPE_CONTENT_TYPE;
        json_object_object_foreach(env, key, val)
        {
                if (n == CB_ENVELOPE_HEADERS_MAX)
                        break;
                if (!strcmp(key, "data") || !strcmp(key, "datacontenttype") ||
                    !json_object_is_type(val, json_type_string) || strlen(key) > 20)
                        continue;
                memcpy(names[n], "ce_", 3);
                memcpy(names[n] + 3, key, strlen(key) + 1); /* at most 20 + 1 */
                hdrs[n].name = names[n];
                hdrs[n].value = json_object_get_string(val);
                n++;
        }
        return n;
}
