#include "cb_json.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Walks with a stack of max iterators rather than recursing: a body can nest far deeper than a
 * thread stack allows. */
int cb_json_nests_deeper_than(yyjson_val *val, int max)
{
        struct frame {
                int is_obj;
                union {
                        yyjson_arr_iter arr;
                        yyjson_obj_iter obj;
                } it;
        } stack[CB_JSON_MAX_DEPTH];
        yyjson_val *key;
        int top = -1;

        if (max > CB_JSON_MAX_DEPTH)
                max = CB_JSON_MAX_DEPTH;
        while (val) {
                if (yyjson_is_ctn(val)) {
                        if (++top >= max)
                                return 1;
                        stack[top].is_obj = yyjson_is_obj(val);
                        if (stack[top].is_obj)
                                yyjson_obj_iter_init(val, &stack[top].it.obj);
                        else
                                yyjson_arr_iter_init(val, &stack[top].it.arr);
                }
                /* the next value, from the innermost container with any left */
                val = NULL;
                while (!val && top >= 0) {
                        if (stack[top].is_obj) {
                                key = yyjson_obj_iter_next(&stack[top].it.obj);
                                val = key ? yyjson_obj_iter_get_val(key) : NULL;
                        } else {
                                val = yyjson_arr_iter_next(&stack[top].it.arr);
                        }
                        if (!val)
                                top--;
                }
        }
        return 0;
}

yyjson_doc *cb_json_read(const char *buf, size_t len, int depth, char *errstr, size_t errstr_size)
{
        yyjson_read_err err;
        yyjson_doc *doc;

        errstr[0] = '\0';
        /* without YYJSON_READ_INSITU yyjson copies buf and never writes to it */
        doc = yyjson_read_opts((char *)buf, len, 0, NULL, &err);
        if (!doc) {
                if (err.code == YYJSON_READ_ERROR_MEMORY_ALLOCATION)
                        snprintf(errstr, errstr_size, "out of memory");
                else
                        snprintf(errstr, errstr_size, "malformed JSON at byte %zu: %s", err.pos,
                                 err.msg);
                return NULL;
        }
        if (cb_json_nests_deeper_than(yyjson_doc_get_root(doc), depth)) {
                snprintf(errstr, errstr_size, "malformed JSON: nested more than %d levels deep",
                         depth < CB_JSON_MAX_DEPTH ? depth : CB_JSON_MAX_DEPTH);
                yyjson_doc_free(doc);
                return NULL;
        }
        return doc;
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
                /* json-c takes depth - 1 levels of containers: one more keeps it to what
                   cb_json_read took (a webhook 30 deep was accepted, and its envelope, 32 deep,
                   then refused by every json-c reader: found by fuzz_webhook) */
                t->tok = json_tokener_new_ex(depth + 1);
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
        json_object *obj;
        yyjson_doc *doc;

        /* yyjson decides what is JSON (json-c 0.16 takes NaN, 1., 'text', overlong UTF-8 and
           more even in strict mode); json-c then builds its tree from text known to be good */
        doc = cb_json_read(buf, len, depth, errstr, errstr_size);
        if (!doc)
                return NULL;
        yyjson_doc_free(doc);
        if (len > INT_MAX) {
                snprintf(errstr, errstr_size, "JSON text too large");
                return NULL;
        }
        tok = thread_tokener(depth);
        if (!tok) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        obj = json_tokener_parse_ex(tok, buf, (int)len);
        if (json_tokener_get_error(tok) != json_tokener_success) {
                /* only out of memory is left for json-c to fail on */
                snprintf(errstr, errstr_size, "JSON text not read: %s",
                         json_tokener_error_desc(json_tokener_get_error(tok)));
                json_object_put(obj);
                return NULL;
        }
        return obj;
}

json_object *cb_json_parse(const char *buf, size_t len, char *errstr, size_t errstr_size)
{
        return cb_json_parse_depth(buf, len, CB_JSON_MAX_DEPTH, errstr, errstr_size);
}

/* Length of the UTF-8 character (RFC 3629) at s, or 0 when s does not start one. */
static size_t utf8_len(const unsigned char *s)
{
        unsigned char lo = 0x80, hi = 0xbf;
        size_t len, i;

        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                len = 2;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                len = 3, lo = s[0] == 0xe0 ? 0xa0 : 0x80, hi = s[0] == 0xed ? 0x9f : 0xbf;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                len = 4, lo = s[0] == 0xf0 ? 0x90 : 0x80, hi = s[0] == 0xf4 ? 0x8f : 0xbf;
        else
                return 0;
        for (i = 1; i < len; i++, lo = 0x80, hi = 0xbf)
                if (s[i] < lo || s[i] > hi) /* also the NUL at the end */
                        return 0;
        return len;
}

size_t cb_json_escape(char *out, size_t out_size, const char *s)
{
        static const char hex[] = "0123456789abcdef";
        size_t n = 0;

        if (!out_size)
                return 0;
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;

                if (c >= 0x80) {
                        /* whole characters only; a byte that starts none becomes U+FFFD */
                        size_t len = utf8_len((const unsigned char *)s), wlen = len ? len : 3;

                        if (n + wlen >= out_size)
                                break;
                        memcpy(out + n, len ? s : "\xef\xbf\xbd", wlen);
                        n += wlen;
                        if (len)
                                s += len - 1;
                } else if (c >= 0x20 && c != '"' && c != '\\') {
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
