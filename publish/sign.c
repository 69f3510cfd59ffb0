#include "sign.h"

#include <stdio.h>
#include <string.h>

#include "cb_base64.h"
#include "cb_hmac.h"

/* Decodes one secret (text[0..len), "whsec_" optional, padding optional) into key.
 * Returns the key length or -1. */
static int decode_secret(const char *text, size_t len, unsigned char *key, size_t size)
{
        if (len >= 6 && !strncmp(text, "whsec_", 6)) {
                text += 6;
                len -= 6;
        }
        return cb_base64_decode(text, len, key, size);
}

int publish_sign_standard(const char *secrets, const char *msg_id, long long timestamp,
                          const char *body, size_t len, char *out, size_t out_size)
{
        unsigned char key[128], mac[CB_HMAC_SHA256_LEN];
        char ts[24], sig[64];
        const void *parts[5];
        size_t lens[5], used = 0, tlen;
        const char *p = secrets;
        int key_len, n;

        snprintf(ts, sizeof(ts), "%lld", timestamp);
        parts[0] = msg_id;
        lens[0] = strlen(msg_id);
        parts[1] = ".";
        lens[1] = 1;
        parts[2] = ts;
        lens[2] = strlen(ts);
        parts[3] = ".";
        lens[3] = 1;
        parts[4] = body;
        lens[4] = len;
        if (out_size)
                out[0] = '\0';
        for (;;) {
                p += strspn(p, " ");
                if (!*p)
                        break;
                tlen = strcspn(p, " ");
                key_len = decode_secret(p, tlen, key, sizeof(key));
                if (key_len <= 0 || cb_hmac_sha256(key, (size_t)key_len, parts, lens, 5, mac) ||
                    cb_base64_encode(mac, sizeof(mac), sig, sizeof(sig)) < 0)
                        return -1;
                n = snprintf(out + used, out_size - used, "%sv1,%s", used ? " " : "", sig);
                if (n < 0 || (size_t)n >= out_size - used)
                        return -1;
                used += (size_t)n;
                p += tlen;
        }
        return used ? 0 : -1;
}

int publish_sign_elements(const char *key, const char *body, size_t len, char *out, size_t out_size)
{
        unsigned char mac[CB_HMAC_SHA256_LEN];
        const void *parts[1] = {body};
        size_t lens[1] = {len};
        char sig[64];
        int n;

        if (cb_hmac_sha256(key, strlen(key), parts, lens, 1, mac) ||
            cb_base64_encode(mac, sizeof(mac), sig, sizeof(sig)) < 0)
                return -1;
        n = snprintf(out, out_size, "sha256=%s", sig);
        return n > 0 && (size_t)n < out_size ? 0 : -1;
}
