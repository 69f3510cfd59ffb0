/* Unit tests of cb_close: both Close webhook forms, normalised as Cloud Elements did. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cb_close.h"
#include "cb_time.h"
#include "fixture.h"

static void test_close_reads_a_legacy_update(void **state)
{
        json_object *body = fixture_json("legacy_update.json");
        cb_close_event_t ev;
        char err[256], date[40];

        (void)state;
        assert_int_equal(cb_close_parse_webhook(body, &ev, err, sizeof(err)), 0);
        assert_string_equal(ev.model, "lead");
        assert_string_equal(ev.action, "updated");
        assert_string_equal(ev.event_type, "UPDATED");
        assert_string_equal(ev.object_type, "leads");
        assert_string_equal(ev.object_id, "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus");
        assert_null(ev.close_id);
        cb_time_format_ms(ev.date_us, date, sizeof(date));
        assert_string_equal(date, "2017-05-18T21:55:26.451Z");
        assert_ptr_equal(ev.raw, body);
        json_object_put(body);
}

static void test_close_reads_a_legacy_delete_with_only_the_id(void **state)
{
        json_object *body = fixture_json("legacy_delete.json");
        cb_close_event_t ev;
        char err[256];

        (void)state;
        assert_int_equal(cb_close_parse_webhook(body, &ev, err, sizeof(err)), 0);
        assert_string_equal(ev.event_type, "DELETED");
        assert_string_equal(ev.object_id, "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus");
        assert_int_equal(ev.date_us, 0);
        json_object_put(body);
}

static void test_close_maps_a_legacy_merge_like_cloud_elements(void **state)
{
        json_object *body = fixture_json("legacy_merge.json");
        cb_close_event_t ev;
        char err[256];

        (void)state;
        assert_int_equal(cb_close_parse_webhook(body, &ev, err, sizeof(err)), 0);
        assert_string_equal(ev.event_type, "UPDATED");
        assert_string_equal(ev.action, "merged");
        assert_string_equal(ev.object_id, "lead_I7l6JEuaA09U5YDAbatU8STdLrTgRZMt1DQ7YzU7oPs");
        assert_string_equal(ev.merge_source, "lead_I7l6JEuaA09U5YDAbatU8STdLrTgRZMt1DQ7YzU7oPs");
        assert_string_equal(ev.merge_destination,
                            "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus");
        json_object_put(body);
}

static void test_close_reads_the_docs_modern_example(void **state)
{
        json_object *body = fixture_json("modern_opportunity_updated.json");
        cb_close_event_t ev;
        char err[256];

        (void)state;
        assert_int_equal(cb_close_parse_webhook(body, &ev, err, sizeof(err)), 0);
        assert_string_equal(ev.close_id, "ev_2sYKRjcrA79yKxi3S4Crd7");
        assert_string_equal(ev.model, "opportunity");
        assert_string_equal(ev.object_type, "opportunities");
        /* keyed on event.object_id, which differs from data.id in the docs' example */
        assert_string_equal(ev.object_id, "oppo_7H4sjNso7FyBFaeR3RXi5PMJbilfo0c6UPCxsJtEhCO");
        assert_string_equal(ev.event_type, "UPDATED");
        json_object_put(body);
}

static void test_close_reads_a_modern_merge_from_meta(void **state)
{
        json_object *body = fixture_json("modern_lead_merged.json");
        cb_close_event_t ev;
        char err[256];

        (void)state;
        assert_int_equal(cb_close_parse_webhook(body, &ev, err, sizeof(err)), 0);
        assert_string_equal(ev.merge_source, "lead_I7l6JEuaA09U5YDAbatU8STdLrTgRZMt1DQ7YzU7oPs");
        assert_string_equal(ev.merge_destination,
                            "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus");
        assert_string_equal(ev.object_id, ev.merge_source);
        json_object_put(body);
}

static void test_close_rejects_unknown_shapes(void **state)
{
        static const char *const bad[] = {
            "[1,2]",
            "\"lead\"",
            "{}",
            "{\"model\":\"lead\",\"event\":\"update\"}",
            "{\"model\":\"lead\",\"event\":\"update\",\"data\":{}}",
            "{\"model\":\"lead\",\"event\":\"merge\",\"data\":{\"source_id\":\"a\"}}",
            "{\"model\":7,\"event\":\"update\",\"data\":{\"id\":\"x\"}}",
            "{\"event\":{\"id\":\"ev_1\",\"object_type\":\"lead\"}}",
            "{\"event\":{\"id\":\"ev.1\",\"object_type\":\"lead\",\"action\":\"created\","
            "\"object_id\":\"x\"}}",
        };
        cb_close_event_t ev;
        json_object *body;
        char err[256];
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                body = json_tokener_parse(bad[i]);
                assert_non_null(body);
                err[0] = '\0';
                assert_int_equal(cb_close_parse_webhook(body, &ev, err, sizeof(err)), -1);
                assert_true(err[0] != '\0');
                json_object_put(body);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_close_reads_a_legacy_update),
            cmocka_unit_test(test_close_reads_a_legacy_delete_with_only_the_id),
            cmocka_unit_test(test_close_maps_a_legacy_merge_like_cloud_elements),
            cmocka_unit_test(test_close_reads_the_docs_modern_example),
            cmocka_unit_test(test_close_reads_a_modern_merge_from_meta),
            cmocka_unit_test(test_close_rejects_unknown_shapes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
