#include "cb_json.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

json_object *cb_json_parse(const char *buf, size_t len, char *errstr, size_t errstr_size)
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
        tok = json_tokener_new();
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
                if (end == len) {
                        json_tokener_free(tok);
                        return obj;
                }
                snprintf(errstr, errstr_size, "malformed JSON: data after the value at byte %zu",
                         end);
        }
        json_object_put(obj);
        json_tokener_free(tok);
        return NULL;
}
