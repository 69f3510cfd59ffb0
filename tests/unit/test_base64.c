/* Unit tests of cb_base64: instance ids in webhook URLs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "cb_base64.h"

static int decode(const char *b64, char *out, size_t size)
{
        return cb_base64_decode_instance_id(b64, strlen(b64), out, size);
}

static void test_base64_decodes_the_seed_example_with_padding(void **state)
{
        char id[32];

        (void)state;
        assert_int_equal(decode("MjA5MzE=", id, sizeof(id)), 0);
        assert_string_equal(id, "20931");
}

static void test_base64_decodes_without_padding(void **state)
{
        char id[32];

        (void)state;
        assert_int_equal(decode("MjA5MzE", id, sizeof(id)), 0);
        assert_string_equal(id, "20931");
        assert_int_equal(decode("MTI", id, sizeof(id)), 0); /* "12", two pad chars missing */
        assert_string_equal(id, "12");
}

static void test_base64_reads_ids_as_url_safe_clients_send_them(void **state)
{
        char id[32];

        (void)state;
        /* Decimal digits never encode to '+' or '/' (their 6-bit groups stay below 58), so what
         * a URL-safe encoder sends differs only in leaving the padding out: that is what is
         * checked here, at the longest id. */
        assert_int_equal(decode("OTk5OTk5OTk5OTk5OTk5OTk5", id, sizeof(id)), 0);
        assert_string_equal(id, "999999999999999999");
        assert_int_equal(decode("MTIzNDU2Nzg5", id, sizeof(id)), 0);
        assert_string_equal(id, "123456789");
}

static void test_base64_rejects_garbage(void **state)
{
        static const char *const bad[] = {
            "",                             /* empty */
            "=",                            /* only padding */
            "MjA5MzE==",                    /* too much padding */
            "Mj=5MzE=",                     /* padding in the middle */
            "MjA5M",                        /* impossible length */
            "MjA5MzE*",                     /* not base64 */
            "bGVhZA==",                     /* "lead": not a number */
            "MDEy",                         /* "012": leading zero */
            "MA==",                         /* "0": not positive */
            "LTE=",                         /* "-1" */
            "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ==", /* 19 digits: too long */
            "MjA5MzE=\n",                   /* trailing newline */
        };
        char id[32];
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                memset(id, 'x', sizeof(id));
                assert_int_equal(decode(bad[i], id, sizeof(id)), -1);
        }
}

static void test_base64_rejects_small_output_buffer(void **state)
{
        char id[5];

        (void)state;
        assert_int_equal(decode("MjA5MzE=", id, sizeof(id)), -1);
}

static void test_base64_encode_round_trips(void **state)
{
        char b64[16], id[32];

        (void)state;
        assert_int_equal(cb_base64_encode((const unsigned char *)"20931", 5, b64, sizeof(b64)), 8);
        assert_string_equal(b64, "MjA5MzE=");
        assert_int_equal(decode(b64, id, sizeof(id)), 0);
        assert_string_equal(id, "20931");
}

static void test_base64_decode_takes_bytes_in_either_alphabet(void **state)
{
        /* 0xfb 0xff 0xbf: "+/+/" standard, "-_-_" URL-safe */
        static const unsigned char bytes[] = {0xfb, 0xff, 0xbf, 0xfb, 0xff};
        unsigned char out[8];
        char long_text[CB_BASE64_DECODE_MAX + 8];

        (void)state;
        assert_int_equal(cb_base64_decode("+/+/+/8=", 8, out, sizeof(out)), 5);
        assert_memory_equal(out, bytes, 5);
        assert_int_equal(cb_base64_decode("-_-_-_8", 7, out, sizeof(out)), 5);
        assert_memory_equal(out, bytes, 5);
        /* too small an output, a lone last character, padding in the middle, not base64 */
        assert_int_equal(cb_base64_decode("+/+/+/8=", 8, out, 4), -1);
        assert_int_equal(cb_base64_decode("+/+/+", 5, out, sizeof(out)), -1);
        assert_int_equal(cb_base64_decode("+/=/+/8=", 8, out, sizeof(out)), -1);
        assert_int_equal(cb_base64_decode("+/+/ /8=", 8, out, sizeof(out)), -1);
        assert_int_equal(cb_base64_decode("", 0, out, sizeof(out)), -1);
        memset(long_text, 'A', sizeof(long_text));
        assert_int_equal(cb_base64_decode(long_text, CB_BASE64_DECODE_MAX + 4, out, sizeof(out)),
                         -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_base64_decodes_the_seed_example_with_padding),
            cmocka_unit_test(test_base64_decodes_without_padding),
            cmocka_unit_test(test_base64_reads_ids_as_url_safe_clients_send_them),
            cmocka_unit_test(test_base64_rejects_garbage),
            cmocka_unit_test(test_base64_decode_takes_bytes_in_either_alphabet),
            cmocka_unit_test(test_base64_rejects_small_output_buffer),
            cmocka_unit_test(test_base64_encode_round_trips),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
