/* Unit tests of ingest envelope: the CloudEvent built from a Close event. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "envelope.h"
#include "fixture.h"
#include "fixture_envelope.h"

#define NOW_US 1700000000000000LL

static json_object *envelope_of(const char *fixture, const char *instance, json_object **body)
{
        *body = fixture_json(fixture);
        return fixture_envelope(*body, instance, NOW_US, NULL);
}

static const char *attr(json_object *obj, const char *key)
{
        const char *v = fixture_envelope_attr(obj, key);

        assert_non_null(v);
        return v;
}

static void test_envelope_of_a_legacy_update_has_every_attribute(void **state)
{
        json_object *body, *env = envelope_of("legacy_update.json", "20931", &body), *data, *raw;
        const char *id;
        size_t i;

        (void)state;
        assert_non_null(env);
        assert_string_equal(attr(env, "specversion"), "1.0");
        assert_string_equal(attr(env, "source"), "/closeio/instances/20931");
        assert_string_equal(attr(env, "type"), "io.close.lead.updated");
        assert_string_equal(attr(env, "subject"),
                            "lead/lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus");
        assert_string_equal(attr(env, "time"), "2017-05-18T21:55:26.451Z");
        assert_string_equal(attr(env, "datacontenttype"), "application/json");
        assert_string_equal(attr(env, "instanceid"), "20931");
        assert_string_equal(attr(env, "elementkey"), "closeio");
        assert_string_equal(attr(env, "origin"), "webhook");
        id = attr(env, "id");
        assert_int_equal(strlen(id), 35);
        assert_memory_equal(id, "cb_", 3);
        for (i = 3; i < 35; i++)
                assert_non_null(strchr("0123456789abcdef", id[i]));

        assert_true(json_object_object_get_ex(env, "data", &data));
        assert_string_equal(attr(data, "eventType"), "UPDATED");
        assert_string_equal(attr(data, "objectType"), "leads");
        assert_string_equal(attr(data, "objectId"),
                            "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus");
        assert_string_equal(attr(data, "date"), "2017-05-18T21:55:26.451Z");
        assert_true(json_object_object_get_ex(data, "raw", &raw));
        assert_true(json_object_equal(raw, body));
        json_object_put(env);
        json_object_put(body);
}

static void test_envelope_id_is_the_same_for_the_same_event(void **state)
{
        json_object *b1, *b2, *e1 = envelope_of("legacy_update.json", "20931", &b1);
        json_object *e2 = envelope_of("legacy_update.json", "20931", &b2);

        (void)state;
        assert_string_equal(attr(e1, "id"), attr(e2, "id"));
        json_object_put(e1);
        json_object_put(e2);
        json_object_put(b1);
        json_object_put(b2);
}

static void test_envelope_id_differs_by_instance_event_and_date(void **state)
{
        json_object *b1, *b2, *b3, *b4;
        json_object *base = envelope_of("legacy_update.json", "20931", &b1);
        json_object *other_instance = envelope_of("legacy_update.json", "20932", &b2);
        json_object *create = envelope_of("legacy_create.json", "20931", &b3);
        json_object *data, *later;

        (void)state;
        b4 = fixture_json("legacy_update.json");
        json_object_object_get_ex(b4, "data", &data);
        json_object_object_add(data, "date_updated",
                               json_object_new_string("2017-05-18T21:55:27.000000+00:00"));
        later = fixture_envelope(b4, "20931", NOW_US, NULL);

        assert_string_not_equal(attr(base, "id"), attr(other_instance, "id"));
        assert_string_not_equal(attr(base, "id"), attr(create, "id"));
        assert_string_not_equal(attr(base, "id"), attr(later, "id"));
        json_object_put(base);
        json_object_put(other_instance);
        json_object_put(create);
        json_object_put(later);
        json_object_put(b1);
        json_object_put(b2);
        json_object_put(b3);
        json_object_put(b4);
}

static void test_envelope_of_a_modern_event_uses_closes_id_and_date(void **state)
{
        json_object *body, *env = envelope_of("modern_opportunity_updated.json", "7", &body);

        (void)state;
        assert_string_equal(attr(env, "id"), "ev_2sYKRjcrA79yKxi3S4Crd7_20190115124823395000");
        assert_string_equal(attr(env, "type"), "io.close.opportunity.updated");
        assert_string_equal(attr(env, "time"), "2019-01-15T12:48:23.395Z");
        json_object_put(env);
        json_object_put(body);
}

static void test_envelope_of_a_legacy_delete_takes_now_as_time(void **state)
{
        json_object *body, *env = envelope_of("legacy_delete.json", "20931", &body);

        (void)state;
        assert_string_equal(attr(env, "time"), "2023-11-14T22:13:20.000Z");
        assert_string_equal(attr(env, "type"), "io.close.lead.deleted");
        json_object_put(env);
        json_object_put(body);
}

static void test_envelope_headers_carry_ce_attributes(void **state)
{
        json_object *body = fixture_json("legacy_update.json"), *env;
        ingest_envelope_t built;
        const char *name;
        size_t i;
        int seen_ct = 0;

        (void)state;
        env = fixture_envelope(body, "20931", NOW_US, &built);
        /* content-type + 9 string attributes (all but datacontenttype) */
        assert_int_equal(built.nheaders, 10);
        for (i = 0; i < built.nheaders; i++) {
                name = built.headers[i].name;
                if (!strcmp(name, "content-type")) {
                        seen_ct = 1;
                        assert_string_equal(built.headers[i].value, CB_ENVELOPE_CONTENT_TYPE);
                        continue;
                }
                assert_memory_equal(name, "ce_", 3);
                assert_string_not_equal(name, "ce_data");
                assert_string_not_equal(name, "ce_datacontenttype");
                assert_string_equal(built.headers[i].value, attr(env, name + 3));
        }
        assert_true(seen_ct);
        ingest_envelope_fini(&built);
        json_object_put(env);
        json_object_put(body);
}

static void test_envelope_escapes_what_json_strings_may_not_hold(void **state)
{
        json_object *body = fixture_json("legacy_update.json"), *data, *env, *v;

        (void)state;
        json_object_object_get_ex(body, "data", &data);
        json_object_object_add(data, "id", json_object_new_string("lead_\"q\"\\/\n\x01\xc3\xa9"));
        env = fixture_envelope(body, "20931", NOW_US, NULL);
        assert_string_equal(attr(env, "subject"), "lead/lead_\"q\"\\/\n\x01\xc3\xa9");
        assert_true(json_object_object_get_ex(env, "data", &data));
        assert_true(json_object_object_get_ex(data, "objectId", &v));
        assert_string_equal(json_object_get_string(v), "lead_\"q\"\\/\n\x01\xc3\xa9");
        json_object_put(env);
        json_object_put(body);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_envelope_of_a_legacy_update_has_every_attribute),
            cmocka_unit_test(test_envelope_id_is_the_same_for_the_same_event),
            cmocka_unit_test(test_envelope_id_differs_by_instance_event_and_date),
            cmocka_unit_test(test_envelope_of_a_modern_event_uses_closes_id_and_date),
            cmocka_unit_test(test_envelope_of_a_legacy_delete_takes_now_as_time),
            cmocka_unit_test(test_envelope_headers_carry_ce_attributes),
            cmocka_unit_test(test_envelope_escapes_what_json_strings_may_not_hold),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
