/* Unit tests of cb_instance: the instance JSON of the seed document, and what makes an instance
 * valid (cb_instance_check) for the table and for the instances API. */
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

/* cb_instance_check of json's text at level, its message into err; returns its result. */
static int check(const char *json, cb_instance_level_t level, char *err, size_t size)
{
        json_object *obj = json_tokener_parse(json);
        int ret;

        err[0] = '\0';
        ret = cb_instance_check(obj, level, err, size);
        json_object_put(obj);
        return ret;
}

static void test_instance_check_complete_names_every_missing_and_wrong_entry(void **state)
{
        char err[CB_INSTANCE_ERR_MAX];

        (void)state;
        assert_int_equal(check("{}", CB_INSTANCE_COMPLETE, err, sizeof(err)), -1);
        assert_string_equal(err, "missing required entries: name, element.key, configuration");
        assert_int_equal(check("{\"name\":\"a\",\"element\":{\"key\":\"hubspot\"},"
                               "\"disabled\":\"false\",\"tags\":[1],\"configuration\":{"
                               "\"event.notification.enabled\":true,"
                               "\"event.notification.callback.url\":\"ftp://x\"}}",
                               CB_INSTANCE_COMPLETE, err, sizeof(err)),
                         -1);
        assert_string_equal(err, "missing required entries: configuration.username (the Close API "
                                 "key); element.key must be \"closeio\", disabled must be true or "
                                 "false, tags must be an array of strings, "
                                 "event.notification.callback.url must be an http(s) URL");
        assert_int_equal(check("{\"name\":\"a\",\"element\":{\"key\":\"closeio\"},"
                               "\"configuration\":{\"username\":\"k\","
                               "\"event.notification.enabled\":\"true\"}}",
                               CB_INSTANCE_COMPLETE, err, sizeof(err)),
                         -1);
        assert_string_equal(
            err, "missing required entries: configuration.event.notification.callback.url");
}

static void test_instance_check_complete_also_asks_what_loading_asks(void **state)
{
        static const char fmt[] = "{\"name\":\"a\",\"element\":{\"key\":\"closeio\"},"
                                  "\"configuration\":{\"username\":\"k\","
                                  "\"event.notification.format\":\"xml\"}}";
        char err[CB_INSTANCE_ERR_MAX], err2[256];

        (void)state;
        assert_int_equal(check(fmt, CB_INSTANCE_COMPLETE, err, sizeof(err)), -1);
        assert_int_equal(check(fmt, CB_INSTANCE_LOADABLE, err2, sizeof(err2)), -1);
        assert_string_equal(err, err2);
        assert_string_equal(err, "event.notification.format must be \"elements\" or "
                                 "\"cloudevents\"");
        assert_null(make("1", fmt, err2, sizeof(err2)));
        assert_string_equal(err, err2);
        assert_int_equal(check("[]", CB_INSTANCE_COMPLETE, err, sizeof(err)), -1);
        assert_string_equal(err, "instance must be a JSON object");
}

static void test_instance_check_loadable_takes_what_the_api_would_not(void **state)
{
        /* an instances file may declare an instance without a name or a key */
        static const char bare[] = "{\"element\":{\"key\":\"closeio\"},\"configuration\":{},"
                                   "\"disabled\":\"yes\"}";
        char err[CB_INSTANCE_ERR_MAX];
        cb_instance_t *inst;

        (void)state;
        assert_int_equal(check(bare, CB_INSTANCE_LOADABLE, err, sizeof(err)), 0);
        assert_int_equal(check(bare, CB_INSTANCE_COMPLETE, err, sizeof(err)), -1);
        inst = make("3", bare, err, sizeof(err));
        assert_non_null(inst);
        assert_string_equal(inst->name, "");
        cb_instance_release(inst);
        assert_int_equal(check("{\"configuration\":{}}", CB_INSTANCE_LOADABLE, err, sizeof(err)),
                         -1);
        assert_string_equal(err, "instance needs \"element\": {\"key\": \"closeio\"}");
        assert_int_equal(check("{\"element\":{\"key\":\"closeio\"},\"configuration\":[]}",
                               CB_INSTANCE_LOADABLE, err, sizeof(err)),
                         -1);
        assert_string_equal(err, "instance needs a \"configuration\" object");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_instance_reads_the_seed_configuration),
            cmocka_unit_test(test_instance_accepts_json_booleans_and_cloudevents_format),
            cmocka_unit_test(test_instance_rejects_what_is_not_a_closeio_instance),
            cmocka_unit_test(test_instance_check_complete_names_every_missing_and_wrong_entry),
            cmocka_unit_test(test_instance_check_complete_also_asks_what_loading_asks),
            cmocka_unit_test(test_instance_check_loadable_takes_what_the_api_would_not),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
