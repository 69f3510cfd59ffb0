/* Unit tests of ingest close event: both Close webhook forms, the Event Log and polling bodies,
 * normalised as Cloud Elements did. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "close_event.h"
#include "cb_json.h"
#include "cb_time.h"
#include "fixture.h"

static void test_close_reads_a_legacy_update(void **state)
{
        json_object *body = fixture_json("legacy_update.json");
        ingest_close_event_t ev;
        char err[256], date[40];

        (void)state;
        assert_int_equal(fixture_close_parse(body, &ev, err, sizeof(err)), 0);
        assert_string_equal(ev.model, "lead");
        assert_string_equal(ev.action, "updated");
        assert_string_equal(ev.event_type, "UPDATED");
        assert_string_equal(ev.object_type, "leads");
        assert_string_equal(ev.object_id, "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus");
        assert_null(ev.close_id);
        cb_time_format_ms(ev.date_us, date, sizeof(date));
        assert_string_equal(date, "2017-05-18T21:55:26.451Z");
        assert_ptr_equal(ev.raw_text,
                         json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
        ingest_close_event_fini(&ev);
        json_object_put(body);
}

static void test_close_reads_a_legacy_delete_with_only_the_id(void **state)
{
        json_object *body = fixture_json("legacy_delete.json");
        ingest_close_event_t ev;
        char err[256];

        (void)state;
        assert_int_equal(fixture_close_parse(body, &ev, err, sizeof(err)), 0);
        assert_string_equal(ev.event_type, "DELETED");
        assert_string_equal(ev.object_id, "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus");
        assert_int_equal(ev.date_us, 0);
        ingest_close_event_fini(&ev);
        json_object_put(body);
}

static void test_close_maps_a_legacy_merge_like_cloud_elements(void **state)
{
        json_object *body = fixture_json("legacy_merge.json");
        ingest_close_event_t ev;
        char err[256];

        (void)state;
        assert_int_equal(fixture_close_parse(body, &ev, err, sizeof(err)), 0);
        assert_string_equal(ev.event_type, "UPDATED");
        assert_string_equal(ev.action, "merged");
        assert_string_equal(ev.object_id, "lead_I7l6JEuaA09U5YDAbatU8STdLrTgRZMt1DQ7YzU7oPs");
        assert_string_equal(ev.merge_source, "lead_I7l6JEuaA09U5YDAbatU8STdLrTgRZMt1DQ7YzU7oPs");
        assert_string_equal(ev.merge_destination,
                            "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus");
        ingest_close_event_fini(&ev);
        json_object_put(body);
}

static void test_close_reads_the_docs_modern_example(void **state)
{
        json_object *body = fixture_json("modern_opportunity_updated.json");
        ingest_close_event_t ev;
        char err[256];

        (void)state;
        assert_int_equal(fixture_close_parse(body, &ev, err, sizeof(err)), 0);
        assert_string_equal(ev.close_id, "ev_2sYKRjcrA79yKxi3S4Crd7");
        assert_string_equal(ev.model, "opportunity");
        assert_string_equal(ev.object_type, "opportunities");
        /* keyed on event.object_id, which differs from data.id in the docs' example */
        assert_string_equal(ev.object_id, "oppo_7H4sjNso7FyBFaeR3RXi5PMJbilfo0c6UPCxsJtEhCO");
        assert_string_equal(ev.event_type, "UPDATED");
        ingest_close_event_fini(&ev);
        json_object_put(body);
}

static void test_close_reads_a_modern_merge_from_meta(void **state)
{
        json_object *body = fixture_json("modern_lead_merged.json");
        ingest_close_event_t ev;
        char err[256];

        (void)state;
        assert_int_equal(fixture_close_parse(body, &ev, err, sizeof(err)), 0);
        assert_string_equal(ev.merge_source, "lead_I7l6JEuaA09U5YDAbatU8STdLrTgRZMt1DQ7YzU7oPs");
        assert_string_equal(ev.merge_destination,
                            "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus");
        assert_string_equal(ev.object_id, ev.merge_source);
        ingest_close_event_fini(&ev);
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
        ingest_close_event_t ev;
        char err[256];
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err[0] = '\0';
                assert_int_equal(
                    ingest_close_parse_webhook(bad[i], strlen(bad[i]), &ev, err, sizeof(err)), -1);
                assert_true(err[0] != '\0');
                assert_null(ev.doc); /* nothing left to free */
        }
}

static void test_close_reads_the_payload_bytes_strictly(void **state)
{
        static const char *const bad[] = {"{\"model\": \"lead\", \"event\": \"upd",
                                          "{\"model\": NaN}",
                                          "{\"model\": \"\xc0\x80\"}",
                                          "{\"a\": [\"\\ud800\"]}",
                                          "{} {}",
                                          ""};
        char deep[2 * CB_JSON_PAYLOAD_DEPTH + 64], err[256];
        ingest_close_event_t ev;
        size_t i;
        int n;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(
                    ingest_close_parse_webhook(bad[i], strlen(bad[i]), &ev, err, sizeof(err)), -1);
                assert_non_null(strstr(err, "malformed JSON"));
                assert_null(ev.doc);
        }
        /* data nested as deep as a payload may be, and one level deeper */
        for (n = CB_JSON_PAYLOAD_DEPTH - 2; n <= CB_JSON_PAYLOAD_DEPTH - 1; n++) {
                i = (size_t)snprintf(
                    deep, sizeof(deep),
                    "{\"model\":\"lead\",\"event\":\"update\",\"data\":{\"id\":\"x\","
                    "\"d\":%.*s1%.*s}}",
                    n, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", n, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
                assert_int_equal(ingest_close_parse_webhook(deep, i, &ev, err, sizeof(err)),
                                 n == CB_JSON_PAYLOAD_DEPTH - 2 ? 0 : -1);
                ingest_close_event_fini(&ev);
        }
        assert_non_null(strstr(err, "nested more than"));
}

static void test_close_takes_the_last_of_repeated_names_as_json_c_does(void **state)
{
        static const char body[] = "{\"model\":\"contact\",\"event\":\"update\",\"model\":\"lead\","
                                   "\"data\":{\"id\":\"a\",\"id\":\"b\"}}";
        ingest_close_event_t ev;
        char err[256];

        (void)state;
        assert_int_equal(ingest_close_parse_webhook(body, strlen(body), &ev, err, sizeof(err)), 0);
        assert_string_equal(ev.model, "lead");
        assert_string_equal(ev.object_id, "b");
        assert_ptr_equal(ev.raw_text, body);
        assert_int_equal(ev.raw_len, strlen(body));
        ingest_close_event_fini(&ev);
}

static void test_close_polling_results_become_one_event_each(void **state)
{
        static const char body[] =
            "{\"instance_id\": 20931, \"objectType\": \"accounts\", \"accounts\": ["
            "{\"id\": \"lead_1\", \"date_created\": \"2017-05-18T21:54:27.795000+00:00\", "
            "\"date_updated\": \"2017-05-18T21:54:27.795000+00:00\", \"n\": [1.5, 10, "
            "\"\\u00e9/\"]},"
            "{\"id\": \"lead_2\", \"date_created\": \"2017-05-18T21:54:27.795000+00:00\", "
            "\"date_updated\": \"2017-05-18T21:55:26.451000+00:00\"}]}";
        ingest_close_event_t *evs;
        char err[256], *copy = strdup(body);
        size_t n;

        (void)state;
        assert_int_equal(
            ingest_close_parse_polling(copy, strlen(copy), "20931", &evs, &n, err, sizeof(err)), 0);
        memset(copy, 'x', strlen(copy)); /* the events hold their own strings */
        free(copy);
        assert_int_equal(n, 2);
        assert_string_equal(evs[0].object_id, "lead_1");
        assert_string_equal(evs[0].model, "lead");
        assert_string_equal(evs[0].object_type, "accounts"); /* as pushed */
        assert_string_equal(evs[0].event_type, "CREATED");
        assert_string_equal(evs[1].object_id, "lead_2");
        assert_string_equal(evs[1].event_type, "UPDATED");
        assert_memory_equal(evs[0].raw_text,
                            "{\"objectType\":\"accounts\",\"accounts\":[{\"id\":\"lead_1\",", 42);
        assert_non_null(strstr(evs[0].raw_text, "\"n\":[1.5,10,\"\xc3\xa9/\"]}]}"));
        assert_int_equal(evs[0].raw_len, strlen(evs[0].raw_text));
        ingest_close_events_free(evs, n);
}

static void test_close_polling_results_name_the_urls_instance(void **state)
{
        static const char *const other[] = {
            "{\"instance_id\": 7, \"objectType\": \"leads\", \"leads\": []}",
            "{\"instance_id\": \"7\", \"objectType\": \"leads\", \"leads\": []}",
            "{\"instance_id\": [20931], \"objectType\": \"leads\", \"leads\": []}"};
        static const char same[] = "{\"instance_id\": \"20931\", \"objectType\": \"leads\", "
                                   "\"leads\": []}";
        ingest_close_event_t *evs;
        char err[256];
        size_t n, i;

        (void)state;
        for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
                assert_int_equal(ingest_close_parse_polling(other[i], strlen(other[i]), "20931",
                                                            &evs, &n, err, sizeof(err)),
                                 -1);
                assert_non_null(strstr(err, "instance_id differs"));
                assert_null(evs);
        }
        assert_int_equal(
            ingest_close_parse_polling(same, strlen(same), "20931", &evs, &n, err, sizeof(err)), 0);
        assert_int_equal(n, 0);
        ingest_close_events_free(evs, n);
}

static void test_close_reads_an_event_log_entry_as_a_webhook_event(void **state)
{
        static const char page[] =
            "{\"data\": [{\"id\": \"ev_1\", \"object_type\": \"lead\", \"action\": \"updated\", "
            "\"object_id\": \"lead_1\", \"date_updated\": \"2019-01-15T12:48:23.395000\"},"
            " 7, {\"id\": \"ev_2\"}, "
            "{\"x\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]}";
        yyjson_doc *doc = yyjson_read(page, strlen(page), 0);
        yyjson_val *data = yyjson_obj_get(yyjson_doc_get_root(doc), "data");
        ingest_close_event_t ev;
        char err[256];
        size_t i;

        (void)state;
        assert_non_null(data);
        assert_int_equal(
            ingest_close_parse_log_event(yyjson_arr_get(data, 0), &ev, err, sizeof(err)), 0);
        assert_string_equal(ev.close_id, "ev_1");
        assert_string_equal(ev.object_type, "leads");
        assert_string_equal(ev.event_type, "UPDATED");
        assert_true(ev.date_us != 0);
        /* its raw is the webhook it stands for */
        assert_string_equal(ev.raw_text, "{\"event\":{\"id\":\"ev_1\",\"object_type\":\"lead\","
                                         "\"action\":\"updated\",\"object_id\":\"lead_1\","
                                         "\"date_updated\":\"2019-01-15T12:48:23.395000\"}}");
        assert_int_equal(ev.raw_len, strlen(ev.raw_text));
        ingest_close_event_fini(&ev);
        /* not an object, fields missing, nested deeper than a payload may be */
        for (i = 1; i < 4; i++) {
                err[0] = '\0';
                assert_int_equal(
                    ingest_close_parse_log_event(yyjson_arr_get(data, i), &ev, err, sizeof(err)),
                    -1);
                assert_true(err[0] != '\0');
                assert_null(ev.buf);
        }
        assert_non_null(strstr(err, "nested")); /* the last one */
        yyjson_doc_free(doc);
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
            cmocka_unit_test(test_close_reads_the_payload_bytes_strictly),
            cmocka_unit_test(test_close_takes_the_last_of_repeated_names_as_json_c_does),
            cmocka_unit_test(test_close_polling_results_become_one_event_each),
            cmocka_unit_test(test_close_polling_results_name_the_urls_instance),
            cmocka_unit_test(test_close_reads_an_event_log_entry_as_a_webhook_event),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
