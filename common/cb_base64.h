/* cb_base64: base64 as closebridge meets it: the instance id carried in webhook URLs,
 * /events/closeio/{base64(id)}, and Standard Webhooks secrets. */
#ifndef CB_BASE64_H
#define CB_BASE64_H

#include <stddef.h>

/* Longest base64 text cb_base64_decode takes. */
#define CB_BASE64_DECODE_MAX 1024

/* Decodes b64[0..len) (not NUL-terminated), in the standard or the URL-safe alphabet (even
 * mixed), with its complete padding or none, into out (not NUL-terminated). Returns the
 * decoded length, or -1 when b64 is empty, not base64 (partial padding included), longer than
 * CB_BASE64_DECODE_MAX characters without its padding, or decodes to more than out_size
 * bytes. */
int cb_base64_decode(const char *b64, size_t len, unsigned char *out, size_t out_size);

/* Decodes b64[0..len) into the decimal instance id it carries, written NUL-terminated to out.
 * Accepts the standard alphabet with padding (as Cloud Elements documented: "MjA5MzE=" is
 * "20931"), the URL-safe alphabet, and missing padding. The decoded text must be a positive
 * decimal integer of at most 18 digits without leading zeros.
 * Returns 0, or -1 when b64 is not such an id or out_size is too small. Borrows b64. */
int cb_base64_decode_instance_id(const char *b64, size_t len, char *out, size_t out_size);

/* Encodes the len bytes at in (any bytes: in need not be NUL-terminated) into standard base64
 * with padding, written to out with a terminating NUL; out needs 4 * ((len + 2) / 3) + 1
 * bytes. Returns the encoded length (the NUL not counted), or -1 when out_size is too small.
 * Borrows in. */
int cb_base64_encode(const unsigned char *in, size_t len, char *out, size_t out_size);

#endif
