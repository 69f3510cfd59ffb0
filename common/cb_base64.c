#include "cb_base64.h"

#include <string.h>
#include <openssl/evp.h>

#define ID_MAX_DIGITS 18
/* 18 digits are 24 base64 characters; anything longer cannot be an id. */
#define ID_B64_MAX 24

int cb_base64_decode(const char *b64, size_t len, unsigned char *out, size_t out_size)
{
        unsigned char norm[CB_BASE64_DECODE_MAX + 4], dec[CB_BASE64_DECODE_MAX / 4 * 3 + 3];
        size_t i, pad = 0, data_len;
        int n;

        /* Padding, if any, only at the end and never more than two. */
        while (len > 0 && b64[len - 1] == '=' && pad < 3) {
                len--;
                pad++;
        }
        if (len == 0 || pad > 2 || len > CB_BASE64_DECODE_MAX || len % 4 == 1)
                return -1;
        if (pad && (len + pad) % 4)
                return -1;
        for (i = 0; i < len; i++) {
                char c = b64[i];
                if (c == '-')
                        c = '+';
                else if (c == '_')
                        c = '/';
                else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                           (c >= '0' && c <= '9') || c == '+' || c == '/'))
                        return -1;
                norm[i] = (unsigned char)c;
        }
        pad = (4 - len % 4) % 4;
        for (i = 0; i < pad; i++)
                norm[len + i] = '=';
        norm[len + pad] = '\0';

        n = EVP_DecodeBlock(dec, norm, (int)(len + pad));
        if (n < 0)
                return -1;
        data_len = (size_t)n - pad; /* EVP_DecodeBlock counts padding as zero bytes */
        if (data_len > out_size)
                return -1;
        memcpy(out, dec, data_len);
        return (int)data_len;
}

int cb_base64_decode_instance_id(const char *b64, size_t len, char *out, size_t out_size)
{
        unsigned char dec[ID_MAX_DIGITS];
        size_t i;
        int n;

        n = len <= ID_B64_MAX ? cb_base64_decode(b64, len, dec, sizeof(dec)) : -1;
        if (n <= 0 || (size_t)n + 1 > out_size || dec[0] == '0')
                return -1;
        for (i = 0; i < (size_t)n; i++)
                if (dec[i] < '0' || dec[i] > '9')
                        return -1;
        memcpy(out, dec, (size_t)n);
        out[n] = '\0';
        return 0;
}

int cb_base64_encode(const unsigned char *in, size_t len, char *out, size_t out_size)
{
        if (out_size < 4 * ((len + 2) / 3) + 1)
                return -1;
        return EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}
