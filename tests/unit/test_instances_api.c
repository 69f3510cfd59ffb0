/* Unit tests of the instances API's routing: which method and path go to which operation, and
 * the 404 and 405 answers of the others. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "instances_api.h"

static void test_api_routes_the_collection_to_list_and_create(void **state)
{
        ingest_instances_route_t route;

        (void)state;
        assert_int_equal(ingest_instances_route("GET", "", &route), 0);
        assert_int_equal(route.op, INGEST_INSTANCES_LIST);
        assert_string_equal(route.id, "");
        assert_int_equal(ingest_instances_route("POST", "/", &route), 0);
        assert_int_equal(route.op, INGEST_INSTANCES_CREATE);
        assert_string_equal(route.id, "");
}

static void test_api_routes_an_instance_to_get_patch_and_delete(void **state)
{
        static const struct {
                const char *method;
                ingest_instances_op_t op;
        } cases[] = {{"GET", INGEST_INSTANCES_GET},
                     {"PATCH", INGEST_INSTANCES_PATCH},
                     {"DELETE", INGEST_INSTANCES_DELETE}};
        ingest_instances_route_t route;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                assert_int_equal(ingest_instances_route(cases[i].method, "/20931", &route), 0);
                assert_int_equal(route.op, cases[i].op);
                assert_string_equal(route.id, "20931");
        }
}

static void test_api_refuses_other_methods_with_allow(void **state)
{
        ingest_instances_route_t route;

        (void)state;
        assert_int_equal(ingest_instances_route("PUT", "", &route), 405);
        assert_string_equal(route.message, "use GET or POST");
        assert_string_equal(route.allow, "GET, POST");
        assert_int_equal(ingest_instances_route("DELETE", "/", &route), 405);
        assert_int_equal(ingest_instances_route("POST", "/20931", &route), 405);
        assert_string_equal(route.message, "use GET, PATCH or DELETE");
        assert_string_equal(route.allow, "GET, PATCH, DELETE");
}

static void test_api_answers_404_for_what_is_not_an_instance_id(void **state)
{
        static const char *const rests[] = {
            "/0", "/abc", "/20931/", "/-1", "/1234567890123456789", "/007", "x1", "//1", "/1 "};
        ingest_instances_route_t route;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(rests) / sizeof(rests[0]); i++) {
                assert_int_equal(ingest_instances_route("GET", rests[i], &route), 404);
                assert_string_equal(route.message, "unknown instance");
                assert_null(route.allow);
        }
        /* the id is judged before the method */
        assert_int_equal(ingest_instances_route("PUT", "/abc", &route), 404);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_api_routes_the_collection_to_list_and_create),
            cmocka_unit_test(test_api_routes_an_instance_to_get_patch_and_delete),
            cmocka_unit_test(test_api_refuses_other_methods_with_allow),
            cmocka_unit_test(test_api_answers_404_for_what_is_not_an_instance_id),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
