#include "cb_json_span.h"

#include <string.h>

/* The scanner below trusts what it reads to be well formed (cb_json_read said so) and checks
 * only that it stays inside [p, end): a text that is not the one read ends in -1, not past it. */

static const char *skip_ws(const char *p, const char *end)
{
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
                p++;
        return p;
}

/* p at a '"': just past the closing one, or NULL. A quote closes the string when an even number
 * of backslashes comes before it; memchr finds the quotes (most of a JSON text is strings). */
static const char *skip_string(const char *p, const char *end)
{
        const char *q = p + 1, *b;

        while (q < end && (q = memchr(q, '"', (size_t)(end - q)))) {
                for (b = q; b > p + 1 && b[-1] == '\\'; b--)
                        ;
                if (((q - b) & 1) == 0)
                        return q + 1;
                q++;
        }
        return NULL;
}

/* p at a value: just past it, or NULL. Containers are skipped by counting brackets, strings
 * (where brackets mean nothing) as a whole. */
static const char *skip_value(const char *p, const char *end)
{
        size_t depth = 0;

        while (p && p < end) {
                switch (*p) {
                case '"':
                        p = skip_string(p, end);
                        break;
                case '{':
                case '[':
                        depth++;
                        p++;
                        break;
                case '}':
                case ']':
                        if (!depth)
                                return NULL;
                        depth--;
                        p++;
                        break;
                default:
                        if (!depth) { /* a scalar: up to what ends it */
                                while (p < end && !strchr(",}] \t\r\n", *p))
                                        p++;
                                return p;
                        }
                        p++;
                }
                if (!depth)
                        return p;
        }
        return NULL;
}

/* p at a '{': the start of the value of its member number index (0 first), or NULL. */
static const char *member_value(const char *p, const char *end, size_t index)
{
        size_t i;

        for (i = 0;; i++) {
                p = skip_ws(p + 1, end); /* past '{' or ',' */
                if (p >= end || *p != '"' || !(p = skip_string(p, end)))
                        return NULL;
                p = skip_ws(p, end);
                if (p >= end || *p != ':')
                        return NULL;
                p = skip_ws(p + 1, end);
                if (i == index)
                        return p < end ? p : NULL;
                if (!(p = skip_value(p, end)))
                        return NULL;
                p = skip_ws(p, end);
                if (p >= end || *p != ',')
                        return NULL;
        }
}

/* The position of key's first member in obj (what yyjson_obj_get finds), or -1. */
static long member_index(yyjson_val *obj, const char *key)
{
        yyjson_obj_iter it;
        yyjson_val *k;
        long i = 0;

        yyjson_obj_iter_init(obj, &it);
        for (; (k = yyjson_obj_iter_next(&it)); i++)
                if (yyjson_equals_str(k, key))
                        return i;
        return -1;
}

int cb_json_span(const char *buf, size_t len, yyjson_val *root, const char *const *path,
                 const char **out, size_t *out_len)
{
        const char *end = buf + len, *p = skip_ws(buf, end), *after;
        yyjson_val *val = root;
        long index;

        for (; *path; path++) {
                if (!yyjson_is_obj(val) || p >= end || *p != '{' ||
                    (index = member_index(val, *path)) < 0 ||
                    !(p = member_value(p, end, (size_t)index)))
                        return -1;
                val = yyjson_obj_get(val, *path);
        }
        if (!(after = skip_value(p, end)) || after == p)
                return -1;
        *out = p;
        *out_len = (size_t)(after - p);
        return 0;
}
