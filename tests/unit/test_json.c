/* Unit tests of cb_json: strict RFC 8259 parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "cb_json.h"

static json_object *parse(const char *text, char *err, size_t size)
{
        return cb_json_parse(text, strlen(text), err, size);
}

static void test_json_accepts_what_rfc_8259_allows(void **state)
{
        static const char *const ok[] = {
            "{}", " [1, -0.5, 2e10, 1E-3, true, null] ",
            "{\"a\": {\"b\": \"\\u00e9\\ud83d\\ude00 caf\xc3\xa9\"}}",
            "[\"\xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xef\xbf\xbf\"]", "\"x\"\n"};
        char err[256];
        json_object *obj;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                obj = parse(ok[i], err, sizeof(err));
                assert_non_null(obj);
                json_object_put(obj);
        }
}

static void test_json_rejects_what_json_c_would_let_through(void **state)
{
        static const char *const bad[] = {
            "{\"a\": NaN}", "{\"a\": Infinity}", "{\"a\": -Infinity}", "[1.]", "[-.5]", "[1.e5]",
            "[01]", "{\"a\": \"\xff\"}",
            /* past the first 8 bytes, and after the last 8 */
            "{\"abcdefgh\": \"\xc3\"}", "{\"abcdefghijklmno\": \"x\xed\xa0\x80\"}",
            /* overlong, past U+10FFFF (json-c takes both) */
            "{\"a\": \"\xc0\x80\"}", "{\"a\": \"\xf4\x90\x80\x80\"}", "{'a': 1}", "{\"a\": 1,}",
            "{\"a\": 1} x", "{\"a\":", "[1] [2]",
            /* escaped surrogates unpaired, a number past a double's range */
            "[\"\\ud800\"]", "[\"\\udc00 \"]", "[1e400]"};
        char err[256];
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err[0] = '\0';
                assert_null(parse(bad[i], err, sizeof(err)));
                assert_true(err[0] != '\0');
        }
}

static void test_json_payload_depth_leaves_room_for_the_envelope(void **state)
{
        char deep[128], err[256];
        json_object *obj;
        int i;

        (void)state;
        /* CB_JSON_PAYLOAD_DEPTH levels are fine; one more is not */
        for (i = 0; i < CB_JSON_PAYLOAD_DEPTH; i++)
                deep[i] = '[';
        for (i = 0; i < CB_JSON_PAYLOAD_DEPTH; i++)
                deep[CB_JSON_PAYLOAD_DEPTH + i] = ']';
        deep[2 * CB_JSON_PAYLOAD_DEPTH] = '\0';
        obj = cb_json_parse_depth(deep, strlen(deep), CB_JSON_PAYLOAD_DEPTH, err, sizeof(err));
        assert_non_null(obj);
        json_object_put(obj);
        memmove(deep + 1, deep, strlen(deep) + 1);
        deep[0] = '[';
        strcat(deep, "]");
        assert_null(
            cb_json_parse_depth(deep, strlen(deep), CB_JSON_PAYLOAD_DEPTH, err, sizeof(err)));
        obj = cb_json_parse(deep, strlen(deep), err, sizeof(err));
        assert_non_null(obj);
        json_object_put(obj);
        /* a value inside the innermost container is no level more (json-c counts it as one:
           fuzz_webhook found a webhook taken at 30 levels whose envelope json-c refused) */
        for (i = 0; i < CB_JSON_PAYLOAD_DEPTH; i++)
                deep[i] = '[';
        deep[i++] = '9';
        for (; i < 2 * CB_JSON_PAYLOAD_DEPTH + 1; i++)
                deep[i] = ']';
        deep[i] = '\0';
        obj = cb_json_parse_depth(deep, strlen(deep), CB_JSON_PAYLOAD_DEPTH, err, sizeof(err));
        assert_non_null(obj);
        json_object_put(obj);
}

static void test_json_escape_writes_what_a_parser_reads_back(void **state)
{
        const char *text = "a\"b\\c/\n\r\t\x01\x1f\xc3\xa9";
        char out[CB_JSON_ESCAPED_MAX(16) + 3], err[128];
        json_object *back;
        size_t n;

        (void)state;
        out[0] = '"';
        n = cb_json_escape(out + 1, sizeof(out) - 2, text);
        assert_string_equal(out + 1, "a\\\"b\\\\c/\\n\\r\\t\\u0001\\u001f\xc3\xa9");
        out[n + 1] = '"';
        back = cb_json_parse(out, n + 2, err, sizeof(err));
        assert_non_null(back);
        assert_string_equal(json_object_get_string(back), text);
        json_object_put(back);
}

static void test_json_escape_truncates_between_escapes(void **state)
{
        char out[8];

        (void)state;
        /* 'a' and '"' escaped take 3 bytes; the next escape (6) does not fit in the 4 left */
        assert_int_equal(cb_json_escape(out, sizeof(out), "a\"\x01zz"), 3);
        assert_string_equal(out, "a\\\"");
        assert_int_equal(cb_json_escape(out, 1, "abc"), 0);
        assert_string_equal(out, "");
        assert_int_equal(cb_json_escape(out, sizeof(out), "abcdefghij"), 7);
        assert_string_equal(out, "abcdefg");
}

static void test_json_escape_writes_only_valid_utf8(void **state)
{
        char out[32];

        (void)state;
        /* a stray continuation byte, an overlong form and a surrogate: each byte becomes U+FFFD */
        assert_int_equal(cb_json_escape(out, sizeof(out), "a\x80\xc0\xaf\xed\xa0\x80z"), 20);
        assert_string_equal(out, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                                 "\xef\xbf\xbdz");
        /* a character that does not fit whole is left out, not cut */
        assert_int_equal(cb_json_escape(out, 4, "ab\xc3\xa9"), 2);
        assert_string_equal(out, "ab");
        assert_int_equal(cb_json_escape(out, 5, "ab\xe2\x82\xac"), 2);
        assert_int_equal(cb_json_escape(out, 6, "ab\xe2\x82\xac"), 5);
        assert_string_equal(out, "ab\xe2\x82\xac");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_json_accepts_what_rfc_8259_allows),
            cmocka_unit_test(test_json_rejects_what_json_c_would_let_through),
            cmocka_unit_test(test_json_payload_depth_leaves_room_for_the_envelope),
            cmocka_unit_test(test_json_escape_writes_what_a_parser_reads_back),
            cmocka_unit_test(test_json_escape_truncates_between_escapes),
            cmocka_unit_test(test_json_escape_writes_only_valid_utf8),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
