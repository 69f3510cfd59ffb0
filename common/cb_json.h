/* cb_json: strict JSON parsing of bytes that are not NUL-terminated (bodies, Kafka values). */
#ifndef CB_JSON_H
#define CB_JSON_H

#include <stddef.h>
#include <json-c/json.h>

/* Nesting depth of whatever closebridge parses: envelopes, instances, Kafka records. */
#define CB_JSON_MAX_DEPTH 32
/* Nesting depth of a payload from outside: the envelope wraps it two levels deeper
 * (envelope -> data -> raw), and must still parse within CB_JSON_MAX_DEPTH. */
#define CB_JSON_PAYLOAD_DEPTH (CB_JSON_MAX_DEPTH - 2)

/* Parses buf[0..len) strictly as RFC 8259 JSON in UTF-8, nested at most depth deep: one value
 * and nothing after it but white space; no NaN, Infinity or numbers such as "1." or ".5",
 * which json-c would take and write back out as they came.
 * Returns a new object the caller owns (NULL is also returned for the literal null, with
 * errstr empty), or NULL with errstr saying where it broke. */
json_object *cb_json_parse_depth(const char *buf, size_t len, int depth, char *errstr,
                                 size_t errstr_size);

/* cb_json_parse_depth with CB_JSON_MAX_DEPTH. */
json_object *cb_json_parse(const char *buf, size_t len, char *errstr, size_t errstr_size);

#endif
