/* Unit tests of cb_json_span: a member's bytes in a JSON text, exactly as they are. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "cb_json.h"
#include "cb_json_span.h"

/* The span at path of text as a new string in out (size bytes), or "<none>". */
static const char *span(const char *text, const char *const *path, char *out, size_t size)
{
        char err[128];
        yyjson_doc *doc = cb_json_read(text, strlen(text), CB_JSON_MAX_DEPTH, err, sizeof(err));
        const char *p;
        size_t n;

        assert_non_null(doc);
        if (cb_json_span(text, strlen(text), yyjson_doc_get_root(doc), path, &p, &n))
                snprintf(out, size, "<none>");
        else
                snprintf(out, size, "%.*s", (int)n, p);
        yyjson_doc_free(doc);
        return out;
}

#define PATH(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_a_nested_member_comes_byte_for_byte(void **state)
{
        char out[256];
        const char *env = "{\"id\":\"x\",\"data\":{\"a\":[1,{\"y\":\"}\"}],\"raw\": "
                          "{\"b\" : 1.50 , \"c\":\"\\u00e9\"} }}";

        (void)state;
        /* spacing, number form and escapes as written, none of the white space around */
        assert_string_equal(span(env, PATH("data", "raw"), out, sizeof(out)),
                            "{\"b\" : 1.50 , \"c\":\"\\u00e9\"}");
        assert_string_equal(span(env, PATH("data", "a"), out, sizeof(out)), "[1,{\"y\":\"}\"}]");
        assert_string_equal(span(env, PATH("id"), out, sizeof(out)), "\"x\"");
}

static void test_keys_are_matched_as_yyjson_reads_them(void **state)
{
        char out[64];
        const char *text = "{\"r\\u0061w\": 1e2, \"k\":1, \"k\":2, \"s\":\"x\\\"]}\", \"t\":true}";

        (void)state;
        assert_string_equal(span(text, PATH("raw"), out, sizeof(out)), "1e2"); /* escaped key */
        assert_string_equal(span(text, PATH("k"), out, sizeof(out)), "1");     /* the first */
        assert_string_equal(span(text, PATH("t"), out, sizeof(out)), "true");  /* after "x\"]}" */
}

static void test_what_is_not_there_is_refused(void **state)
{
        char out[64];

        (void)state;
        assert_string_equal(span("{\"a\":1}", PATH("b"), out, sizeof(out)), "<none>");
        assert_string_equal(span("{\"a\":[1]}", PATH("a", "b"), out, sizeof(out)), "<none>");
        assert_string_equal(span("[1,2]", PATH("a"), out, sizeof(out)), "<none>");
        assert_string_equal(span("{\"a\":null}", PATH("a"), out, sizeof(out)), "null");
}

static void test_a_text_other_than_the_one_read_is_refused(void **state)
{
        char err[64];
        const char *read = "{\"x\":1,\"y\":{\"z\":2}}", *other = "{\"x\":1}", *p;
        yyjson_doc *doc = cb_json_read(read, strlen(read), CB_JSON_MAX_DEPTH, err, sizeof(err));
        size_t n;

        (void)state;
        assert_int_equal(
            cb_json_span(other, strlen(other), yyjson_doc_get_root(doc), PATH("y", "z"), &p, &n),
            -1);
        /* cut short inside the member: never read past the end */
        assert_int_equal(cb_json_span(read, 12, yyjson_doc_get_root(doc), PATH("y", "z"), &p, &n),
                         -1);
        yyjson_doc_free(doc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_a_nested_member_comes_byte_for_byte),
            cmocka_unit_test(test_keys_are_matched_as_yyjson_reads_them),
            cmocka_unit_test(test_what_is_not_there_is_refused),
            cmocka_unit_test(test_a_text_other_than_the_one_read_is_refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
