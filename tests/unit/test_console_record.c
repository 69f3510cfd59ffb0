/* Unit tests of the console's record decoder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "record.h"

#define ENVELOPE                                                                                   \
        "{\"specversion\":\"1.0\",\"id\":\"ev_abc-20190115124823395000\","                         \
        "\"source\":\"/closeio/instances/20931\",\"type\":\"io.close.lead.updated\","              \
        "\"subject\":\"lead/lead_BW9v\",\"time\":\"2017-05-18T21:55:26.451Z\","                    \
        "\"datacontenttype\":\"application/json\",\"instanceid\":\"20931\","                       \
        "\"elementkey\":\"closeio\",\"origin\":\"webhook\",\"data\":{\"eventType\":\"UPDATED\","   \
        "\"objectType\":\"leads\",\"objectId\":\"lead_BW9v\","                                     \
        "\"date\":\"2017-05-18T21:55:26.451Z\",\"raw\":{\"id\":\"lead_BW9v\"}}}"
#define ENVELOPE_TIME_MS 1495144526451LL

#define ATTEMPT_RETRY                                                                              \
        "{\"envelopeId\":\"ev_abc-1\",\"instanceId\":\"20931\",\"url\":\"https://x/y\","           \
        "\"attempt\":2,\"status\":503,\"error\":\"HTTP 503\",\"durationMs\":12,"                   \
        "\"outcome\":\"retry\",\"nextDueMs\":1700000000000,\"at\":\"2026-12-01T10:00:00.123Z\"}"
#define ATTEMPT_AT_MS 1796119200123LL

#define TS_MS 1700000000999LL

/* A record of kind with key and value, the rest plain; the strings are copied into buffers of
 * exactly their length followed by junk, so that a read past a length shows. */
typedef struct fixture {
        console_kafka_rec_t in;
        char *key, *value;
} fixture_t;

static char *unterminated(const char *s, size_t len)
{
        char *buf = malloc(len + 8);

        assert_non_null(buf);
        memcpy(buf, s, len);
        memset(buf + len, '7', 8); /* digits: would lengthen a key or a number */
        return buf;
}

static void fixture_init(fixture_t *fx, console_topic_kind_t kind, const char *key,
                         const char *value)
{
        memset(fx, 0, sizeof(*fx));
        fx->key = key ? unterminated(key, strlen(key)) : NULL;
        fx->value = value ? unterminated(value, strlen(value)) : NULL;
        fx->in.kind = kind;
        fx->in.topic = "closeio.events";
        fx->in.partition = 3;
        fx->in.offset = 42;
        fx->in.ts_ms = TS_MS;
        fx->in.key = fx->key;
        fx->in.key_len = key ? strlen(key) : 0;
        fx->in.value = fx->value;
        fx->in.len = value ? strlen(value) : 0;
}

static void fixture_fini(fixture_t *fx)
{
        free(fx->key);
        free(fx->value);
}

/* Decodes fx, expecting success. */
static void decode_ok(fixture_t *fx, console_rec_t *out)
{
        char err[256] = "";

        if (console_rec_decode(&fx->in, out, err, sizeof(err)))
                fail_msg("decode failed: %s", err);
}

/* Decodes fx, expecting failure with a message containing what. */
static void decode_fails(fixture_t *fx, const char *what)
{
        console_rec_t out;
        char err[256] = "";

        assert_int_equal(console_rec_decode(&fx->in, &out, err, sizeof(err)), -1);
        assert_non_null(strstr(err, what));
}

static void test_state_names_read_back_as_their_state(void **state)
{
        int s;

        (void)state;
        for (s = CONSOLE_RECEIVED; s <= CONSOLE_SKIPPED; s++)
                assert_int_equal(console_state_parse(console_state_name(s)), s);
        assert_string_equal(console_state_name(CONSOLE_DEAD), "dead");
        assert_string_equal(console_state_name(CONSOLE_RETRYING), "retrying");
}

static void test_state_parse_refuses_other_names(void **state)
{
        (void)state;
        assert_int_equal(console_state_parse("Dead"), -1);
        assert_int_equal(console_state_parse("dead "), -1);
        assert_int_equal(console_state_parse("retry"), -1);
        assert_int_equal(console_state_parse(""), -1);
        assert_int_equal(console_state_parse(NULL), -1);
}

static void test_event_record_gives_the_envelope_fields(void **state)
{
        fixture_t fx;
        console_rec_t out;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_EVENTS, "20931", ENVELOPE);
        decode_ok(&fx, &out);
        assert_int_equal(out.kind, CONSOLE_TOPIC_EVENTS);
        assert_int_equal(out.state, CONSOLE_RECEIVED);
        assert_string_equal(out.instance_id, "20931");
        assert_string_equal(out.env_id, "ev_abc-20190115124823395000");
        assert_string_equal(out.object_type, "leads");
        assert_string_equal(out.object_id, "lead_BW9v");
        assert_string_equal(out.event_type, "UPDATED");
        assert_string_equal(out.type, "io.close.lead.updated");
        assert_string_equal(out.origin, "webhook");
        assert_int_equal(out.event_time_ms, ENVELOPE_TIME_MS);
        assert_int_equal(out.at_ms, TS_MS);
        assert_string_equal(out.outcome, "");
        fixture_fini(&fx);
}

static void test_decode_copies_where_the_record_came_from(void **state)
{
        fixture_t fx;
        console_rec_t out;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_EVENTS, "20931", ENVELOPE);
        decode_ok(&fx, &out);
        assert_ptr_equal(out.topic, fx.in.topic);
        assert_int_equal(out.partition, 3);
        assert_int_equal(out.offset, 42);
        assert_int_equal(out.ts_ms, TS_MS);
        fixture_fini(&fx);
}

static void test_event_time_unreadable_is_zero(void **state)
{
        fixture_t fx;
        console_rec_t out;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_EVENTS, "7", "{\"id\":\"ev_1\",\"time\":\"yesterday\"}");
        decode_ok(&fx, &out);
        assert_int_equal(out.event_time_ms, 0);
        assert_string_equal(out.object_type, "");
        fixture_fini(&fx);
}

static void test_event_time_before_1970_rounds_down_to_the_millisecond(void **state)
{
        fixture_t fx;
        console_rec_t out;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_EVENTS, "7",
                     "{\"id\":\"ev_1\",\"time\":\"1969-12-31T23:59:59.9995Z\"}");
        decode_ok(&fx, &out);
        assert_int_equal(out.event_time_ms, -1);
        fixture_fini(&fx);
}

static void test_attempt_record_gives_its_fields(void **state)
{
        fixture_t fx;
        console_rec_t out;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_DELIVERIES, "20931", ATTEMPT_RETRY);
        decode_ok(&fx, &out);
        assert_int_equal(out.state, CONSOLE_RETRYING);
        assert_string_equal(out.env_id, "ev_abc-1");
        assert_string_equal(out.outcome, "retry");
        assert_string_equal(out.url, "https://x/y");
        assert_int_equal(out.attempt, 2);
        assert_int_equal(out.status, 503);
        assert_string_equal(out.error, "HTTP 503");
        assert_int_equal(out.duration_ms, 12);
        assert_int_equal(out.next_due_ms, 1700000000000LL);
        assert_int_equal(out.at_ms, ATTEMPT_AT_MS);
        assert_string_equal(out.reason, "");
        assert_string_equal(out.replay, "");
        fixture_fini(&fx);
}

static void test_attempt_names_the_replay_that_asked_for_it(void **state)
{
        fixture_t fx;
        console_rec_t out;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_DELIVERIES, "20931",
                     "{\"envelopeId\":\"ev_1\",\"attempt\":1,\"status\":200,"
                     "\"outcome\":\"delivered\",\"replay\":\"rp_0123abcd\"}");
        decode_ok(&fx, &out);
        assert_string_equal(out.replay, "rp_0123abcd");
        fixture_fini(&fx);
}

static void test_attempt_outcomes_give_their_states(void **state)
{
        static const struct {
                const char *outcome;
                console_state_t state;
        } cases[] = {
            {"delivered", CONSOLE_DELIVERED},   {"retry", CONSOLE_RETRYING},
            {"breaker-open", CONSOLE_RETRYING}, {"dead", CONSOLE_DEAD},
            {"skipped", CONSOLE_SKIPPED},
        };
        char value[256];
        fixture_t fx;
        console_rec_t out;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                snprintf(value, sizeof(value), "{\"envelopeId\":\"e\",\"outcome\":\"%s\"}",
                         cases[i].outcome);
                fixture_init(&fx, CONSOLE_TOPIC_DELIVERIES, "5", value);
                decode_ok(&fx, &out);
                assert_int_equal(out.state, cases[i].state);
                assert_string_equal(out.outcome, cases[i].outcome);
                fixture_fini(&fx);
        }
}

static void test_attempt_with_nulls_gives_zeros(void **state)
{
        fixture_t fx;
        console_rec_t out;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_DELIVERIES, "5",
                     "{\"envelopeId\":\"e\",\"status\":null,\"error\":null,\"nextDueMs\":null,"
                     "\"outcome\":\"delivered\",\"at\":null}");
        decode_ok(&fx, &out);
        assert_int_equal(out.status, 0);
        assert_string_equal(out.error, "");
        assert_int_equal(out.next_due_ms, 0);
        assert_int_equal(out.at_ms, TS_MS); /* no "at": the record's time */
        fixture_fini(&fx);
}

static void test_skipped_attempt_gives_its_error_as_reason(void **state)
{
        fixture_t fx;
        console_rec_t out;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_DELIVERIES, "5",
                     "{\"envelopeId\":\"e\",\"outcome\":\"skipped\","
                     "\"error\":\"instance disabled\"}");
        decode_ok(&fx, &out);
        assert_int_equal(out.state, CONSOLE_SKIPPED);
        assert_string_equal(out.error, "instance disabled");
        assert_string_equal(out.reason, "instance disabled");
        fixture_fini(&fx);
}

static void test_attempt_with_unknown_outcome_is_refused(void **state)
{
        fixture_t fx;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_DELIVERIES, "5",
                     "{\"envelopeId\":\"e\",\"outcome\":\"maybe\"}");
        decode_fails(&fx, "unknown outcome \"maybe\"");
        fixture_fini(&fx);
}

static void test_attempt_without_outcome_is_refused(void **state)
{
        fixture_t fx;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_DELIVERIES, "5", "{\"envelopeId\":\"e\"}");
        decode_fails(&fx, "outcome");
        fixture_fini(&fx);
}

static void test_attempt_outcome_with_a_nul_is_refused(void **state)
{
        fixture_t fx;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_DELIVERIES, "5",
                     "{\"envelopeId\":\"e\",\"outcome\":\"dead\\u0000x\"}");
        decode_fails(&fx, "unknown outcome");
        fixture_fini(&fx);
}

static void test_attempt_without_envelope_id_is_refused(void **state)
{
        fixture_t fx;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_DELIVERIES, "5",
                     "{\"id\":\"e\",\"outcome\":\"delivered\"}");
        decode_fails(&fx, "envelopeId");
        fixture_fini(&fx);
}

static void test_retry_record_reads_its_headers(void **state)
{
        const console_header_t headers[] = {
            {"content-type", "application/cloudevents+json", 28},
            {"cb-attempt", "3xx", 1},
            {"cb-due-ms", "1700000123456", 13},
            {"cb-last-status", "502", 3},
            {"cb-last-error", "HTTP 502 Bad Gateway and more", 20},
        };
        fixture_t fx;
        console_rec_t out;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_RETRY, "20931", ENVELOPE);
        fx.in.headers = headers;
        fx.in.nheaders = sizeof(headers) / sizeof(headers[0]);
        decode_ok(&fx, &out);
        assert_int_equal(out.state, CONSOLE_RETRYING);
        assert_string_equal(out.env_id, "ev_abc-20190115124823395000");
        assert_string_equal(out.object_id, "lead_BW9v");
        assert_int_equal(out.attempt, 3);
        assert_int_equal(out.next_due_ms, 1700000123456LL);
        assert_int_equal(out.status, 502);
        assert_string_equal(out.error, "HTTP 502 Bad Gateway");
        assert_int_equal(out.at_ms, TS_MS);
        assert_string_equal(out.reason, "");
        fixture_fini(&fx);
}

static void test_retry_record_takes_the_last_of_a_repeated_header(void **state)
{
        const console_header_t headers[] = {
            {"cb-attempt", "2", 1},
            {"cb-attempt", "4", 1},
        };
        fixture_t fx;
        console_rec_t out;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_RETRY, "20931", ENVELOPE);
        fx.in.headers = headers;
        fx.in.nheaders = 2;
        decode_ok(&fx, &out);
        assert_int_equal(out.attempt, 4);
        fixture_fini(&fx);
}

static void test_retry_record_without_headers_gives_zeros(void **state)
{
        fixture_t fx;
        console_rec_t out;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_RETRY, "20931", ENVELOPE);
        decode_ok(&fx, &out);
        assert_int_equal(out.state, CONSOLE_RETRYING);
        assert_int_equal(out.attempt, 0);
        assert_int_equal(out.next_due_ms, 0);
        assert_string_equal(out.error, "");
        fixture_fini(&fx);
}

static void test_retry_record_ignores_headers_that_are_not_numbers(void **state)
{
        const console_header_t headers[] = {
            {"cb-attempt", "-1", 2},
            {"cb-due-ms", "99999999999999999999", 20}, /* beyond int64 */
            {"cb-last-status", "error", 5},
            {"cb-last-error", NULL, 0},
        };
        fixture_t fx;
        console_rec_t out;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_RETRY, "20931", ENVELOPE);
        fx.in.headers = headers;
        fx.in.nheaders = sizeof(headers) / sizeof(headers[0]);
        decode_ok(&fx, &out);
        assert_int_equal(out.attempt, 0);
        assert_int_equal(out.next_due_ms, 0);
        assert_int_equal(out.status, 0);
        assert_string_equal(out.error, "");
        fixture_fini(&fx);
}

static void test_dlq_record_reads_its_dead_reason(void **state)
{
        const console_header_t headers[] = {
            {"cb-attempt", "8", 1},
            {"cb-last-status", "error", 5},
            {"cb-last-error", "connection refused", 18},
            {"cb-dead-reason", "attempts exhausted!!!", 18},
        };
        fixture_t fx;
        console_rec_t out;

        (void)state;
        fixture_init(&fx, CONSOLE_TOPIC_DLQ, "20931", ENVELOPE);
        fx.in.headers = headers;
        fx.in.nheaders = sizeof(headers) / sizeof(headers[0]);
        decode_ok(&fx, &out);
        assert_int_equal(out.state, CONSOLE_DEAD);
        assert_string_equal(out.reason, "attempts exhausted");
        assert_string_equal(out.error, "connection refused");
        assert_int_equal(out.status, 0);
        assert_int_equal(out.attempt, 8);
        assert_int_equal(out.at_ms, TS_MS);
        fixture_fini(&fx);
}

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
            cmocka_unit_test(test_state_names_read_back_as_their_state),
            cmocka_unit_test(test_state_parse_refuses_other_names),
            cmocka_unit_test(test_event_record_gives_the_envelope_fields),
            cmocka_unit_test(test_decode_copies_where_the_record_came_from),
            cmocka_unit_test(test_event_time_unreadable_is_zero),
            cmocka_unit_test(test_event_time_before_1970_rounds_down_to_the_millisecond),
            cmocka_unit_test(test_attempt_record_gives_its_fields),
            cmocka_unit_test(test_attempt_names_the_replay_that_asked_for_it),
            cmocka_unit_test(test_attempt_outcomes_give_their_states),
            cmocka_unit_test(test_attempt_with_nulls_gives_zeros),
            cmocka_unit_test(test_skipped_attempt_gives_its_error_as_reason),
            cmocka_unit_test(test_attempt_with_unknown_outcome_is_refused),
            cmocka_unit_test(test_attempt_without_outcome_is_refused),
            cmocka_unit_test(test_attempt_outcome_with_a_nul_is_refused),
            cmocka_unit_test(test_attempt_without_envelope_id_is_refused),
            cmocka_unit_test(test_retry_record_reads_its_headers),
            cmocka_unit_test(test_retry_record_takes_the_last_of_a_repeated_header),
            cmocka_unit_test(test_retry_record_without_headers_gives_zeros),
            cmocka_unit_test(test_retry_record_ignores_headers_that_are_not_numbers),
            cmocka_unit_test(test_dlq_record_reads_its_dead_reason),
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
