/* cb_json: strict JSON parsing of bytes that are not NUL-terminated (bodies, Kafka values). */
#ifndef CB_JSON_H
#define CB_JSON_H

#include <stddef.h>
#include <json-c/json.h>
#include <yyjson.h>

/* Nesting depth of whatever closebridge parses: envelopes, instances, Kafka records. */
#define CB_JSON_MAX_DEPTH 32
/* Nesting depth of a payload from outside: the envelope wraps it two levels deeper
 * (envelope -> data -> raw), and must still parse within CB_JSON_MAX_DEPTH. */
#define CB_JSON_PAYLOAD_DEPTH (CB_JSON_MAX_DEPTH - 2)

/* Reads buf[0..len) (not NUL-terminated; left as it is) strictly as RFC 8259 JSON in UTF-8
 * (RFC 3629: no overlong forms, no surrogates, escaped ones paired), nested at most depth levels
 * deep (at most CB_JSON_MAX_DEPTH): one value and nothing after it but white space; no NaN,
 * Infinity, numbers such as "1." or ".5", or numbers too large for a double.
 * Returns a new yyjson document the caller frees with yyjson_doc_free (its strings are
 * NUL-terminated copies, independent of buf), or NULL with errstr saying where it broke. */
yyjson_doc *cb_json_read(const char *buf, size_t len, int depth, char *errstr, size_t errstr_size);

/* 1 when val nests more than max levels deep ([] and {} are one level, a scalar none; max is
 * taken as CB_JSON_MAX_DEPTH when larger), else 0. */
int cb_json_nests_deeper_than(yyjson_val *val, int max);

/* The same JSON as cb_json_read accepts, as a json-c tree (for the code that edits or keeps
 * what it parses: instances, configuration, envelopes in publish).
 * Returns a new object the caller owns (NULL is also returned for the literal null, with
 * errstr empty), or NULL with errstr saying where it broke. */
json_object *cb_json_parse_depth(const char *buf, size_t len, int depth, char *errstr,
                                 size_t errstr_size);

/* cb_json_parse_depth with CB_JSON_MAX_DEPTH. */
json_object *cb_json_parse(const char *buf, size_t len, char *errstr, size_t errstr_size);

/* Bytes cb_json_escape may write for len bytes of text, its NUL aside. */
#define CB_JSON_ESCAPED_MAX(len) (6 * (len))

/* Writes s as the content of a JSON string (without the quotes) into out[0..out_size): '"', '\\'
 * and control characters escaped (\n, \r, \t as such, the others as \u00XX), UTF-8 characters
 * as they are, and a byte that starts no UTF-8 character (RFC 3629) as U+FFFD, so that what it
 * writes is always valid UTF-8. Stops before an escape or a character that does not fit, so it
 * truncates only when out_size is less than CB_JSON_ESCAPED_MAX(strlen(s)) + 1, and never
 * inside a character. NUL-terminates when out_size > 0.
 * Returns the length written. */
size_t cb_json_escape(char *out, size_t out_size, const char *s);

#endif
