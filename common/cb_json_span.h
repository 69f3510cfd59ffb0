/* cb_json_span: where a value of a JSON text is, byte for byte, so that it can be passed on
 * exactly as it came (the elements callback's raw: Close's payload as Close sent it, not as a
 * JSON library writes it again).
 *
 * It reads only texts that cb_json_read accepted, with that reading: yyjson says which member a
 * key names (escapes decoded, the first of duplicate keys, as yyjson_obj_get), and a small
 * scanner finds that member's bytes by its position. No state; any thread. */
#ifndef CB_JSON_SPAN_H
#define CB_JSON_SPAN_H

#include <stddef.h>
#include <yyjson.h>

/* For buf[0..len), a text that cb_json_read accepted and root its reading's root: finds the
 * value at member path[0] of root, member path[1] of that, ... (path ends with NULL) and writes
 * where its bytes start in buf to *out, and how many there are to *out_len (white space around
 * the value excluded). Returns 0, or -1 when a member of path is missing, something on the way
 * is not an object, or buf is not what root was read from. */
int cb_json_span(const char *buf, size_t len, yyjson_val *root, const char *const *path,
                 const char **out, size_t *out_len);

#endif
