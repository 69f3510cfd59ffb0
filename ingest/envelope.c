#include "envelope.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "cb_hmac.h"
#include "cb_json.h"
#include "cb_time.h"

static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

/* OpenSSL 3 looks a digest up by name on every use of EVP_sha256(); fetched once, it is not. */
static void fetch_sha256(void)
{
        sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int ingest_envelope_id(const char *instance_id, const ingest_close_event_t *ev, char *out,
                       size_t out_size)
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

/* Where ingest_envelope_build writes: p moves on, end bounds it. */
typedef struct out {
        char *p, *end;
} out_t;

static void put(out_t *o, const char *s, size_t n)
{
        memcpy(o->p, s, n);
        o->p += n;
}

#define PUT_LIT(o, lit) put(o, lit, sizeof(lit) - 1)

/* Writes "name":"<value, escaped>" with a leading comma unless first. */
static void put_field(out_t *o, const char *name, const char *value, int first)
{
        if (!first)
                *o->p++ = ',';
        *o->p++ = '"';
        put(o, name, strlen(name));
        PUT_LIT(o, "\":\"");
        o->p += cb_json_escape(o->p, (size_t)(o->end - o->p), value);
        *o->p++ = '"';
}

/* Copies the strings of parts (NULL-terminated) one after the other to o as one NUL-terminated
 * string. Returns where it starts. */
static const char *put_joined(out_t *o, const char *const *parts)
{
        const char *start = o->p;

        for (; *parts; parts++)
                put(o, *parts, strlen(*parts));
        *o->p++ = '\0';
        return start;
}

/* ev->raw_text trimmed of white space, or null when there is none. */
static const char *raw_text(const ingest_close_event_t *ev, size_t *len)
{
        const char *text = ev->raw_text;
        size_t n = ev->raw_len;

        if (!text) {
                *len = 4;
                return "null";
        }
        while (n && strchr(" \t\r\n", text[0])) {
                text++;
                n--;
        }
        while (n && strchr(" \t\r\n", text[n - 1]))
                n--;
        *len = n;
        return text;
}

int ingest_envelope_build(ingest_envelope_t *env, const char *instance_id,
                          const ingest_close_event_t *ev, const char *origin, int64_t now_us)
{
        const char *source[] = {"/closeio/instances/", instance_id, NULL};
        const char *type[] = {"io.close.", ev->model, ".", ev->action, NULL};
        const char *subject[] = {ev->model, "/", ev->object_id, NULL};
        const char *strings[] = {instance_id,     ev->model,        ev->action,
                                 ev->object_id,   origin,           ev->event_type,
                                 ev->object_type, ev->merge_source, ev->merge_destination};
        char id[CB_ENVELOPE_ID_MAX], time_s[32];
        const char *htime, *src, *typ, *subj, *inst, *orig, *raw;
        size_t i, text = 0, raw_len, size;
        out_t o;

        memset(env, 0, sizeof(*env));
        raw = raw_text(ev, &raw_len);
        if (ingest_envelope_id(instance_id, ev, id, sizeof(id)) ||
            cb_time_format_ms(ev->date_us ? ev->date_us : now_us, time_s, sizeof(time_s)))
                return -1;
        for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
                text += strings[i] ? strlen(strings[i]) : 0;
        /* Room to spare: the header values hold id, time and each string at most twice, plus 64
           bytes of their own; the JSON holds them, id and time twice escaped (at most 6 bytes
           each), the constants and field names (under 512 bytes), and raw. */
        size = 2 * text + sizeof(id) + sizeof(time_s) + 64 +
               CB_JSON_ESCAPED_MAX(2 * text + sizeof(id) + 2 * sizeof(time_s) + 64) + 512 + raw_len;
        env->buf = malloc(size);
        if (!env->buf)
                return -1;
        o.p = env->buf;
        o.end = env->buf + size;

        /* every value points into buf (or is static): env may be moved */
        env->id = put_joined(&o, (const char *[]){id, NULL});
        htime = put_joined(&o, (const char *[]){time_s, NULL});
        src = put_joined(&o, source);
        typ = put_joined(&o, type);
        subj = put_joined(&o, subject);
        inst = put_joined(&o, (const char *[]){instance_id, NULL});
        orig = put_joined(&o, (const char *[]){origin, NULL});

        env->json = o.p;
        *o.p++ = '{';
        put_field(&o, "specversion", "1.0", 1);
        put_field(&o, "id", env->id, 0);
        put_field(&o, "source", src, 0);
        put_field(&o, "type", typ, 0);
        put_field(&o, "subject", subj, 0);
        put_field(&o, "time", htime, 0);
        put_field(&o, "datacontenttype", "application/json", 0);
        put_field(&o, "instanceid", inst, 0);
        put_field(&o, "elementkey", "closeio", 0);
        put_field(&o, "origin", orig, 0);
        PUT_LIT(&o, ",\"data\":{");
        put_field(&o, "eventType", ev->event_type, 1);
        put_field(&o, "objectType", ev->object_type, 0);
        put_field(&o, "objectId", ev->object_id, 0);
        put_field(&o, "date", htime, 0);
        if (ev->merge_source)
                put_field(&o, "mergeSourceId", ev->merge_source, 0);
        if (ev->merge_destination)
                put_field(&o, "mergeDestinationId", ev->merge_destination, 0);
        PUT_LIT(&o, ",\"raw\":");
        put(&o, raw, raw_len);
        PUT_LIT(&o, "}}");
        env->json_len = (size_t)(o.p - env->json);
        *o.p = '\0';

        {
                const ingest_envelope_header_t hdrs[] = {
                    {"content-type", CB_ENVELOPE_CONTENT_TYPE},
                    {"ce_specversion", "1.0"},
                    {"ce_id", env->id},
                    {"ce_source", src},
                    {"ce_type", typ},
                    {"ce_subject", subj},
                    {"ce_time", htime},
                    {"ce_instanceid", inst},
                    {"ce_elementkey", "closeio"},
                    {"ce_origin", orig},
                };
                env->nheaders = sizeof(hdrs) / sizeof(hdrs[0]);
                memcpy(env->headers, hdrs, sizeof(hdrs));
        }
        return 0;
}

size_t ingest_envelope_record_size(const ingest_envelope_t *env, size_t key_len)
{
        /* a batch's header is 61 bytes, a record's own fields at most 5 varints of 5 bytes
           and an attributes byte, each header's two lengths at most 5 bytes each */
        size_t size = 61 + 26 + env->json_len + key_len, i;

        for (i = 0; i < env->nheaders; i++)
                size += strlen(env->headers[i].name) + strlen(env->headers[i].value) + 10;
        return size;
}

void ingest_envelope_fini(ingest_envelope_t *env)
{
        free(env->buf);
        memset(env, 0, sizeof(*env));
}
