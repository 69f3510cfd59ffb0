/* Fuzz target: cb_base64_decode_instance_id, the base64 instance id of webhook URLs
 * (/events/closeio/{base64 id}), and cb_base64_encode, which writes such ids. */
#include <string.h>

#include "cb_base64.h"
#include "fuzz.h"

#define ID_SIZE  32 /* more than the 18 digits + NUL an id can have */
#define B64_SIZE 64

static void check_id(const char *id)
{
        size_t i, len = strlen(id);

        FUZZ_CHECK(len >= 1 && len <= 18);
        FUZZ_CHECK(id[0] != '0');
        for (i = 0; i < len; i++)
                FUZZ_CHECK(id[i] >= '0' && id[i] <= '9');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char id[ID_SIZE], again[ID_SIZE], b64[B64_SIZE], tight[ID_SIZE];
        const char *b64_in = (const char *)data;
        size_t len, i;
        int n;

        /* The URL path segment is not NUL-terminated here, as a length is passed; the input
         * buffer is exactly size bytes, so an over-read is an ASan report. */
        memset(id, 'x', sizeof(id));
        if (cb_base64_decode_instance_id(b64_in, size, id, sizeof(id)))
                return 0;
        check_id(id);
        len = strlen(id);

        /* The smallest buffer the contract allows works; one byte less is refused. */
        FUZZ_CHECK(cb_base64_decode_instance_id(b64_in, size, tight, len + 1) == 0);
        FUZZ_CHECK(!strcmp(tight, id));
        FUZZ_CHECK(cb_base64_decode_instance_id(b64_in, size, tight, len) == -1);

        /* The canonical encoding (standard alphabet, padded) decodes to the same id. */
        n = cb_base64_encode((const unsigned char *)id, len, b64, sizeof(b64));
        FUZZ_CHECK(n > 0 && (size_t)n == strlen(b64) && n % 4 == 0);
        FUZZ_CHECK(cb_base64_decode_instance_id(b64, (size_t)n, again, sizeof(again)) == 0);
        FUZZ_CHECK(!strcmp(again, id));

        /* So does its URL-safe, unpadded form, the other spelling the contract accepts. */
        while (n > 0 && b64[n - 1] == '=')
                n--;
        for (i = 0; i < (size_t)n; i++)
                b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
        FUZZ_CHECK(cb_base64_decode_instance_id(b64, (size_t)n, again, sizeof(again)) == 0);
        FUZZ_CHECK(!strcmp(again, id));
        return 0;
}
