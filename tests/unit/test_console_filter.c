/* Unit tests of the events API's query parameters and page cursor. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "filter.h"
#include "record.h"

/* A fresh filter with name=value set, expecting it to be taken and the filter to check. */
static void set_ok(console_filter_t *f, const char *name, const char *value)
{
        char err[256] = "";

        console_filter_init(f);
        if (console_filter_set(f, name, value, err, sizeof(err)))
                fail_msg("%s=%s refused: %s", name, value, err);
        if (console_filter_check(f, err, sizeof(err)))
                fail_msg("%s=%s fails the check: %s", name, value, err);
}

/* A fresh filter refusing name=value with a message that contains what. */
static void set_fails(const char *name, const char *value, const char *what)
{
        console_filter_t f;
        char err[256] = "";

        console_filter_init(&f);
        assert_int_equal(console_filter_set(&f, name, value, err, sizeof(err)), -1);
        if (!strstr(err, what))
                fail_msg("%s=%s: message \"%s\" lacks \"%s\"", name, value, err, what);
}

static void test_filter_init_is_every_event_first_page(void **state)
{
        console_filter_t f;
        char err[256];

        (void)state;
        memset(&f, 0x5a, sizeof(f));
        console_filter_init(&f);
        assert_int_equal(f.states, 0);
        assert_true(f.since_ms == INT64_MIN);
        assert_true(f.until_ms == INT64_MAX);
        assert_string_equal(f.instance_id, "");
        assert_string_equal(f.object_type, "");
        assert_string_equal(f.object_id, "");
        assert_string_equal(f.event_type, "");
        assert_string_equal(f.origin, "");
        assert_int_equal(f.page_size, CONSOLE_PAGE_DEFAULT);
        assert_int_equal(f.has_cursor, 0);
        assert_int_equal(f.seen, 0);
        assert_int_equal(f.repeated, 0);
        assert_int_equal(console_filter_check(&f, err, sizeof(err)), 0);
}

static void test_filter_takes_one_status(void **state)
{
        console_filter_t f;

        (void)state;
        set_ok(&f, "status", "dead");
        assert_int_equal(f.states, 1u << CONSOLE_DEAD);
}

static void test_filter_takes_a_list_of_statuses(void **state)
{
        console_filter_t f;

        (void)state;
        set_ok(&f, "status", "dead,retrying,received,delivered,skipped");
        assert_int_equal(f.states, (1u << CONSOLE_DEAD) | (1u << CONSOLE_RETRYING) |
                                       (1u << CONSOLE_RECEIVED) | (1u << CONSOLE_DELIVERED) |
                                       (1u << CONSOLE_SKIPPED));
}

static void test_filter_rejects_an_unknown_status(void **state)
{
        (void)state;
        set_fails("status", "dead,gone", "status: unknown state \"gone\"; one of received");
        set_fails("status", "Dead", "status: unknown state");
        set_fails("status", "retry", "status: unknown state");
}

static void test_filter_rejects_an_empty_status_list_item(void **state)
{
        (void)state;
        set_fails("status", "", "status: empty");
        set_fails("status", "dead,", "status: empty");
        set_fails("status", ",dead", "status: empty");
        set_fails("status", "dead,,retrying", "status: empty");
}

static void test_filter_quotes_a_long_value_cut_and_printable(void **state)
{
        console_filter_t f;
        char value[1000], err[512];

        (void)state;
        memset(value, 'x', sizeof(value) - 1);
        value[sizeof(value) - 1] = '\0';
        value[3] = '\n';
        value[4] = '\x01';
        console_filter_init(&f);
        assert_int_equal(console_filter_set(&f, "status", value, err, sizeof(err)), -1);
        assert_true(strlen(err) < 200);
        assert_null(strchr(err, '\n'));
        assert_null(strchr(err, '\x01'));
        assert_non_null(strstr(err, "xxx??xxx"));
}

static void test_filter_takes_since_and_until(void **state)
{
        console_filter_t f;
        char err[256];

        (void)state;
        console_filter_init(&f);
        assert_int_equal(
            console_filter_set(&f, "since", "2017-05-18T21:55:26.451Z", err, sizeof(err)), 0);
        assert_int_equal(
            console_filter_set(&f, "until", "2017-05-18T23:55:27.451+02:00", err, sizeof(err)), 0);
        assert_int_equal(console_filter_check(&f, err, sizeof(err)), 0);
        assert_int_equal(f.since_ms, 1495144526451LL);
        assert_int_equal(f.until_ms, 1495144527451LL);
}

static void test_filter_rounds_since_down_to_the_millisecond(void **state)
{
        console_filter_t f;

        (void)state;
        set_ok(&f, "since", "1969-12-31T23:59:59.9995Z");
        assert_int_equal(f.since_ms, -1);
        set_ok(&f, "since", "2017-05-18T21:55:26.451999Z");
        assert_int_equal(f.since_ms, 1495144526451LL);
}

static void test_filter_rejects_a_date_that_is_not_rfc3339(void **state)
{
        (void)state;
        set_fails("since", "yesterday", "since: not an RFC 3339 date-time \"yesterday\"");
        set_fails("until", "2017-02-30T00:00:00Z", "until: not an RFC 3339");
        set_fails("since", "", "since:");
}

static void test_filter_check_rejects_since_not_before_until(void **state)
{
        console_filter_t f;
        char err[256] = "";

        (void)state;
        console_filter_init(&f);
        assert_int_equal(console_filter_set(&f, "since", "2026-12-01T00:00:00Z", err, sizeof(err)),
                         0);
        assert_int_equal(console_filter_set(&f, "until", "2026-12-01T00:00:00Z", err, sizeof(err)),
                         0);
        assert_int_equal(console_filter_check(&f, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "since must be before until"));
}

static void test_filter_check_rejects_since_after_until(void **state)
{
        console_filter_t f;
        char err[256] = "";

        (void)state;
        console_filter_init(&f);
        assert_int_equal(console_filter_set(&f, "until", "2026-01-01T00:00:00Z", err, sizeof(err)),
                         0);
        assert_int_equal(console_filter_set(&f, "since", "2026-12-01T00:00:00Z", err, sizeof(err)),
                         0);
        assert_int_equal(console_filter_check(&f, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "since"));
}

static void test_filter_takes_object_type_and_id(void **state)
{
        console_filter_t f;
        char err[256];

        (void)state;
        console_filter_init(&f);
        assert_int_equal(console_filter_set(&f, "objectType", "leads", err, sizeof(err)), 0);
        assert_int_equal(console_filter_set(&f, "objectId", "lead_abc", err, sizeof(err)), 0);
        assert_string_equal(f.object_type, "leads");
        assert_string_equal(f.object_id, "lead_abc");
}

static void test_filter_takes_an_object_type_of_exactly_63_bytes(void **state)
{
        console_filter_t f;
        char value[64];

        (void)state;
        memset(value, 'o', 63);
        value[63] = '\0';
        set_ok(&f, "objectType", value);
        assert_string_equal(f.object_type, value);
}

static void test_filter_rejects_an_object_type_too_long_rather_than_cut(void **state)
{
        char value[65];

        (void)state;
        memset(value, 'o', 64);
        value[64] = '\0';
        set_fails("objectType", value, "objectType: too long");
}

static void test_filter_rejects_an_object_id_too_long_rather_than_cut(void **state)
{
        char value[129];

        (void)state;
        memset(value, 'i', 128);
        value[128] = '\0';
        set_fails("objectId", value, "objectId: too long (128 bytes, at most 127)");
}

static void test_filter_takes_an_object_id_of_exactly_127_bytes(void **state)
{
        console_filter_t f;
        char value[128];

        (void)state;
        memset(value, 'i', 127);
        value[127] = '\0';
        set_ok(&f, "objectId", value);
        assert_string_equal(f.object_id, value);
}

static void test_filter_rejects_an_empty_object_id(void **state)
{
        (void)state;
        set_fails("objectId", "", "objectId: empty");
}

static void test_filter_rejects_an_empty_object_type(void **state)
{
        (void)state;
        set_fails("objectType", "", "objectType: empty");
}

static void test_filter_takes_each_event_type(void **state)
{
        static const char *const types[] = {"CREATED", "UPDATED", "DELETED", "UNKNOWN"};
        console_filter_t f;
        size_t i;

        (void)state;
        for (i = 0; i < 4; i++) {
                set_ok(&f, "eventType", types[i]);
                assert_string_equal(f.event_type, types[i]);
        }
}

static void test_filter_rejects_another_event_type(void **state)
{
        (void)state;
        set_fails("eventType", "updated", "eventType: unknown value \"updated\"; one of CREATED");
        set_fails("eventType", "MERGED", "eventType:");
        set_fails("eventType", "", "eventType:");
}

static void test_filter_takes_each_origin(void **state)
{
        console_filter_t f;

        (void)state;
        set_ok(&f, "origin", "webhook");
        assert_string_equal(f.origin, "webhook");
        set_ok(&f, "origin", "polling");
        assert_string_equal(f.origin, "polling");
}

static void test_filter_rejects_another_origin(void **state)
{
        (void)state;
        set_fails("origin", "Webhook", "origin: unknown value \"Webhook\"; one of webhook");
        set_fails("origin", "replay", "origin:");
}

static void test_filter_takes_page_sizes_from_1_to_500(void **state)
{
        console_filter_t f;

        (void)state;
        set_ok(&f, "pageSize", "1");
        assert_int_equal(f.page_size, 1);
        set_ok(&f, "pageSize", "77");
        assert_int_equal(f.page_size, 77);
        set_ok(&f, "pageSize", "500");
        assert_int_equal(f.page_size, CONSOLE_PAGE_MAX);
}

static void test_filter_rejects_page_size_zero(void **state)
{
        (void)state;
        set_fails("pageSize", "0", "pageSize:");
}

static void test_filter_rejects_page_size_above_500(void **state)
{
        (void)state;
        set_fails("pageSize", "501", "pageSize: \"501\" is not a number from 1 to 500");
        set_fails("pageSize", "1000", "pageSize:");
        set_fails("pageSize", "99999999999999999999", "pageSize:");
}

static void test_filter_rejects_page_size_that_is_not_plain_decimal(void **state)
{
        static const char *const bad[] = {"abc", "1e3", "+5", "-5",  " 5",
                                          "5 ",  "05",  "",   "5.0", "0x10"};
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                set_fails("pageSize", bad[i], "pageSize:");
}

static void test_filter_takes_a_cursor_as_next_page(void **state)
{
        console_filter_t f;
        char cursor[CONSOLE_CURSOR_MAX];

        (void)state;
        assert_int_equal(console_cursor_format(1495144526451LL, 812, cursor, sizeof(cursor)), 0);
        set_ok(&f, "nextPage", cursor);
        assert_int_equal(f.has_cursor, 1);
        assert_int_equal(f.cursor_time_ms, 1495144526451LL);
        assert_int_equal(f.cursor_row, 812);
}

static void test_filter_rejects_a_next_page_that_is_not_a_cursor(void **state)
{
        console_filter_t f;
        char err[256] = "";

        (void)state;
        set_fails("nextPage", "c1.5", "nextPage:");
        console_filter_init(&f);
        assert_int_equal(console_filter_set(&f, "nextPage", "", err, sizeof(err)), -1);
        assert_int_equal(f.has_cursor, 0);
}

static void test_filter_rejects_an_unknown_parameter(void **state)
{
        (void)state;
        set_fails("statuss", "dead", "unknown parameter \"statuss\"");
        set_fails("Status", "dead", "unknown parameter \"Status\"");
        set_fails("", "x", "unknown parameter \"\"");
}

static void test_filter_quotes_an_unknown_parameter_cut(void **state)
{
        char name[300], err[512] = "";
        console_filter_t f;

        (void)state;
        memset(name, 'n', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        console_filter_init(&f);
        assert_int_equal(console_filter_set(&f, name, "1", err, sizeof(err)), -1);
        assert_true(strlen(err) < 100);
        assert_non_null(strstr(err, "unknown parameter"));
}

static void test_filter_check_rejects_a_parameter_given_twice(void **state)
{
        console_filter_t f;
        char err[256] = "";

        (void)state;
        console_filter_init(&f);
        assert_int_equal(console_filter_set(&f, "origin", "webhook", err, sizeof(err)), 0);
        assert_int_equal(console_filter_set(&f, "pageSize", "5", err, sizeof(err)), 0);
        assert_int_equal(console_filter_set(&f, "pageSize", "6", err, sizeof(err)), 0);
        assert_int_equal(console_filter_set(&f, "origin", "polling", err, sizeof(err)), 0);
        assert_int_equal(f.repeated, 1);
        assert_int_equal(console_filter_check(&f, err, sizeof(err)), -1);
        assert_string_equal(err, "parameter given twice: pageSize"); /* the first repeated */
}

static void test_filter_keeps_the_first_value_of_a_repeated_parameter(void **state)
{
        console_filter_t f;
        char err[256] = "";

        (void)state;
        console_filter_init(&f);
        assert_int_equal(console_filter_set(&f, "status", "dead", err, sizeof(err)), 0);
        assert_int_equal(console_filter_set(&f, "status", "delivered", err, sizeof(err)), 0);
        assert_int_equal(f.states, 1u << CONSOLE_DEAD);
}

static void test_filter_counts_each_parameter_seen(void **state)
{
        console_filter_t f;
        char err[256] = "";

        (void)state;
        console_filter_init(&f);
        assert_int_equal(console_filter_set(&f, "status", "dead", err, sizeof(err)), 0);
        assert_int_equal(console_filter_set(&f, "objectId", "lead_1", err, sizeof(err)), 0);
        assert_int_equal(__builtin_popcount(f.seen), 2);
        assert_int_equal(f.repeated, 0);
        assert_int_equal(console_filter_check(&f, err, sizeof(err)), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_filter_init_is_every_event_first_page),
            cmocka_unit_test(test_filter_takes_one_status),
            cmocka_unit_test(test_filter_takes_a_list_of_statuses),
            cmocka_unit_test(test_filter_rejects_an_unknown_status),
            cmocka_unit_test(test_filter_rejects_an_empty_status_list_item),
            cmocka_unit_test(test_filter_quotes_a_long_value_cut_and_printable),
            cmocka_unit_test(test_filter_takes_since_and_until),
            cmocka_unit_test(test_filter_rounds_since_down_to_the_millisecond),
            cmocka_unit_test(test_filter_rejects_a_date_that_is_not_rfc3339),
            cmocka_unit_test(test_filter_check_rejects_since_not_before_until),
            cmocka_unit_test(test_filter_check_rejects_since_after_until),
            cmocka_unit_test(test_filter_takes_object_type_and_id),
            cmocka_unit_test(test_filter_takes_an_object_type_of_exactly_63_bytes),
            cmocka_unit_test(test_filter_rejects_an_object_type_too_long_rather_than_cut),
            cmocka_unit_test(test_filter_rejects_an_object_id_too_long_rather_than_cut),
            cmocka_unit_test(test_filter_takes_an_object_id_of_exactly_127_bytes),
            cmocka_unit_test(test_filter_rejects_an_empty_object_id),
            cmocka_unit_test(test_filter_rejects_an_empty_object_type),
            cmocka_unit_test(test_filter_takes_each_event_type),
            cmocka_unit_test(test_filter_rejects_another_event_type),
            cmocka_unit_test(test_filter_takes_each_origin),
            cmocka_unit_test(test_filter_rejects_another_origin),
            cmocka_unit_test(test_filter_takes_page_sizes_from_1_to_500),
            cmocka_unit_test(test_filter_rejects_page_size_zero),
            cmocka_unit_test(test_filter_rejects_page_size_above_500),
            cmocka_unit_test(test_filter_rejects_page_size_that_is_not_plain_decimal),
            cmocka_unit_test(test_filter_takes_a_cursor_as_next_page),
            cmocka_unit_test(test_filter_rejects_a_next_page_that_is_not_a_cursor),
            cmocka_unit_test(test_filter_rejects_an_unknown_parameter),
            cmocka_unit_test(test_filter_quotes_an_unknown_parameter_cut),
            cmocka_unit_test(test_filter_check_rejects_a_parameter_given_twice),
            cmocka_unit_test(test_filter_keeps_the_first_value_of_a_repeated_parameter),
            cmocka_unit_test(test_filter_counts_each_parameter_seen),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
