/* cb_base64: the instance id carried in webhook URLs, /events/closeio/{base64(id)}. */
#ifndef CB_BASE64_H
#define CB_BASE64_H

#include <stddef.h>

/* Decodes b64[0..len) into the decimal instance id it carries, written NUL-terminated to out.
 * Accepts the standard alphabet with padding (as Cloud Elements documented: "MjA5MzE=" is
 * "20931"), the URL-safe alphabet, and missing padding. The decoded text must be a positive
 * decimal integer of at most 18 digits without leading zeros.
 * Returns 0, or -1 when b64 is not such an id or out_size is too small. Borrows b64. */
int cb_base64_decode_instance_id(const char *b64, size_t len, char *out, size_t out_size);

/* Encodes the NUL-terminated text into standard base64 with padding, into out.
 * Returns the encoded length, or -1 when out_size is too small. */
int cb_base64_encode(const unsigned char *in, size_t len, char *out, size_t out_size);

#endif
