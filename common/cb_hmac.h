/* cb_hmac: HMAC-SHA256 and hex, from OpenSSL's libcrypto (nothing hand-written). */
#ifndef CB_HMAC_H
#define CB_HMAC_H

#include <stddef.h>

#define CB_HMAC_SHA256_LEN 32

/* HMAC-SHA256 with key over the concatenation of parts[i][0..lens[i]) for i < n, into out.
 * Returns 0, or -1 when libcrypto fails. Borrows everything. */
int cb_hmac_sha256(const void *key, size_t key_len, const void *const *parts, const size_t *lens,
                   size_t n, unsigned char out[CB_HMAC_SHA256_LEN]);

/* Decodes the hex string into out. Returns the byte count, or -1 when hex is not an even-length
 * string of hex digits or does not fit out_size. */
int cb_hex_decode(const char *hex, unsigned char *out, size_t out_size);

/* Writes len bytes as lower-case hex plus NUL into out (2 * len + 1 bytes). */
void cb_hex_encode(const unsigned char *in, size_t len, char *out);

/* 1 when a[0..len) equals b[0..len), compared in constant time, else 0. */
int cb_equal_ct(const void *a, const void *b, size_t len);

#endif
