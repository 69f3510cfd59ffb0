/* Unit tests of publish's callback bodies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "body.h"
#include "cb_envelope.h"
#include "cb_json.h"
#include "fixture.h"
#include "fixture_envelope.h"

static cb_instance_t *instance(const char *format)
{
        char json[512], err[256];
        cb_instance_t *inst;

        snprintf(json, sizeof(json),
                 "{\"element\":{\"key\":\"closeio\"},\"name\":\"acme-close\",\"tags\":[\"acme\"],"
                 "\"configuration\":{\"event.notification.enabled\":\"true\","
                 "\"event.notification.format\":\"%s\","
                 "\"event.notification.callback.url\":\"http://127.0.0.1:9/cb\"}}",
                 format);
        inst = cb_instance_new("20931", json_tokener_parse(json), err, sizeof(err));
        assert_non_null(inst);
        return inst;
}

static json_object *envelope(json_object **payload)
{
        *payload = fixture_json("legacy_update.json");
        return fixture_envelope(*payload, "20931", 0, NULL);
}

/* The envelope's text, as publish reads it from Kafka. */
static const char *text_of(json_object *env)
{
        return json_object_to_json_string_ext(env, JSON_C_TO_STRING_PLAIN);
}

/* The body publish makes of env for inst, from env's text read with yyjson as publish does. */
static char *body_of(const cb_instance_t *inst, json_object *env, const char **ct)
{
        const char *text = text_of(env);
        yyjson_doc *doc = yyjson_read(text, strlen(text), 0);
        char *body;

        assert_non_null(doc);
        body = publish_body_new(inst, yyjson_doc_get_root(doc), text, strlen(text), ct);
        yyjson_doc_free(doc);
        return body;
}

static const char *str(json_object *obj, const char *key)
{
        json_object *v;

        assert_true(json_object_object_get_ex(obj, key, &v));
        return json_object_get_string(v);
}

static void test_body_elements_format_is_the_cloud_elements_message(void **state)
{
        cb_instance_t *inst = instance("elements");
        json_object *payload, *env = envelope(&payload), *body, *msg, *events, *ev, *raw, *tags;
        const char *ct;
        char *text = body_of(inst, env, &ct);

        (void)state;
        assert_non_null(text);
        assert_string_equal(ct, "application/json");
        body = json_tokener_parse(text);
        assert_true(json_object_object_get_ex(body, "message", &msg));
        assert_string_equal(str(msg, "elementKey"), "closeio");
        assert_string_equal(str(msg, "instanceId"), "20931");
        assert_string_equal(str(msg, "instance_id"), "20931");
        assert_string_equal(str(msg, "instanceName"), "acme-close");
        assert_true(json_object_object_get_ex(msg, "instanceTags", &tags));
        assert_int_equal(json_object_array_length(tags), 1);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(tags, 0)), "acme");
        assert_string_equal(str(msg, "eventId"), fixture_envelope_attr(env, "id"));
        assert_true(json_object_object_get_ex(msg, "events", &events));
        assert_int_equal(json_object_array_length(events), 1);
        ev = json_object_array_get_idx(events, 0);
        assert_string_equal(str(ev, "eventType"), "UPDATED");
        assert_string_equal(str(ev, "objectType"), "leads");
        assert_string_equal(str(ev, "objectId"),
                            "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus");
        assert_string_equal(str(ev, "date"), "2017-05-18T21:55:26.451Z");
        assert_true(json_object_object_get_ex(msg, "raw", &raw));
        assert_true(json_object_equal(raw, payload));
        json_object_put(body);
        free(text);
        json_object_put(env);
        json_object_put(payload);
        cb_instance_release(inst);
}

/* raw is what Close sent, byte for byte: not written again from a parsed tree (which would
 * change spacing, number forms and escapes). */
static void test_body_elements_raw_is_the_bytes_close_sent(void **state)
{
        const char *raw = "{\"event\" : {\"a\":1.50, \"b\":\"\\u00e9\", \"c\":1e2} }";
        char text[1024], err[128], expect[256], *body;
        cb_instance_t *inst = instance("elements");
        yyjson_doc *doc;
        const char *ct;

        (void)state;
        snprintf(text, sizeof(text),
                 "{\"specversion\":\"1.0\",\"id\":\"e1\",\"subject\":\"lead/x\",\"data\":{"
                 "\"eventType\":\"UPDATED\",\"objectType\":\"leads\",\"objectId\":\"x\","
                 "\"date\":\"2017-05-18T21:55:26.451Z\",\"raw\": %s }}",
                 raw);
        doc = cb_json_read(text, strlen(text), CB_JSON_MAX_DEPTH, err, sizeof(err));
        assert_non_null(doc);
        body = publish_body_new(inst, yyjson_doc_get_root(doc), text, strlen(text), &ct);
        yyjson_doc_free(doc);
        assert_non_null(body);
        snprintf(expect, sizeof(expect), "\"raw\":%s}}", raw);
        assert_non_null(strstr(body, expect));
        free(body);
        cb_instance_release(inst);
}

static void test_body_cloudevents_format_is_the_envelope(void **state)
{
        cb_instance_t *inst = instance("cloudevents");
        json_object *payload, *env = envelope(&payload), *body;
        const char *ct;
        char *text = body_of(inst, env, &ct);

        (void)state;
        assert_non_null(text);
        assert_string_equal(ct, "application/cloudevents+json; charset=UTF-8");
        body = json_tokener_parse(text);
        assert_true(json_object_equal(body, env));
        json_object_put(body);
        free(text);
        json_object_put(env);
        json_object_put(payload);
        cb_instance_release(inst);
}

static void test_body_elements_without_tags_or_raw_has_empty_tags_and_null_raw(void **state)
{
        char err[256];
        cb_instance_t *inst = cb_instance_new(
            "7", json_tokener_parse("{\"element\":{\"key\":\"closeio\"},\"configuration\":{}}"),
            err, sizeof(err));
        json_object *payload, *env = envelope(&payload), *data, *body, *msg, *v;
        const char *ct;
        char *text;

        (void)state;
        assert_non_null(inst);
        assert_true(json_object_object_get_ex(env, "data", &data));
        json_object_object_del(data, "raw");
        text = body_of(inst, env, &ct);
        assert_non_null(text);
        body = json_tokener_parse(text);
        assert_true(json_object_object_get_ex(body, "message", &msg));
        assert_true(json_object_object_get_ex(msg, "instanceTags", &v));
        assert_true(json_object_is_type(v, json_type_array));
        assert_int_equal(json_object_array_length(v), 0);
        assert_string_equal(str(msg, "instanceName"), "");
        assert_true(json_object_object_get_ex(msg, "raw", &v));
        assert_null(v); /* JSON null */
        json_object_put(body);
        free(text);
        json_object_put(env);
        json_object_put(payload);
        cb_instance_release(inst);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_body_elements_format_is_the_cloud_elements_message),
            cmocka_unit_test(test_body_cloudevents_format_is_the_envelope),
            cmocka_unit_test(test_body_elements_without_tags_or_raw_has_empty_tags_and_null_raw),
            cmocka_unit_test(test_body_elements_raw_is_the_bytes_close_sent),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
