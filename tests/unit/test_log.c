/* Unit tests of cb_log: one JSON object per line on stderr, fields included and escaped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "cb_log.h"

/* Runs the logging in fn with stderr captured; returns what was written (static buffer). */
static const char *capture(void (*fn)(void))
{
        static char out[4096];
        FILE *tmp = tmpfile();
        int saved = dup(STDERR_FILENO);
        size_t n;

        assert_non_null(tmp);
        dup2(fileno(tmp), STDERR_FILENO);
        fn();
        dup2(saved, STDERR_FILENO);
        close(saved);
        rewind(tmp);
        n = fread(out, 1, sizeof(out) - 1, tmp);
        out[n] = '\0';
        fclose(tmp);
        return out;
}

static void log_delivery(void)
{
        cb_log_kv(CB_LOG_WARN, CB_KV("envelope", "ev_1", "instance", "20931", "note", "a \"q\"\n"),
                  "dead-lettered: %s", "410 Gone");
}

static void test_log_writes_json_lines_with_fields(void **state)
{
        json_object *line, *v;
        const char *out;

        (void)state;
        assert_int_equal(cb_log_init("publish", "json", "info"), 0);
        out = capture(log_delivery);
        assert_non_null(strchr(out, '\n'));
        assert_null(strchr(strchr(out, '\n') + 1, '\n')); /* one line */
        line = json_tokener_parse(out);
        assert_non_null(line);
        assert_true(json_object_object_get_ex(line, "level", &v));
        assert_string_equal(json_object_get_string(v), "warn");
        assert_true(json_object_object_get_ex(line, "proc", &v));
        assert_string_equal(json_object_get_string(v), "publish");
        assert_true(json_object_object_get_ex(line, "msg", &v));
        assert_string_equal(json_object_get_string(v), "dead-lettered: 410 Gone");
        assert_true(json_object_object_get_ex(line, "instance", &v));
        assert_string_equal(json_object_get_string(v), "20931");
        assert_true(json_object_object_get_ex(line, "note", &v));
        assert_string_equal(json_object_get_string(v), "a \"q\"\n");
        json_object_put(line);
}

static void log_debug(void)
{
        cb_log_debug("not shown at info");
}

static void test_log_drops_lines_below_the_level_and_writes_text_on_request(void **state)
{
        const char *out;

        (void)state;
        assert_int_equal(cb_log_init("ingest", "json", "info"), 0);
        out = capture(log_debug);
        assert_string_equal(out, "");
        assert_int_equal(cb_log_init("ingest", "text", "info"), 0);
        out = capture(log_delivery);
        assert_non_null(strstr(out, "warn  ingest: dead-lettered: 410 Gone envelope=ev_1"));
        assert_int_equal(cb_log_init("ingest", "yaml", "info"), -1);
        assert_int_equal(cb_log_init("ingest", "json", "loud"), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_log_writes_json_lines_with_fields),
            cmocka_unit_test(test_log_drops_lines_below_the_level_and_writes_text_on_request),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
