#include "cb_json.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 when s is an RFC 8259 number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int json_number_text(const char *s)
{
        if (*s == '-')
                s++;
        if (*s == '0')
                s++;
        else if (*s >= '1' && *s <= '9')
                while (*s >= '0' && *s <= '9')
                        s++;
        else
                return 0;
        if (*s == '.') {
                if (*++s < '0' || *s > '9')
                        return 0;
                while (*s >= '0' && *s <= '9')
                        s++;
        }
        if (*s == 'e' || *s == 'E') {
                if (*++s == '+' || *s == '-')
                        s++;
                if (*s < '0' || *s > '9')
                        return 0;
                while (*s >= '0' && *s <= '9')
                        s++;
        }
        return *s == '\0';
}

/* 1 when every number in obj is one JSON allows. json-c keeps a parsed double's text and
 * writes it back as it came, so the text is what is checked. Recursion is bounded by the
 * parse depth. */
static int numbers_valid(json_object *obj)
{
        size_t i, n;

        switch (json_object_get_type(obj)) {
        case json_type_double:
                return isfinite(json_object_get_double(obj)) &&
                       json_number_text(json_object_to_json_string(obj));
        case json_type_array:
                n = json_object_array_length(obj);
                for (i = 0; i < n; i++)
                        if (!numbers_valid(json_object_array_get_idx(obj, i)))
                                return 0;
                return 1;
        case json_type_object: {
                json_object_object_foreach(obj, key, val)
                {
                        (void)key;
                        if (!numbers_valid(val))
                                return 0;
                }
                return 1;
        }
        default:
                return 1;
        }
}

/* 1 when buf holds a single quote outside a double-quoted string: json-c 0.16 takes 'text' as a
 * string even in strict mode (later versions refuse it). */
static int single_quoted(const char *buf, size_t len)
{
        int in_string = 0;
        size_t i;

        if (!memchr(buf, '\'', len))
                return 0; /* the usual case, found at memchr's speed */
        for (i = 0; i < len; i++) {
                if (in_string) {
                        if (buf[i] == '\\')
                                i++;
                        else if (buf[i] == '"')
                                in_string = 0;
                } else if (buf[i] == '"') {
                        in_string = 1;
                } else if (buf[i] == '\'') {
                        return 1;
                }
        }
        return 0;
}

/* 1 when buf has no byte above 0x7f (then it is UTF-8). Eight bytes at a time: the usual
 * payload is ASCII, and this is all the UTF-8 check it needs. */
static int ascii_only(const char *buf, size_t len)
{
        uint64_t word, any = 0;
        size_t i = 0;

        for (; i + 8 <= len; i += 8) {
                memcpy(&word, buf + i, 8);
                any |= word;
        }
        for (; i < len; i++)
                any |= (unsigned char)buf[i];
        return !(any & 0x8080808080808080ULL);
}

/* Where buf[0..len) stops being UTF-8 as RFC 3629 defines it (no overlong forms, no
 * surrogates, nothing past U+10FFFF), or len. json-c's JSON_TOKENER_VALIDATE_UTF8 lets all
 * three through, and JSON text must be UTF-8 (RFC 8259 §8.1). */
static size_t utf8_invalid_at(const char *buf, size_t len)
{
        const unsigned char *s = (const unsigned char *)buf;
        size_t i = 0, n, k;
        uint32_t cp, min;

        while (i < len) {
                if (s[i] < 0x80) {
                        i++;
                        continue;
                }
                if (s[i] >= 0xc2 && s[i] <= 0xdf) {
                        n = 1, cp = s[i] & 0x1f, min = 0x80;
                } else if ((s[i] & 0xf0) == 0xe0) {
                        n = 2, cp = s[i] & 0x0f, min = 0x800;
                } else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
                        n = 3, cp = s[i] & 0x07, min = 0x10000;
                } else {
                        return i;
                }
                if (len - i <= n)
                        return i;
                for (k = 1; k <= n; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return i;
                        cp = cp << 6 | (s[i + k] & 0x3f);
                }
                if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return i;
                i += n + 1;
        }
        return len;
}

/* Each thread keeps one tokener, of the depth it last parsed at: a parse then allocates only
 * the objects it makes. Freed when the thread ends. */
typedef struct thread_tokener {
        json_tokener *tok;
        int depth;
} thread_tokener_t;

static pthread_key_t tok_key;
static pthread_once_t tok_once = PTHREAD_ONCE_INIT;
static int tok_key_ok;

static void thread_tokener_free(void *arg)
{
        thread_tokener_t *t = arg;

        json_tokener_free(t->tok);
        free(t);
}

static void tok_key_init(void)
{
        tok_key_ok = !pthread_key_create(&tok_key, thread_tokener_free);
}

/* This thread's tokener for depth, reset, or NULL when out of memory. Borrowed. */
static json_tokener *thread_tokener(int depth)
{
        thread_tokener_t *t;

        pthread_once(&tok_once, tok_key_init);
        if (!tok_key_ok)
                return NULL;
        t = pthread_getspecific(tok_key);
        if (!t) {
                t = calloc(1, sizeof(*t));
                if (!t || pthread_setspecific(tok_key, t)) {
                        free(t);
                        return NULL;
                }
        }
        if (t->tok && t->depth != depth) {
                json_tokener_free(t->tok);
                t->tok = NULL;
        }
        if (!t->tok) {
                t->tok = json_tokener_new_ex(depth);
                t->depth = depth;
                return t->tok;
        }
        json_tokener_reset(t->tok);
        return t->tok;
}

json_object *cb_json_parse_depth(const char *buf, size_t len, int depth, char *errstr,
                                 size_t errstr_size)
{
        json_tokener *tok;
        json_object *obj = NULL;
        enum json_tokener_error jerr;
        size_t end;

        errstr[0] = '\0';
        if (len > INT_MAX) {
                snprintf(errstr, errstr_size, "JSON text too large");
                return NULL;
        }
        if (!ascii_only(buf, len) && (end = utf8_invalid_at(buf, len)) != len) {
                snprintf(errstr, errstr_size, "malformed JSON at byte %zu: not UTF-8", end);
                return NULL;
        }
        if (single_quoted(buf, len)) {
                snprintf(errstr, errstr_size, "malformed JSON: strings take double quotes");
                return NULL;
        }
        tok = thread_tokener(depth);
        if (!tok) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        obj = json_tokener_parse_ex(tok, buf, (int)len);
        jerr = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        if (jerr == json_tokener_continue) {
                snprintf(errstr, errstr_size, "malformed JSON: the text ends too early");
        } else if (jerr != json_tokener_success) {
                snprintf(errstr, errstr_size, "malformed JSON at byte %zu: %s", end,
                         json_tokener_error_desc(jerr));
        } else {
                while (end < len && memchr(" \t\r\n", buf[end], 4))
                        end++;
                if (end != len)
                        snprintf(errstr, errstr_size,
                                 "malformed JSON: data after the value at byte %zu", end);
                else if (!numbers_valid(obj))
                        snprintf(errstr, errstr_size,
                                 "malformed JSON: a number JSON does not allow (NaN, Infinity, "
                                 "1., .5)");
                else
                        return obj;
        }
        json_object_put(obj);
        return NULL;
}

json_object *cb_json_parse(const char *buf, size_t len, char *errstr, size_t errstr_size)
{
        return cb_json_parse_depth(buf, len, CB_JSON_MAX_DEPTH, errstr, errstr_size);
}

size_t cb_json_escape(char *out, size_t out_size, const char *s)
{
        static const char hex[] = "0123456789abcdef";
        size_t n = 0;

        if (!out_size)
                return 0;
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c >= 0x20 && c != '"' && c != '\\') {
                        if (n + 1 >= out_size)
                                break;
                        out[n++] = (char)c;
                } else if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t') {
                        if (n + 2 >= out_size)
                                break;
                        out[n++] = '\\';
                        out[n++] = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : (char)c;
                } else {
                        if (n + 6 >= out_size)
                                break;
                        memcpy(out + n, "\\u00", 4);
                        out[n + 4] = hex[c >> 4];
                        out[n + 5] = hex[c & 15];
                        n += 6;
                }
        }
        out[n] = '\0';
        return n;
}
