/* console route: the paths of the events API, what each names, and what is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "route.h"

static void test_route_lists_of_every_instance_and_of_one(void **state)
{
        console_route_t r;

        (void)state;
        assert_int_equal(console_route_parse("/instances/events", &r), 1);
        assert_false(r.one || r.redeliver);
        assert_string_equal(r.instance_id, "");
        assert_int_equal(console_route_parse("/instances/20931/events", &r), 1);
        assert_false(r.one);
        assert_string_equal(r.instance_id, "20931");
        /* the Cloud Elements prefix names the same */
        assert_int_equal(console_route_parse("/elements/api-v2/instances/20931/events", &r), 1);
        assert_string_equal(r.instance_id, "20931");
}

static void test_route_one_event_with_or_without_its_instance(void **state)
{
        console_route_t r;

        (void)state;
        assert_int_equal(console_route_parse("/instances/events/ev_1-2019", &r), 1);
        assert_true(r.one);
        assert_string_equal(r.env_id, "ev_1-2019");
        assert_string_equal(r.instance_id, "");
        assert_int_equal(console_route_parse("/instances/7/events/cb_abc", &r), 1);
        assert_true(r.one && !r.redeliver);
        assert_string_equal(r.instance_id, "7");
        assert_string_equal(r.env_id, "cb_abc");
}

static void test_route_event_ids_hold_whatever_an_envelope_id_may(void **state)
{
        console_route_t r;

        (void)state;
        /* a Close event id with '/', UTF-8 or a control byte, decoded from %2F, %C3%A9, %01 */
        assert_int_equal(console_route_parse("/instances/4242/events/ev/slash_2019", &r), 1);
        assert_string_equal(r.env_id, "ev/slash_2019");
        assert_int_equal(console_route_parse("/instances/events/ev_\xc3\xa9t\xc3\xa9_1", &r), 1);
        assert_string_equal(r.env_id, "ev_\xc3\xa9t\xc3\xa9_1");
        assert_int_equal(console_route_parse("/instances/events/ev\x01 x_1/redeliver", &r), 1);
        assert_true(r.redeliver);
        assert_string_equal(r.env_id, "ev\x01 x_1");
}

static void test_route_redeliver_of_one_event(void **state)
{
        console_route_t r;

        (void)state;
        assert_int_equal(console_route_parse("/instances/7/events/cb_abc/redeliver", &r), 1);
        assert_true(r.one && r.redeliver);
        assert_string_equal(r.env_id, "cb_abc");
        assert_int_equal(console_route_parse("/instances/events/cb_abc/redeliver", &r), 1);
        assert_true(r.redeliver);
        assert_string_equal(r.instance_id, "");
        /* ".../events/redeliver" is a filter's redelivery, a replay task */
        assert_int_equal(console_route_parse("/instances/7/events/redeliver", &r), 1);
        assert_true(r.bulk && !r.one && !r.redeliver && !r.task);
        assert_string_equal(r.instance_id, "7");
        assert_string_equal(r.env_id, "");
        assert_int_equal(console_route_parse("/instances/events/redeliver", &r), 1);
        assert_true(r.bulk && !r.one && !r.redeliver);
        assert_string_equal(r.instance_id, "");
        assert_int_equal(console_route_parse("/elements/api-v2/instances/7/events/redeliver", &r),
                         1);
        assert_true(r.bulk && !r.one);
        assert_string_equal(r.instance_id, "7");
        assert_int_equal(console_route_parse("/elements/api-v2/instances/events/redeliver", &r), 1);
        assert_true(r.bulk && !r.one);
        assert_string_equal(r.instance_id, "");
        /* the event "redeliver" is redelivered by its own path */
        assert_int_equal(console_route_parse("/instances/events/redeliver/redeliver", &r), 1);
        assert_true(r.one && r.redeliver && !r.bulk);
        assert_string_equal(r.env_id, "redeliver");
        assert_string_equal(r.instance_id, "");
        /* and read by the path of any other event */
        assert_int_equal(console_route_parse("/instances/7/events/redeliver/x", &r), 1);
        assert_true(r.one && !r.redeliver && !r.bulk);
        assert_string_equal(r.env_id, "redeliver/x");
}

static void test_route_tasks(void **state)
{
        console_route_t r;
        char id[CONSOLE_TASK_ID_MAX], path[100];

        (void)state;
        assert_int_equal(console_task_id(id, sizeof(id)), 0);
        snprintf(path, sizeof(path), "/tasks/%s", id);
        assert_int_equal(console_route_parse(path, &r), 1);
        assert_true(r.task && !r.one && !r.bulk && !r.redeliver);
        assert_string_equal(r.task_id, id);
        assert_string_equal(r.instance_id, "");
        snprintf(path, sizeof(path), "/elements/api-v2/tasks/%s", id);
        assert_int_equal(console_route_parse(path, &r), 1);
        assert_true(r.task);
        assert_string_equal(r.task_id, id);
        /* paths of a task whose id cannot be one: no such task */
        assert_int_equal(console_route_parse("/tasks/tk_nothex", &r), -1);
        assert_int_equal(console_route_parse("/tasks/", &r), -1);
        assert_int_equal(console_route_parse("/tasks/TK_0123456789ABCDEF", &r), -1);
        snprintf(path, sizeof(path), "/tasks/%s/x", id);
        assert_int_equal(console_route_parse(path, &r), -1);
        snprintf(path, sizeof(path), "/tasks/%s0", id);
        assert_int_equal(console_route_parse(path, &r), -1);
        snprintf(path, sizeof(path), "/tasks/%s%s%s", id, id, id);
        assert_int_equal(console_route_parse(path, &r), -1);
        assert_string_equal(r.task_id, "");
        /* not a path of the API */
        assert_int_equal(console_route_parse("/tasksx", &r), 0);
        assert_int_equal(console_route_parse("/tasks", &r), 0);
        assert_int_equal(console_route_parse("/elements/api-v2/tasksx", &r), 0);
}

static void test_route_refuses_ids_that_cannot_be(void **state)
{
        console_route_t r;
        char path[300];

        (void)state;
        assert_int_equal(console_route_parse("/instances/abc/events", &r), -1);
        assert_int_equal(console_route_parse("/instances/0/events", &r), -1);
        assert_int_equal(console_route_parse("/instances/007/events", &r), -1);
        assert_int_equal(console_route_parse("/instances/1234567890123456789012345/events", &r),
                         -1);
        assert_int_equal(console_route_parse("/instances/events/", &r), -1);
        assert_int_equal(console_route_parse("/instances/7/events//redeliver", &r), -1);
        /* a bad instance id still says what the path is: the method it takes (405 or 404) */
        assert_int_equal(console_route_parse("/instances/1000000000000000000/events/redeliver", &r),
                         -1);
        assert_true(r.bulk && !r.one);
        assert_int_equal(
            console_route_parse("/instances/1234567890123456789012345/events/e1/redeliver", &r),
            -1);
        assert_true(r.redeliver && r.one);
        memset(path, 'a', sizeof(path));
        memcpy(path, "/instances/events/", 18);
        path[18 + 128] = '\0'; /* an id of 128 bytes: one too many */
        assert_int_equal(console_route_parse(path, &r), -1);
        path[18 + 127] = '\0';
        assert_int_equal(console_route_parse(path, &r), 1);
        assert_int_equal(strlen(r.env_id), 127);
}

static void test_route_the_pages_instances(void **state)
{
        console_route_t r;

        (void)state;
        assert_int_equal(console_route_parse("/console/api/instances", &r), 1);
        assert_true(r.summary && !r.one && !r.task && !r.bulk && r.instance_id[0] == '\0');
        assert_int_equal(console_route_parse("/elements/api-v2/console/api/instances", &r), 0);
        assert_int_equal(console_route_parse("/console/api/instances/7", &r), 0);
        assert_int_equal(console_route_parse("/console/", &r), 0);
}

static void test_route_leaves_other_paths_to_the_caller(void **state)
{
        console_route_t r;
        static const char *const others[] = {
            "/",
            "/instances",
            "/instances/7",
            "/instances/7/other",
            "/healthz",
            "/instances/7/eventsx",
            "/instances/eventsx",
            "/tasks",
            "instances/events",
            "/elements/api-v2",
            "/tasksx",
        };
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
                if (console_route_parse(others[i], &r) == 1)
                        fail_msg("%s taken as a path of the events API", others[i]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_route_lists_of_every_instance_and_of_one),
            cmocka_unit_test(test_route_one_event_with_or_without_its_instance),
            cmocka_unit_test(test_route_event_ids_hold_whatever_an_envelope_id_may),
            cmocka_unit_test(test_route_redeliver_of_one_event),
            cmocka_unit_test(test_route_tasks),
            cmocka_unit_test(test_route_refuses_ids_that_cannot_be),
            cmocka_unit_test(test_route_the_pages_instances),
            cmocka_unit_test(test_route_leaves_other_paths_to_the_caller),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
