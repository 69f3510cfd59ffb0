/* Unit tests of cb_http, the server: starting on an address, the port the system chose,
 * draining the requests in progress, and quiescing, against libcurl on 127.0.0.1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include "cb_http.h"
#include "fixture_http.h"

typedef struct {
        fixture_http_held_t h; /* its mtx guards calls too */
        cb_http_t *http;
        int port;
        int calls;
} world_t;

/* Appends "name=value;" ("name;" without a value) to the text at opaque; stops at "stop". */
static int collect_arg(void *opaque, const char *name, const char *value)
{
        char *out = opaque;
        size_t len = strlen(out);

        snprintf(out + len, 256 - len, value ? "%s=%s;" : "%s;", name, value);
        return strcmp(name, "stop") ? 0 : 7;
}

static void handler(void *opaque, cb_http_req_t *req)
{
        world_t *w = opaque;
        char args[256] = "";

        if (!strcmp(cb_http_req_path(req), "/args")) {
                int rc = cb_http_req_args(req, collect_arg, args);

                snprintf(args + strlen(args), sizeof(args) - strlen(args), "rc=%d", rc);
                cb_http_respond(req, 200, "text/plain", args, strlen(args), NULL, NULL);
                return;
        }

        pthread_mutex_lock(&w->h.mtx);
        w->calls++;
        if (!fixture_http_keep(&w->h, req))
                cb_http_respond(req, 200, NULL, "{}", 2, NULL, NULL);
        pthread_mutex_unlock(&w->h.mtx);
}

static int setup(void **state)
{
        world_t *w = calloc(1, sizeof(*w));

        if (!w)
                return -1;
        fixture_http_held_init(&w->h);
        w->http = fixture_http_start(handler, w, 1000);
        w->port = cb_http_port(w->http);
        *state = w;
        return 0;
}

static int teardown(void **state)
{
        world_t *w = *state;

        fixture_http_stop(w->http);
        fixture_http_held_fini(&w->h);
        free(w);
        return 0;
}

static void test_port_0_listens_on_a_port_the_system_chose(void **state)
{
        world_t *w = *state;
        fixture_http_reply_t reply;

        assert_true(w->port > 0 && w->port < 65536);
        assert_int_equal(fixture_http_get(w->port, "/", &reply), 200);
        assert_string_equal(reply.body, "{}");
}

static void test_start_refuses_a_bind_that_is_not_an_ip_address(void **state)
{
        cb_http_conf_t conf = {.bind = "localhost",
                               .threads = 1,
                               .max_body = 10,
                               .idle_timeout_s = 1,
                               .max_connections = 4,
                               .handler = handler};
        char errstr[256] = "";

        (void)state;
        assert_null(cb_http_start(&conf, errstr, sizeof(errstr)));
        assert_string_equal(errstr, "\"localhost\" is not an IPv4 or IPv6 address");
}

static void test_start_reports_a_port_already_taken(void **state)
{
        world_t *w = *state;
        cb_http_conf_t conf = {.bind = "127.0.0.1",
                               .port = w->port,
                               .threads = 1,
                               .max_body = 10,
                               .idle_timeout_s = 1,
                               .max_connections = 4,
                               .handler = handler};
        char errstr[256] = "";

        assert_null(cb_http_start(&conf, errstr, sizeof(errstr)));
        assert_non_null(strstr(errstr, "cannot listen on 127.0.0.1 port"));
}

static void test_drain_waits_for_a_request_the_process_holds(void **state)
{
        world_t *w = *state;
        fixture_http_client_t client;
        cb_http_req_t *req;

        w->h.defer = 1;
        assert_int_equal(fixture_http_client_start(&client, w->port), 0);
        req = fixture_http_wait_held(&w->h);
        assert_non_null(req);
        /* held, so in progress: the drain runs out */
        assert_int_equal(cb_http_drain(w->http, 50), -1);
        assert_int_equal(cb_http_respond(req, 202, NULL, "{}", 2, NULL, NULL), 0);
        cb_http_req_unref(req);
        fixture_http_client_join(&client);
        assert_int_equal(client.rc, CURLE_OK);
        assert_int_equal(client.reply.status, 202);
        assert_int_equal(cb_http_drain(w->http, 10000), 0);
}

static void test_after_quiesce_a_kept_open_connection_gets_503_and_is_closed(void **state)
{
        world_t *w = *state;
        fixture_http_reply_t reply;
        char url[64];
        long status = 0, connects = -1;
        CURL *curl = curl_easy_init();

        assert_non_null(curl);
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/", w->port);
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fixture_http_on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, fixture_http_on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply);
        memset(&reply, 0, sizeof(reply));
        assert_int_equal(curl_easy_perform(curl), CURLE_OK);
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        assert_int_equal(status, 200);
        assert_null(strstr(reply.headers, "Connection: close"));

        cb_http_quiesce(w->http);
        cb_http_quiesce(w->http); /* a second time does nothing more */
        memset(&reply, 0, sizeof(reply));
        assert_int_equal(curl_easy_perform(curl), CURLE_OK);
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
        assert_int_equal(connects, 0); /* the same connection */
        assert_int_equal(status, 503);
        assert_non_null(strstr(reply.headers, "Retry-After: 1\r\n"));
        assert_non_null(strstr(reply.headers, "Connection: close\r\n"));
        assert_non_null(strstr(reply.body, "shutting down"));
        curl_easy_cleanup(curl);
        pthread_mutex_lock(&w->h.mtx);
        assert_int_equal(w->calls, 1); /* the 503 did not reach the handler */
        pthread_mutex_unlock(&w->h.mtx);
}

static void test_args_come_decoded_in_order_and_a_callback_can_stop_them(void **state)
{
        world_t *w = *state;
        fixture_http_reply_t reply;

        assert_int_equal(fixture_http_get(w->port, "/args?status=dead%2Cretrying&flag&a=1", &reply),
                         200);
        assert_string_equal(reply.body, "status=dead,retrying;flag;a=1;rc=0");
        assert_int_equal(fixture_http_get(w->port, "/args?x=1&stop=2&never=3", &reply), 200);
        assert_string_equal(reply.body, "x=1;stop=2;rc=7");
}

static void test_stop_of_null_does_nothing(void **state)
{
        (void)state;
        cb_http_stop(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_port_0_listens_on_a_port_the_system_chose, setup,
                                            teardown),
            cmocka_unit_test(test_start_refuses_a_bind_that_is_not_an_ip_address),
            cmocka_unit_test_setup_teardown(test_start_reports_a_port_already_taken, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_drain_waits_for_a_request_the_process_holds, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(
                test_after_quiesce_a_kept_open_connection_gets_503_and_is_closed, setup, teardown),
            cmocka_unit_test_setup_teardown(
                test_args_come_decoded_in_order_and_a_callback_can_stop_them, setup, teardown),
            cmocka_unit_test(test_stop_of_null_does_nothing),
        };
        int failed;

        curl_global_init(CURL_GLOBAL_DEFAULT);
        failed = cmocka_run_group_tests(tests, NULL, NULL);
        curl_global_cleanup();
        return failed;
}
