/* Fuzz target: the webhook payload path of ingest, on the body bytes as they arrive.
 *
 *   ingest_close_parse_webhook (yyjson) -> ingest_envelope_build -> JSON text + Kafka headers
 *
 * and the checks consumers depend on: a payload taken is RFC 8259 JSON in UTF-8, and json-c
 * reads it too (cb_json_parse_depth, as publish and most consumers read payloads); the envelope
 * text is RFC 8259 JSON in UTF-8 (checked by a validator here, independent of json-c and
 * yyjson, as your own services read the topic with theirs), it parses back with cb_json_parse
 * (as publish reads it) into the same envelope, and its id is the one the same event gets
 * however it arrives. */
#include <stdlib.h>
#include <string.h>

#include "cb_json.h"
#include "cb_time.h"
#include "close_event.h"
#include "envelope.h"
#include "fuzz.h"

#define INSTANCE_ID "20931"
#define NOW_US      1495144526451000LL /* 2017-05-18T21:55:26.451Z */

/* An RFC 8259 validator, independent of json-c: *p walks the text, each function returns 0 when
 * its production matches there. Depth is bounded by the parse that built the text. */
static int json_value(const char **p);

static void json_ws(const char **p)
{
        while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
                (*p)++;
}

static int json_digits(const char **p)
{
        if (**p < '0' || **p > '9')
                return -1;
        while (**p >= '0' && **p <= '9')
                (*p)++;
        return 0;
}

static int json_number(const char **p)
{
        if (**p == '-')
                (*p)++;
        if (**p == '0')
                (*p)++;
        else if (json_digits(p))
                return -1;
        if (**p == '.') {
                (*p)++;
                if (json_digits(p))
                        return -1;
        }
        if (**p == 'e' || **p == 'E') {
                (*p)++;
                if (**p == '+' || **p == '-')
                        (*p)++;
                if (json_digits(p))
                        return -1;
        }
        return 0;
}

static int json_string(const char **p)
{
        const unsigned char *s = (const unsigned char *)*p;
        int i;

        if (*s++ != '"')
                return -1;
        for (; *s != '"'; s++) {
                if (*s < 0x20) /* control characters (and the end of the text) */
                        return -1;
                if (*s != '\\')
                        continue;
                s++;
                if (*s == 'u') {
                        for (i = 0; i < 4; i++)
                                if (!*++s || !strchr("0123456789abcdefABCDEF", *s))
                                        return -1;
                } else if (!*s || !strchr("\"\\/bfnrt", *s)) {
                        return -1;
                }
        }
        *p = (const char *)s + 1;
        return 0;
}

static int json_literal(const char **p, const char *word)
{
        size_t n = strlen(word);

        if (strncmp(*p, word, n))
                return -1;
        *p += n;
        return 0;
}

/* An object (open '{', close '}', members "k": v) or an array ('[', ']', values). */
static int json_container(const char **p, char open, char close, int members)
{
        if (**p != open)
                return -1;
        (*p)++;
        json_ws(p);
        if (**p == close) {
                (*p)++;
                return 0;
        }
        for (;;) {
                json_ws(p);
                if (members) {
                        if (json_string(p))
                                return -1;
                        json_ws(p);
                        if (**p != ':')
                                return -1;
                        (*p)++;
                }
                if (json_value(p))
                        return -1;
                if (**p == close) {
                        (*p)++;
                        return 0;
                }
                if (**p != ',')
                        return -1;
                (*p)++;
        }
}

static int json_value(const char **p)
{
        int ret;

        json_ws(p);
        switch (**p) {
        case '{':
                ret = json_container(p, '{', '}', 1);
                break;
        case '[':
                ret = json_container(p, '[', ']', 0);
                break;
        case '"':
                ret = json_string(p);
                break;
        case 't':
                ret = json_literal(p, "true");
                break;
        case 'f':
                ret = json_literal(p, "false");
                break;
        case 'n':
                ret = json_literal(p, "null");
                break;
        default:
                ret = json_number(p);
        }
        json_ws(p);
        return ret;
}

/* Whether text is one RFC 8259 JSON value and nothing else. */
static int is_json_text(const char *text)
{
        return json_value(&text) == 0 && *text == '\0';
}

/* Whether s is well-formed UTF-8 (RFC 3629: shortest forms, no surrogates, up to U+10FFFF). */
static int is_utf8(const char *str)
{
        const unsigned char *s = (const unsigned char *)str;
        unsigned int cp, min;
        int n, i;

        while (*s) {
                if (*s < 0x80) {
                        s++;
                        continue;
                }
                if ((*s & 0xe0) == 0xc0) {
                        n = 1;
                        cp = *s & 0x1f;
                        min = 0x80;
                } else if ((*s & 0xf0) == 0xe0) {
                        n = 2;
                        cp = *s & 0x0f;
                        min = 0x800;
                } else if ((*s & 0xf8) == 0xf0) {
                        n = 3;
                        cp = *s & 0x07;
                        min = 0x10000;
                } else {
                        return 0;
                }
                for (i = 1; i <= n; i++) {
                        if ((s[i] & 0xc0) != 0x80)
                                return 0;
                        cp = cp << 6 | (s[i] & 0x3f);
                }
                if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return 0;
                s += n + 1;
        }
        return 1;
}

static const char *attr(json_object *env, const char *key)
{
        const char *v = fuzz_envelope_attr(env, key);

        FUZZ_CHECK(v != NULL);
        return v;
}

static int is_json_null(const uint8_t *data, size_t size)
{
        while (size && memchr(" \t\r\n", data[0], 4)) {
                data++;
                size--;
        }
        while (size && memchr(" \t\r\n", data[size - 1], 4))
                size--;
        return size == 4 && !memcmp(data, "null", 4);
}

/* us cut to milliseconds, rounding down as the envelope time does before 1970 too. */
static int64_t floor_ms(int64_t us)
{
        return (us / 1000 - (us % 1000 < 0)) * 1000;
}

static int starts_with(const char *s, const char *prefix)
{
        return !strncmp(s, prefix, strlen(prefix));
}

static void check_event(const ingest_close_event_t *ev, const uint8_t *data, size_t size)
{
        FUZZ_CHECK(ev->raw_text == (const char *)data && ev->raw_len == size);
        FUZZ_CHECK(ev->model && *ev->model && ev->action && *ev->action);
        FUZZ_CHECK(ev->object_id && *ev->object_id && ev->object_type && *ev->object_type);
        FUZZ_CHECK(ev->event_type &&
                   (!strcmp(ev->event_type, "CREATED") || !strcmp(ev->event_type, "UPDATED") ||
                    !strcmp(ev->event_type, "DELETED") || !strcmp(ev->event_type, "UNKNOWN")));
        FUZZ_CHECK(!ev->close_id || (*ev->close_id && !strpbrk(ev->close_id, ". ")));
}

/* built's headers: content-type, then one ce_<attribute> per string attribute of env, the one
 * parsed from built's text. */
static void check_headers(const ingest_envelope_t *built, json_object *env)
{
        const ingest_envelope_header_t *hdrs = built->headers;
        size_t n = built->nheaders, i, j;
        int seen_id = 0;

        FUZZ_CHECK(n >= 1 && n <= INGEST_ENVELOPE_HEADERS_MAX);
        FUZZ_CHECK(!strcmp(hdrs[0].name, "content-type"));
        FUZZ_CHECK(!strcmp(hdrs[0].value, CB_ENVELOPE_CONTENT_TYPE));
        for (i = 1; i < n; i++) {
                FUZZ_CHECK(hdrs[i].name && hdrs[i].value && starts_with(hdrs[i].name, "ce_"));
                FUZZ_CHECK(strcmp(hdrs[i].name, "ce_data") != 0);
                FUZZ_CHECK(!strcmp(hdrs[i].value, attr(env, hdrs[i].name + 3)));
                for (j = 0; j < i; j++)
                        FUZZ_CHECK(strcmp(hdrs[i].name, hdrs[j].name) != 0);
                if (!strcmp(hdrs[i].name, "ce_id")) {
                        FUZZ_CHECK(!strcmp(hdrs[i].value, built->id));
                        seen_id = 1;
                }
        }
        FUZZ_CHECK(seen_id);
}

/* The envelope of ev, built as ingest builds it, its text checked and parsed back strictly as
 * publish reads it, then checked attribute by attribute and header by header. Caller owns the
 * parsed envelope. */
static json_object *build_envelope(const ingest_close_event_t *ev, json_object *body)
{
        char id[CB_ENVELOPE_ID_MAX], err[512];
        ingest_envelope_t built;
        json_object *env, *data, *raw;
        const char *env_id, *time_s;
        int64_t us;

        /* "-1 when out of memory or an id too long": nothing in a payload may make it fail. */
        FUZZ_CHECK(ingest_envelope_build(&built, INSTANCE_ID, ev, "webhook", NOW_US) == 0);
        FUZZ_CHECK(strlen(built.json) == built.json_len);
        FUZZ_CHECK(is_json_text(built.json));
        FUZZ_CHECK(is_utf8(built.json));
        env = cb_json_parse(built.json, built.json_len, err, sizeof(err));
        FUZZ_CHECK(env != NULL);

        env_id = attr(env, "id");
        FUZZ_CHECK(!strcmp(env_id, built.id));
        FUZZ_CHECK(*env_id && !strchr(env_id, '.') && strlen(env_id) < CB_ENVELOPE_ID_MAX);
        FUZZ_CHECK(ingest_envelope_id(INSTANCE_ID, ev, id, sizeof(id)) == 0 && !strcmp(id, env_id));
        if (!ev->close_id)
                FUZZ_CHECK(strlen(env_id) == 35 && starts_with(env_id, "cb_"));
        FUZZ_CHECK(!strcmp(attr(env, "specversion"), "1.0"));
        FUZZ_CHECK(!strcmp(attr(env, "source"), "/closeio/instances/" INSTANCE_ID));
        FUZZ_CHECK(!strcmp(attr(env, "instanceid"), INSTANCE_ID));
        FUZZ_CHECK(!strcmp(attr(env, "elementkey"), "closeio"));
        FUZZ_CHECK(!strcmp(attr(env, "origin"), "webhook"));
        FUZZ_CHECK(!strcmp(attr(env, "datacontenttype"), "application/json"));
        FUZZ_CHECK(starts_with(attr(env, "type"), "io.close."));
        FUZZ_CHECK(attr(env, "subject")[0] != '\0');
        check_headers(&built, env);
        ingest_envelope_fini(&built);

        /* CloudEvents time is RFC 3339: it must read back, as the event date or now. */
        time_s = attr(env, "time");
        FUZZ_CHECK(cb_time_parse(time_s, &us) == 0);
        FUZZ_CHECK(us == floor_ms(ev->date_us ? ev->date_us : NOW_US));

        FUZZ_CHECK(json_object_object_get_ex(env, "data", &data));
        FUZZ_CHECK(json_object_is_type(data, json_type_object));
        FUZZ_CHECK(!strcmp(attr(data, "eventType"), ev->event_type));
        FUZZ_CHECK(!strcmp(attr(data, "objectType"), ev->object_type));
        FUZZ_CHECK(!strcmp(attr(data, "objectId"), ev->object_id));
        FUZZ_CHECK(!strcmp(attr(data, "date"), time_s));
        FUZZ_CHECK(json_object_object_get_ex(data, "raw", &raw));
        FUZZ_CHECK(json_object_equal(raw, body));
        return env;
}

/* Checks that data, which a parse took, is JSON and UTF-8 by the validators here. */
static void check_taken(const uint8_t *data, size_t size)
{
        char *text;

        FUZZ_CHECK(memchr(data, '\0', size) == NULL); /* JSON text holds no NUL byte */
        text = malloc(size + 1);
        FUZZ_CHECK(text != NULL);
        memcpy(text, data, size);
        text[size] = '\0';
        FUZZ_CHECK(is_json_text(text));
        FUZZ_CHECK(is_utf8(text));
        free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char err[512], id[CB_ENVELOPE_ID_MAX], id2[CB_ENVELOPE_ID_MAX];
        json_object *body, *env = NULL;
        ingest_close_event_t ev, ev2;
        char *text;
        size_t len;
        int parsed;

        /* as ingest reads a payload */
        parsed = ingest_close_parse_webhook((const char *)data, size, &ev, err, sizeof(err));
        FUZZ_CHECK(parsed == 0 || (*err && !ev.doc));
        /* as json-c consumers read the same bytes: they take every payload ingest takes */
        body =
            cb_json_parse_depth((const char *)data, size, CB_JSON_PAYLOAD_DEPTH, err, sizeof(err));
        if (!body) {
                /* NULL with no message only for the literal null. */
                FUZZ_CHECK(*err || is_json_null(data, size));
                FUZZ_CHECK(parsed != 0);
                return 0;
        }
        check_taken(data, size);
        if (parsed != 0)
                goto done;
        FUZZ_CHECK(json_object_is_type(body, json_type_object));
        check_event(&ev, data, size);
        env = build_envelope(&ev, body);

        /* The same event gives the same id however it arrives: here, written out again with
           other white space and escapes (by yyjson: json-c would cut a name at an escaped NUL) */
        text = yyjson_write(
            ev.doc, YYJSON_WRITE_PRETTY | YYJSON_WRITE_ESCAPE_UNICODE | YYJSON_WRITE_ESCAPE_SLASHES,
            &len);
        FUZZ_CHECK(text != NULL);
        FUZZ_CHECK(ingest_close_parse_webhook(text, len, &ev2, err, sizeof(err)) == 0);
        FUZZ_CHECK(ingest_envelope_id(INSTANCE_ID, &ev, id, sizeof(id)) == 0);
        FUZZ_CHECK(ingest_envelope_id(INSTANCE_ID, &ev2, id2, sizeof(id2)) == 0);
        FUZZ_CHECK(!strcmp(id, id2));
        ingest_close_event_fini(&ev2);
        free(text);
done:
        ingest_close_event_fini(&ev);
        json_object_put(env);
        json_object_put(body);
        return 0;
}
