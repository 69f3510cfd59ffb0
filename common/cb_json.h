/* cb_json: strict JSON parsing of bytes that are not NUL-terminated (bodies, Kafka values). */
#ifndef CB_JSON_H
#define CB_JSON_H

#include <stddef.h>
#include <json-c/json.h>

/* Parses buf[0..len) strictly (RFC 8259): one JSON value and nothing after it but white space.
 * Returns a new object the caller owns (NULL is also returned for the literal null, with
 * errstr empty), or NULL with errstr saying where it broke. */
json_object *cb_json_parse(const char *buf, size_t len, char *errstr, size_t errstr_size);

#endif
