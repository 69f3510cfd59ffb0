/* console record: what a record that says nothing usable gets, and that the decoder reads no
 * byte past the lengths it is given. */
#include "fixture_console_record.h"

static void test_record_without_key_is_refused(void **state)
{
        fixture_t fx;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_EVENTS, NULL, ENVELOPE);
        decode_fails(&fx, "no key");
        fixture_fini(&fx);
}

static void test_record_with_a_key_that_is_not_an_instance_id_is_refused(void **state)
{
        static const char *const keys[] = {"abc", "0", "012", "-5", "1234567890123456789"};
        fixture_t fx;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                fixture_init(&fx, CONSOLE_TOPIC_EVENTS, keys[i], ENVELOPE);
                decode_fails(&fx, "instance id");
                fixture_fini(&fx);
        }
}

static void test_record_with_a_key_too_long_is_refused(void **state)
{
        fixture_t fx;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_EVENTS, "123456789012345678901234567890", ENVELOPE);
        decode_fails(&fx, "instance id");
        fixture_fini(&fx);
}

static void test_record_with_a_nul_in_its_key_is_refused(void **state)
{
        fixture_t fx;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_EVENTS, "12x4", ENVELOPE);
        fx.key[2] = '\0'; /* "12\04": the first two bytes alone would be a valid id */
        decode_fails(&fx, "instance id");
        fixture_fini(&fx);
}

static void test_record_key_is_read_only_to_its_length(void **state)
{
        fixture_t fx;
        console_rec_t out;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_EVENTS, "42", ENVELOPE); /* junk "7777..." after it */
        decode_ok(&fx, &out);
        assert_string_equal(out.instance_id, "42");
        fixture_fini(&fx);
}

static void test_record_value_is_read_only_to_its_length(void **state)
{
        fixture_t fx;
        console_rec_t out;

        (void)state;
        /* junk digits after the '}': a reader going past the length finds trailing garbage */
        fixture_init(&fx, CONSOLE_TOPIC_DELIVERIES, "42",
                     "{\"envelopeId\":\"e\",\"outcome\":\"dead\",\"attempt\":4}");
        decode_ok(&fx, &out);
        assert_int_equal(out.attempt, 4);
        fixture_fini(&fx);
}

static void test_record_value_cut_short_is_not_json(void **state)
{
        fixture_t fx;

        (void)state;
        /* the value ends inside a number: "4" and the junk after it must not read as 47777777 */
        fixture_init(&fx, CONSOLE_TOPIC_DELIVERIES, "42",
                     "{\"envelopeId\":\"e\",\"outcome\":\"dead\",\"attempt\":4}");
        fx.in.len -= 1;
        decode_fails(&fx, "not JSON");
        fixture_fini(&fx);
}

static void test_record_header_value_is_read_only_to_its_length(void **state)
{
        char *due = unterminated("1700000000000", 13);
        const console_header_t headers[] = {{"cb-due-ms", due, 13}};
        fixture_t fx;
        console_rec_t out;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_RETRY, "42", ENVELOPE);
        fx.in.headers = headers;
        fx.in.nheaders = 1;
        decode_ok(&fx, &out);
        assert_int_equal(out.next_due_ms, 1700000000000LL);
        fixture_fini(&fx);
        free(due);
}

static void test_record_without_value_is_refused(void **state)
{
        fixture_t fx;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_EVENTS, "42", NULL);
        decode_fails(&fx, "no value");
        fixture_fini(&fx);
}

static void test_record_whose_value_is_not_json_is_refused(void **state)
{
        fixture_t fx;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_EVENTS, "42", "{\"id\":\"ev_1\",");
        decode_fails(&fx, "not JSON");
        fixture_fini(&fx);
        fixture_init(&fx, CONSOLE_TOPIC_DELIVERIES, "42", "");
        decode_fails(&fx, "not JSON");
        fixture_fini(&fx);
}

static void test_record_whose_value_is_not_an_object_is_refused(void **state)
{
        fixture_t fx;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_DLQ, "42", "[\"ev_1\"]");
        decode_fails(&fx, "not a JSON object");
        fixture_fini(&fx);
}

static void test_envelope_without_id_is_refused(void **state)
{
        fixture_t fx;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_EVENTS, "42", "{\"type\":\"io.close.lead.updated\"}");
        decode_fails(&fx, "no envelope id");
        fixture_fini(&fx);
        fixture_init(&fx, CONSOLE_TOPIC_RETRY, "42", "{\"id\":\"\"}");
        decode_fails(&fx, "no envelope id");
        fixture_fini(&fx);
        fixture_init(&fx, CONSOLE_TOPIC_DLQ, "42", "{\"id\":17}");
        decode_fails(&fx, "no envelope id");
        fixture_fini(&fx);
}

static void test_envelope_id_too_long_is_refused_not_cut(void **state)
{
        char value[400], id[CB_ENVELOPE_ID_MAX + 1];
        fixture_t fx;
        console_rec_t out;

        (void)state;
        memset(id, 'a', sizeof(id) - 1);
        id[sizeof(id) - 1] = '\0'; /* one byte more than fits */
        snprintf(value, sizeof(value), "{\"id\":\"%s\"}", id);
        fixture_init(&fx, CONSOLE_TOPIC_EVENTS, "42", value);
        decode_fails(&fx, "too long");
        fixture_fini(&fx);

        id[sizeof(id) - 2] = '\0'; /* exactly what fits */
        snprintf(value, sizeof(value), "{\"id\":\"%s\"}", id);
        fixture_init(&fx, CONSOLE_TOPIC_EVENTS, "42", value);
        decode_ok(&fx, &out);
        assert_string_equal(out.env_id, id);
        fixture_fini(&fx);
}

static void test_envelope_id_with_a_nul_is_refused(void **state)
{
        fixture_t fx;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_EVENTS, "42", "{\"id\":\"ev_1\\u0000b\"}");
        decode_fails(&fx, "NUL");
        fixture_fini(&fx);
}

static void test_long_strings_are_cut_to_fit(void **state)
{
        char value[1024], type[300];
        fixture_t fx;
        console_rec_t out;

        (void)state;
        memset(type, 't', sizeof(type) - 1);
        type[sizeof(type) - 1] = '\0';
        snprintf(value, sizeof(value), "{\"id\":\"e\",\"type\":\"%s\"}", type);
        fixture_init(&fx, CONSOLE_TOPIC_EVENTS, "42", value);
        decode_ok(&fx, &out);
        assert_int_equal(strlen(out.type), sizeof(out.type) - 1);
        assert_memory_equal(out.type, type, sizeof(out.type) - 1);
        fixture_fini(&fx);
}

static void test_strings_are_cut_between_utf8_characters(void **state)
{
        char value[256];
        fixture_t fx;
        console_rec_t out;

        (void)state;
        /* origin holds 15 bytes: "abcdefghijklmn" (14) and then a two-byte "é" would not fit */
        snprintf(value, sizeof(value), "{\"id\":\"e\",\"origin\":\"abcdefghijklmn\xc3\xa9\"}");
        fixture_init(&fx, CONSOLE_TOPIC_EVENTS, "42", value);
        decode_ok(&fx, &out);
        assert_string_equal(out.origin, "abcdefghijklmn");
        fixture_fini(&fx);
}

static void test_record_of_an_unknown_kind_is_refused(void **state)
{
        fixture_t fx;

        (void)state;
        fixture_init(&fx, (console_topic_kind_t)9, "42", ENVELOPE);
        decode_fails(&fx, "kind");
        fixture_fini(&fx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_record_without_key_is_refused),
            cmocka_unit_test(test_record_with_a_key_that_is_not_an_instance_id_is_refused),
            cmocka_unit_test(test_record_with_a_key_too_long_is_refused),
            cmocka_unit_test(test_record_with_a_nul_in_its_key_is_refused),
            cmocka_unit_test(test_record_key_is_read_only_to_its_length),
            cmocka_unit_test(test_record_value_is_read_only_to_its_length),
            cmocka_unit_test(test_record_value_cut_short_is_not_json),
            cmocka_unit_test(test_record_header_value_is_read_only_to_its_length),
            cmocka_unit_test(test_record_without_value_is_refused),
            cmocka_unit_test(test_record_whose_value_is_not_json_is_refused),
            cmocka_unit_test(test_record_whose_value_is_not_an_object_is_refused),
            cmocka_unit_test(test_envelope_without_id_is_refused),
            cmocka_unit_test(test_envelope_id_too_long_is_refused_not_cut),
            cmocka_unit_test(test_envelope_id_with_a_nul_is_refused),
            cmocka_unit_test(test_long_strings_are_cut_to_fit),
            cmocka_unit_test(test_strings_are_cut_between_utf8_characters),
            cmocka_unit_test(test_record_of_an_unknown_kind_is_refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
