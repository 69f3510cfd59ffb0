/* ingest signature: Close's webhook signature (docs/sources.md §2).
 *
 * close-sig-hash = lower-case hex of HMAC-SHA256(key, close-sig-timestamp + raw body), where
 * key is the subscription's signature_key hex-decoded (not its ASCII bytes). */
#ifndef INGEST_SIGNATURE_H
#define INGEST_SIGNATURE_H

#include <stddef.h>
#include <time.h>

/* Checks a webhook's signature headers (hash_hdr, ts_hdr: NULL when absent) against hex_key
 * and the raw body. The timestamp must be within tolerance_s of now, either way.
 * Returns 0 when valid, or -1 with a message for the client in errstr. Compares in constant
 * time. Borrows everything. */
int ingest_signature_verify(const char *hex_key, const char *hash_hdr, const char *ts_hdr,
                            const char *body, size_t len, long tolerance_s, time_t now,
                            char *errstr, size_t errstr_size);

#endif
