/* Unit tests of cb_http_ops: /healthz, /readyz and /metrics, served by a real server on
 * 127.0.0.1 and read with libcurl, and cb_http_serve_ops on a request alone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <json-c/json.h>

#include "cb_http.h"
#include "cb_http_impl.h"
#include "fixture_http.h"

typedef struct {
        cb_http_t *http;
        int port;
        int ready;          /* atomic: what the handler passes to cb_http_serve_ops */
        const char *reason; /* atomic: likewise */
} world_t;

/* What the server's threads will pass on; they read it after the request is sent. */
static void set_ready(world_t *w, int ready, const char *reason)
{
        __atomic_store_n(&w->reason, reason, __ATOMIC_RELEASE);
        __atomic_store_n(&w->ready, ready, __ATOMIC_RELEASE);
}

/* The process's handler in small: the ops endpoints, 404 for the rest. */
static void handler(void *opaque, cb_http_req_t *req)
{
        world_t *w = opaque;

        if (!cb_http_serve_ops(req, __atomic_load_n(&w->ready, __ATOMIC_ACQUIRE),
                               __atomic_load_n(&w->reason, __ATOMIC_ACQUIRE)))
                cb_http_respond_error(req, 404, "no such path");
}

static int setup(void **state)
{
        world_t *w = calloc(1, sizeof(*w));

        if (!w)
                return -1;
        set_ready(w, 1, "");
        w->http = fixture_http_start(handler, w, 1000);
        w->port = cb_http_port(w->http);
        *state = w;
        return w->port > 0 ? 0 : -1;
}

static int teardown(void **state)
{
        world_t *w = *state;

        fixture_http_stop(w->http);
        free(w);
        return 0;
}

static void test_healthz_answers_200_ok_in_json(void **state)
{
        world_t *w = *state;
        fixture_http_reply_t reply;

        /* health does not depend on readiness */
        set_ready(w, 0, "kafka down");
        assert_int_equal(fixture_http_get(w->port, "/healthz", &reply), 200);
        assert_string_equal(reply.body, "{\"status\":\"ok\"}\n");
        assert_non_null(strstr(reply.headers, "Content-Type: application/json\r\n"));
}

static void test_readyz_answers_200_when_ready(void **state)
{
        world_t *w = *state;
        fixture_http_reply_t reply;

        assert_int_equal(fixture_http_get(w->port, "/readyz", &reply), 200);
        assert_string_equal(reply.body, "{\"status\":\"ready\"}\n");
}

static void test_readyz_answers_503_with_the_reason_when_not_ready(void **state)
{
        world_t *w = *state;
        fixture_http_reply_t reply;

        set_ready(w, 0, "kafka not reachable");
        assert_int_equal(fixture_http_get(w->port, "/readyz", &reply), 503);
        assert_string_equal(reply.body,
                            "{\"status\":\"not ready\",\"reason\":\"kafka not reachable\"}\n");
}

static void test_readyz_reason_with_a_quote_stays_valid_json(void **state)
{
        world_t *w = *state;
        fixture_http_reply_t reply;
        json_object *doc, *reason;

        set_ready(w, 0, "topic \"x\" missing");
        assert_int_equal(fixture_http_get(w->port, "/readyz", &reply), 503);
        doc = json_tokener_parse(reply.body);
        assert_non_null(doc);
        assert_true(json_object_object_get_ex(doc, "reason", &reason));
        assert_string_equal(json_object_get_string(reason), "topic \"x\" missing");
        json_object_put(doc);
}

static void test_readyz_long_reason_is_cut_within_the_body(void **state)
{
        world_t *w = *state;
        fixture_http_reply_t reply;
        char reason[600];
        json_object *doc;

        memset(reason, 'r', sizeof(reason) - 1);
        reason[sizeof(reason) - 1] = '\0';
        set_ready(w, 0, reason);
        assert_int_equal(fixture_http_get(w->port, "/readyz", &reply), 503);
        assert_true(reply.len < 512);
        doc = json_tokener_parse(reply.body);
        assert_non_null(doc);
        json_object_put(doc);
}

static void test_metrics_answers_prometheus_text_with_this_request_in_flight(void **state)
{
        world_t *w = *state;
        fixture_http_reply_t reply;

        /* the first request to this server: it is the only one in flight (a later one could
           see its predecessor still completing) */
        assert_int_equal(fixture_http_get(w->port, "/metrics", &reply), 200);
        assert_non_null(
            strstr(reply.headers, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
        assert_non_null(strstr(reply.body, "# TYPE closebridge_http_requests_in_flight gauge\n"));
        assert_non_null(strstr(reply.body, "\nclosebridge_http_requests_in_flight 1\n"));
}

static void test_metrics_counts_answered_requests_by_route(void **state)
{
        world_t *w = *state;
        fixture_http_reply_t reply;

        assert_int_equal(fixture_http_get(w->port, "/healthz", &reply), 200);
        assert_int_equal(fixture_http_get(w->port, "/nowhere", &reply), 404);
        assert_int_equal(fixture_http_get(w->port, "/metrics", &reply), 200);
        assert_non_null(
            strstr(reply.body, "closebridge_http_requests_total{route=\"healthz\",code=\"200\"} "));
        assert_non_null(
            strstr(reply.body, "closebridge_http_requests_total{route=\"other\",code=\"404\"} "));
}

static void test_other_methods_get_405_with_allow(void **state)
{
        world_t *w = *state;
        fixture_http_reply_t reply;

        assert_int_equal(fixture_http_call(w->port, "POST", "/metrics", "{}", 2, 0, NULL, &reply),
                         CURLE_OK);
        assert_int_equal(reply.status, 405);
        assert_non_null(strstr(reply.headers, "Allow: GET, HEAD\r\n"));
        assert_non_null(strstr(reply.body, "\"status\":405"));
}

static void test_head_answers_like_get_without_a_body(void **state)
{
        world_t *w = *state;
        fixture_http_reply_t reply;

        set_ready(w, 0, "starting");
        assert_int_equal(fixture_http_call(w->port, "HEAD", "/readyz", NULL, 0, 0, NULL, &reply),
                         CURLE_OK);
        assert_int_equal(reply.status, 503);
        assert_int_equal(reply.len, 0);
}

static void test_other_paths_are_left_to_the_process(void **state)
{
        world_t *w = *state;
        fixture_http_reply_t reply;

        assert_int_equal(fixture_http_get(w->port, "/healthzz", &reply), 404);
        assert_int_equal(fixture_http_get(w->port, "/", &reply), 404);
}

static void test_serve_ops_names_the_route_and_answers_a_request_alone(void **state)
{
        cb_http_req_t *health = cb_http_req_new(NULL, NULL, "/healthz", "GET");
        cb_http_req_t *other = cb_http_req_new(NULL, NULL, "/webhook", "GET");

        (void)state;
        assert_int_equal(cb_http_serve_ops(health, 0, NULL), 1);
        assert_int_equal(health->status, 200);
        assert_string_equal(health->route, "healthz");
        assert_int_equal(cb_http_serve_ops(other, 1, ""), 0);
        assert_false(other->answered);
        assert_null(other->route);
        cb_http_req_unref(health);
        cb_http_req_unref(other);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_healthz_answers_200_ok_in_json, setup, teardown),
            cmocka_unit_test_setup_teardown(test_readyz_answers_200_when_ready, setup, teardown),
            cmocka_unit_test_setup_teardown(test_readyz_answers_503_with_the_reason_when_not_ready,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_readyz_reason_with_a_quote_stays_valid_json, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_readyz_long_reason_is_cut_within_the_body, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(
                test_metrics_answers_prometheus_text_with_this_request_in_flight, setup, teardown),
            cmocka_unit_test_setup_teardown(test_metrics_counts_answered_requests_by_route, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_other_methods_get_405_with_allow, setup, teardown),
            cmocka_unit_test_setup_teardown(test_head_answers_like_get_without_a_body, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_other_paths_are_left_to_the_process, setup,
                                            teardown),
            cmocka_unit_test(test_serve_ops_names_the_route_and_answers_a_request_alone),
        };
        int failed;

        curl_global_init(CURL_GLOBAL_DEFAULT);
        failed = cmocka_run_group_tests(tests, NULL, NULL);
        curl_global_cleanup();
        return failed;
}
