#include "signature.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_hmac.h"

int ingest_signature_verify(const char *hex_key, const char *hash_hdr, const char *ts_hdr,
                            const char *body, size_t len, long tolerance_s, time_t now,
                            char *errstr, size_t errstr_size)
{
        unsigned char key[128], want[CB_HMAC_SHA256_LEN], got[CB_HMAC_SHA256_LEN];
        const void *parts[2];
        size_t lens[2];
        long long ts;
        char *end;
        int key_len;

        if (!hash_hdr || !ts_hdr) {
                snprintf(errstr, errstr_size,
                         "missing close-sig-hash or close-sig-timestamp header");
                return -1;
        }
        errno = 0;
        ts = strtoll(ts_hdr, &end, 10);
        if (errno || end == ts_hdr || *end) {
                snprintf(errstr, errstr_size, "close-sig-timestamp is not Unix seconds");
                return -1;
        }
        if (ts < (long long)now - tolerance_s || ts > (long long)now + tolerance_s) {
                snprintf(errstr, errstr_size,
                         "close-sig-timestamp is more than %ld s away from now", tolerance_s);
                return -1;
        }
        key_len = cb_hex_decode(hex_key, key, sizeof(key));
        if (key_len <= 0) {
                snprintf(errstr, errstr_size, "the instance's signature key is not hex");
                return -1;
        }
        if (cb_hex_decode(hash_hdr, got, sizeof(got)) != CB_HMAC_SHA256_LEN) {
                snprintf(errstr, errstr_size, "close-sig-hash is not 64 hex digits");
                return -1;
        }
        parts[0] = ts_hdr;
        lens[0] = strlen(ts_hdr);
        parts[1] = body;
        lens[1] = len;
        if (cb_hmac_sha256(key, (size_t)key_len, parts, lens, 2, want)) {
                snprintf(errstr, errstr_size, "cannot compute the signature");
                return -1;
        }
        if (!cb_equal_ct(want, got, sizeof(want))) {
                snprintf(errstr, errstr_size, "close-sig-hash does not match the body");
                return -1;
        }
        return 0;
}
