/* Unit tests of ingest's Close signature check, against the reference's test vector. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "signature.h"

#define KEY  "b9260244ef33625f9b4b26a27db08758cdd39478b852c73f2d33ab042eb8abb4"
#define TS   "1557751596"
#define HASH "e6cf27a55de463dc46d8b5c16d2afe74d766e8f0c9892422c93573521cd377ed"
#define NOW  1557751600

static char body[512];
static size_t body_len;

static int setup(void **state)
{
        FILE *f = fopen(CB_TEST_DATA "/signature_m5.json", "rb");

        (void)state;
        if (!f)
                return -1;
        body_len = fread(body, 1, sizeof(body), f);
        fclose(f);
        return body_len == 230 ? 0 : -1;
}

static int verify(const char *key, const char *hash, const char *ts, const char *b, size_t len,
                  time_t now)
{
        char err[256];

        return ingest_signature_verify(key, hash, ts, b, len, 300, now, err, sizeof(err));
}

static void test_signature_accepts_the_reference_vector(void **state)
{
        (void)state;
        assert_int_equal(verify(KEY, HASH, TS, body, body_len, NOW), 0);
}

static void test_signature_rejects_a_tampered_body(void **state)
{
        char copy[512];

        (void)state;
        memcpy(copy, body, body_len);
        copy[100] ^= 1;
        assert_int_equal(verify(KEY, HASH, TS, copy, body_len, NOW), -1);
        assert_int_equal(verify(KEY, HASH, TS, body, body_len - 1, NOW), -1);
}

static void test_signature_rejects_the_key_used_as_ascii(void **state)
{
        (void)state;
        /* what a receiver that forgets to hex-decode the key computes */
        assert_int_equal(verify(KEY,
                                "59913793034b5fd9c60cdc5599ce5461eb6900e7d8517946eafcf18aaf82568e",
                                TS, body, body_len, NOW),
                         -1);
}

static void test_signature_rejects_stale_or_future_timestamps(void **state)
{
        (void)state;
        assert_int_equal(verify(KEY, HASH, TS, body, body_len, 1557751596 + 301), -1);
        assert_int_equal(verify(KEY, HASH, TS, body, body_len, 1557751596 - 301), -1);
        assert_int_equal(verify(KEY, HASH, TS, body, body_len, 1557751596 + 300), 0);
}

static void test_signature_rejects_missing_or_malformed_headers(void **state)
{
        (void)state;
        assert_int_equal(verify(KEY, NULL, TS, body, body_len, NOW), -1);
        assert_int_equal(verify(KEY, HASH, NULL, body, body_len, NOW), -1);
        assert_int_equal(verify(KEY, "zz", TS, body, body_len, NOW), -1);
        assert_int_equal(verify(KEY, HASH, "15577x", body, body_len, NOW), -1);
        assert_int_equal(verify("not-hex", HASH, TS, body, body_len, NOW), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_signature_accepts_the_reference_vector),
            cmocka_unit_test(test_signature_rejects_a_tampered_body),
            cmocka_unit_test(test_signature_rejects_the_key_used_as_ascii),
            cmocka_unit_test(test_signature_rejects_stale_or_future_timestamps),
            cmocka_unit_test(test_signature_rejects_missing_or_malformed_headers),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
