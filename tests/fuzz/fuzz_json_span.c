/* Fuzz target: cb_json_span, which finds a member's bytes in a JSON text (the elements
 * callback's raw is passed on that way, byte for byte).
 *
 * For every text cb_json_read accepts whose root is an object, each member (and each member of
 * a member that is an object) is looked up by its key: the span must lie inside the text, have
 * no white space around it, and read on its own as a value equal to what yyjson read for that
 * key. Keys with a NUL inside cannot be named by a C string and are skipped. */
#include <string.h>

#include "cb_json.h"
#include "cb_json_span.h"
#include "fuzz.h"

static int nameable(yyjson_val *key)
{
        return strlen(yyjson_get_str(key)) == yyjson_get_len(key);
}

static int is_ws(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The span at path reads as expected. */
static void check(const char *buf, size_t len, yyjson_val *root, const char *const *path,
                  yyjson_val *expected)
{
        const char *p;
        size_t n;
        char err[256];
        yyjson_doc *doc;

        FUZZ_CHECK(cb_json_span(buf, len, root, path, &p, &n) == 0);
        FUZZ_CHECK(p >= buf && n > 0 && p + n <= buf + len);
        FUZZ_CHECK(!is_ws(p[0]) && !is_ws(p[n - 1]));
        doc = cb_json_read(p, n, CB_JSON_MAX_DEPTH, err, sizeof(err));
        FUZZ_CHECK(doc != NULL);
        FUZZ_CHECK(yyjson_equals(yyjson_doc_get_root(doc), expected));
        yyjson_doc_free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *buf = (const char *)data;
        char err[256];
        yyjson_doc *doc = cb_json_read(buf, size, CB_JSON_MAX_DEPTH, err, sizeof(err));
        yyjson_val *root = yyjson_doc_get_root(doc), *k, *v, *k2;
        yyjson_obj_iter it, it2;
        const char *missing[] = {"\x01no such key", NULL}, *p;
        size_t n;

        if (!yyjson_is_obj(root)) {
                yyjson_doc_free(doc);
                return 0;
        }
        if (!yyjson_obj_get(root, missing[0]))
                FUZZ_CHECK(cb_json_span(buf, size, root, missing, &p, &n) == -1);
        yyjson_obj_iter_init(root, &it);
        while ((k = yyjson_obj_iter_next(&it))) {
                const char *path[3] = {yyjson_get_str(k), NULL, NULL};

                if (!nameable(k))
                        continue;
                v = yyjson_obj_get(root, path[0]); /* the first of duplicates */
                check(buf, size, root, path, v);
                if (!yyjson_is_obj(v))
                        continue;
                yyjson_obj_iter_init(v, &it2);
                while ((k2 = yyjson_obj_iter_next(&it2))) {
                        path[1] = yyjson_get_str(k2);
                        if (nameable(k2))
                                check(buf, size, root, path, yyjson_obj_get(v, path[1]));
                }
        }
        yyjson_doc_free(doc);
        return 0;
}
