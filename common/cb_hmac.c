#include "cb_hmac.h"

#include <pthread.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

static EVP_MAC *hmac;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

/* OpenSSL 3 looks algorithms up by name on every fetch: once is enough. */
static void fetch_hmac(void)
{
        hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

int cb_hmac_sha256(const void *key, size_t key_len, const void *const *parts, const size_t *lens,
                   size_t n, unsigned char out[CB_HMAC_SHA256_LEN])
{
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                               OSSL_PARAM_construct_end()};
        EVP_MAC_CTX *ctx;
        size_t out_len = 0, i;
        int ret = -1;

        pthread_once(&hmac_once, fetch_hmac);
        ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
        /* An empty key is valid HMAC; OpenSSL wants a non-NULL pointer for it. */
        if (!ctx || !EVP_MAC_init(ctx, key_len ? key : (const void *)"", key_len, params))
                goto done;
        for (i = 0; i < n; i++)
                if (lens[i] && !EVP_MAC_update(ctx, parts[i], lens[i]))
                        goto done;
        if (EVP_MAC_final(ctx, out, &out_len, CB_HMAC_SHA256_LEN) && out_len == CB_HMAC_SHA256_LEN)
                ret = 0;
done:
        EVP_MAC_CTX_free(ctx);
        return ret;
}

int cb_hex_decode(const char *hex, unsigned char *out, size_t out_size)
{
        size_t len = strlen(hex), i;
        int hi, lo;

        if (len % 2 || len / 2 > out_size)
                return -1;
        for (i = 0; i < len / 2; i++) {
                hi = OPENSSL_hexchar2int((unsigned char)hex[2 * i]);
                lo = OPENSSL_hexchar2int((unsigned char)hex[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return -1;
                out[i] = (unsigned char)(hi << 4 | lo);
        }
        return (int)(len / 2);
}

void cb_hex_encode(const unsigned char *in, size_t len, char *out)
{
        static const char digits[] = "0123456789abcdef";
        size_t i;

        for (i = 0; i < len; i++) {
                out[2 * i] = digits[in[i] >> 4];
                out[2 * i + 1] = digits[in[i] & 15];
        }
        out[2 * len] = '\0';
}

int cb_equal_ct(const void *a, const void *b, size_t len)
{
        return CRYPTO_memcmp(a, b, len) == 0;
}
