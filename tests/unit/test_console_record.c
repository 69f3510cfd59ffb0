/* Unit tests of the console's record decoder. */
#include "fixture_console_record.h"

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
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
