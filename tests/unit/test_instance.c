/* Unit tests of cb_instance: the instance JSON of the seed document. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "cb_instance.h"

static cb_instance_t *make(const char *id, const char *json, char *err, size_t size)
{
        return cb_instance_new(id, json_tokener_parse(json), err, size);
}

static void test_instance_reads_the_seed_configuration(void **state)
{
        char err[256];
        cb_instance_t *inst =
            make("20931",
                 "{\"element\":{\"key\":\"closeio\"},\"name\":\"acme\",\"tags\":[\"a\"],"
                 "\"configuration\":{\"username\":\"k\",\"password\":\"p\","
                 "\"event.notification.enabled\":\"true\","
                 "\"event.notification.callback.url\":\"http://127.0.0.1:1/cb\"}}",
                 err, sizeof(err));

        (void)state;
        assert_non_null(inst);
        assert_string_equal(inst->id, "20931");
        assert_string_equal(inst->name, "acme");
        assert_true(inst->notify_enabled);
        assert_string_equal(inst->callback_url, "http://127.0.0.1:1/cb");
        assert_string_equal(inst->format, "elements");
        assert_string_equal(inst->tags_text, "[\"a\"]");
        assert_string_equal(cb_instance_config(inst, "username"), "k");
        cb_instance_ref(inst);
        cb_instance_release(inst);
        cb_instance_release(inst);
}

static void test_instance_accepts_json_booleans_and_cloudevents_format(void **state)
{
        char err[256];
        cb_instance_t *inst = make("1",
                                   "{\"element\":{\"key\":\"closeio\"},\"configuration\":{"
                                   "\"event.notification.enabled\":true,"
                                   "\"event.notification.format\":\"cloudevents\"}}",
                                   err, sizeof(err));

        (void)state;
        assert_non_null(inst);
        assert_true(inst->notify_enabled);
        assert_null(inst->callback_url);
        assert_string_equal(inst->format, "cloudevents");
        cb_instance_release(inst);
}

static void test_instance_rejects_what_is_not_a_closeio_instance(void **state)
{
        static const char *const bad[][2] = {
            {"0", "{\"element\":{\"key\":\"closeio\"},\"configuration\":{}}"},
            {"x1", "{\"element\":{\"key\":\"closeio\"},\"configuration\":{}}"},
            {"1", "{\"element\":{\"key\":\"hubspot\"},\"configuration\":{}}"},
            {"1", "{\"element\":{\"key\":\"closeio\"}}"},
            {"1", "[]"},
            {"1", "{\"element\":{\"key\":\"closeio\"},\"configuration\":{"
                  "\"event.notification.format\":\"xml\"}}"},
        };
        char err[256];
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err[0] = '\0';
                assert_null(make(bad[i][0], bad[i][1], err, sizeof(err)));
                assert_true(err[0] != '\0');
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_instance_reads_the_seed_configuration),
            cmocka_unit_test(test_instance_accepts_json_booleans_and_cloudevents_format),
            cmocka_unit_test(test_instance_rejects_what_is_not_a_closeio_instance),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
