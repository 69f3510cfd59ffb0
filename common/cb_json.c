#include "cb_json.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
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
        if (single_quoted(buf, len)) {
                snprintf(errstr, errstr_size, "malformed JSON: strings take double quotes");
                return NULL;
        }
        tok = json_tokener_new_ex(depth);
        if (!tok) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
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
                else {
                        json_tokener_free(tok);
                        return obj;
                }
        }
        json_object_put(obj);
        json_tokener_free(tok);
        return NULL;
}

json_object *cb_json_parse(const char *buf, size_t len, char *errstr, size_t errstr_size)
{
        return cb_json_parse_depth(buf, len, CB_JSON_MAX_DEPTH, errstr, errstr_size);
}
