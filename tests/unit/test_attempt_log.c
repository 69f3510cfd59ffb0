/* Unit tests of publish's attempts-log records. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "attempt_log.h"

static cb_instance_t *instance(void)
{
        char err[256];
        cb_instance_t *inst = cb_instance_new(
            "7",
            json_tokener_parse("{\"element\":{\"key\":\"closeio\"},\"configuration\":{"
                               "\"event.notification.enabled\":true,"
                               "\"event.notification.callback.url\":"
                               "\"https://u:secret@hooks.example.com:8443/cb?x=1\"}}"),
            err, sizeof(err));

        assert_non_null(inst);
        return inst;
}

static void test_attempt_log_a_made_attempt(void **state)
{
        publish_item_t it = {.attempt = 2};
        publish_job_t job = {.status = 503, .duration_ms = 41};
        json_object *rec;
        char *text;

        (void)state;
        it.inst = instance();
        snprintf(it.env_id, sizeof(it.env_id), "cb_1");
        snprintf(it.last_error, sizeof(it.last_error), "HTTP 503");
        job.url = "https://u:secret@hooks.example.com:8443/cb?x=1";
        text = publish_attempt_record(&it, &job, "retry", 1700000005000LL, 1700000000123000LL);
        assert_non_null(text);
        assert_null(strstr(text, "secret")); /* never the URL's credentials */
        rec = json_tokener_parse(text);
        assert_non_null(rec);
        assert_string_equal(json_object_get_string(json_object_object_get(rec, "envelopeId")),
                            "cb_1");
        assert_string_equal(json_object_get_string(json_object_object_get(rec, "instanceId")), "7");
        assert_string_equal(json_object_get_string(json_object_object_get(rec, "url")),
                            "https://hooks.example.com:8443/cb?x=1");
        assert_int_equal(json_object_get_int(json_object_object_get(rec, "attempt")), 2);
        assert_int_equal(json_object_get_int(json_object_object_get(rec, "status")), 503);
        assert_string_equal(json_object_get_string(json_object_object_get(rec, "error")),
                            "HTTP 503");
        assert_int_equal(json_object_get_int(json_object_object_get(rec, "durationMs")), 41);
        assert_string_equal(json_object_get_string(json_object_object_get(rec, "outcome")),
                            "retry");
        assert_int_equal(json_object_get_int64(json_object_object_get(rec, "nextDueMs")),
                         1700000005000LL);
        assert_string_equal(json_object_get_string(json_object_object_get(rec, "at")),
                            "2023-11-14T22:13:20.123Z");
        assert_false(json_object_object_get_ex(rec, "replay", NULL)); /* not a replay's */
        json_object_put(rec);
        free(text);
        cb_instance_release(it.inst);
}

static void test_attempt_log_an_attempt_the_open_breaker_stood_in_for(void **state)
{
        publish_item_t it = {.attempt = 4};
        json_object *rec, *v;
        char *text;

        (void)state;
        it.inst = instance();
        snprintf(it.env_id, sizeof(it.env_id), "cb_2");
        snprintf(it.last_error, sizeof(it.last_error), "circuit breaker open for x");
        text = publish_attempt_record(&it, NULL, "dead", 0, 1700000000000000LL);
        rec = json_tokener_parse(text);
        assert_non_null(rec);
        /* the URL of the instance, without its credentials; no status, no next attempt */
        assert_string_equal(json_object_get_string(json_object_object_get(rec, "url")),
                            "https://hooks.example.com:8443/cb?x=1");
        assert_true(json_object_object_get_ex(rec, "status", &v));
        assert_null(v);
        assert_true(json_object_object_get_ex(rec, "nextDueMs", &v));
        assert_null(v);
        assert_int_equal(json_object_get_int(json_object_object_get(rec, "durationMs")), 0);
        json_object_put(rec);
        free(text);
        cb_instance_release(it.inst);
}

static void test_attempt_log_a_skipped_envelope_names_the_key_and_why(void **state)
{
        rd_kafka_message_t rkm = {.key = "20931", .key_len = 5};
        publish_item_t it = {.attempt = 1, .rkm = &rkm};
        json_object *rec;
        char *text;

        (void)state;
        snprintf(it.env_id, sizeof(it.env_id), "cb_3");
        snprintf(it.last_error, sizeof(it.last_error), "instance unknown or deleted");
        snprintf(it.replay, sizeof(it.replay), "rp_0123456789abcdef");
        text = publish_attempt_record(&it, NULL, "skipped", 0, 1700000000000000LL);
        rec = json_tokener_parse(text);
        assert_non_null(rec);
        /* no instance was found: the id is the record's key */
        assert_string_equal(json_object_get_string(json_object_object_get(rec, "instanceId")),
                            "20931");
        assert_string_equal(json_object_get_string(json_object_object_get(rec, "outcome")),
                            "skipped");
        assert_string_equal(json_object_get_string(json_object_object_get(rec, "error")),
                            "instance unknown or deleted");
        assert_string_equal(json_object_get_string(json_object_object_get(rec, "url")), "");
        assert_string_equal(json_object_get_string(json_object_object_get(rec, "replay")),
                            "rp_0123456789abcdef");
        json_object_put(rec);
        free(text);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_attempt_log_a_made_attempt),
            cmocka_unit_test(test_attempt_log_an_attempt_the_open_breaker_stood_in_for),
            cmocka_unit_test(test_attempt_log_a_skipped_envelope_names_the_key_and_why),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
