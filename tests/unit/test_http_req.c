/* Unit tests of cb_http_req: the request object of cb_http. Its pure parts (body, accessors,
 * the one answer, references) directly; its life on a connection (headers, 413, an answer from
 * another thread) through a real server on 127.0.0.1 and libcurl. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>
#include <json-c/json.h>

#include "cb_http.h"
#include "cb_http_impl.h"
#include "cb_metrics.h"
#include "fixture_http.h"

/* --- the request alone --- */

static void test_body_grows_across_chunks_and_stays_nul_terminated(void **state)
{
        cb_http_req_t *req = cb_http_req_new(NULL, NULL, "/hook", "POST");
        char big[3000];
        const char *body;
        size_t len;

        (void)state;
        assert_non_null(req);
        memset(big, 'x', sizeof(big));
        assert_int_equal(cb_http_req_append(req, "abc", 3, 10000), 0);
        assert_int_equal(cb_http_req_append(req, big, sizeof(big), 10000), 0);
        body = cb_http_req_body(req, &len);
        assert_int_equal(len, 3 + sizeof(big));
        assert_memory_equal(body, "abcxxx", 6);
        assert_int_equal(body[len], '\0');
        assert_int_equal(req->too_big, 0);
        cb_http_req_unref(req);
}

static void test_body_past_the_limit_marks_the_request_too_big_and_keeps_no_more(void **state)
{
        cb_http_req_t *req = cb_http_req_new(NULL, NULL, "/hook", "POST");
        size_t len;

        (void)state;
        assert_int_equal(cb_http_req_append(req, "123456", 6, 10), 0);
        assert_int_equal(cb_http_req_append(req, "78901", 5, 10), -1);
        assert_int_equal(req->too_big, 1);
        /* even what would fit is refused now */
        assert_int_equal(cb_http_req_append(req, "7", 1, 10), -1);
        assert_string_equal(cb_http_req_body(req, &len), "123456");
        assert_int_equal(len, 6);
        cb_http_req_unref(req);
}

static void test_body_exactly_at_the_limit_is_kept(void **state)
{
        cb_http_req_t *req = cb_http_req_new(NULL, NULL, "/hook", "POST");
        size_t len;

        (void)state;
        assert_int_equal(cb_http_req_append(req, "12345", 5, 10), 0);
        assert_int_equal(cb_http_req_append(req, "67890", 5, 10), 0);
        assert_string_equal(cb_http_req_body(req, &len), "1234567890");
        assert_int_equal(len, 10);
        cb_http_req_unref(req);
}

static void test_request_without_a_body_reads_as_empty_text(void **state)
{
        cb_http_req_t *req = cb_http_req_new(NULL, NULL, "/healthz", "GET");
        size_t len = 99;

        (void)state;
        assert_string_equal(cb_http_req_body(req, &len), "");
        assert_int_equal(len, 0);
        assert_string_equal(cb_http_req_method(req), "GET");
        assert_string_equal(cb_http_req_path(req), "/healthz");
        /* no connection: no headers, and no crash */
        assert_null(cb_http_req_header(req, "Host"));
        cb_http_req_unref(req);
}

static void test_method_and_path_are_copies(void **state)
{
        char method[] = "PUT", path[] = "/a";
        cb_http_req_t *req = cb_http_req_new(NULL, NULL, path, method);

        (void)state;
        method[0] = path[1] = 'Z';
        assert_string_equal(cb_http_req_method(req), "PUT");
        assert_string_equal(cb_http_req_path(req), "/a");
        cb_http_req_unref(req);
}

static void test_a_request_is_answered_once_and_later_answers_are_refused(void **state)
{
        cb_http_req_t *req = cb_http_req_new(NULL, NULL, "/hook", "POST");

        (void)state;
        assert_int_equal(cb_http_respond(req, 202, "text/plain", "first", 5, "X-A", "1"), 0);
        assert_int_equal(cb_http_respond(req, 500, NULL, "second", 6, NULL, NULL), -1);
        assert_int_equal(cb_http_respond_error(req, 503, "third"), -1);
        assert_int_equal(req->status, 202);
        assert_int_equal(req->resp_len, 5);
        assert_memory_equal(req->resp_body, "first", 5);
        assert_string_equal(req->resp_type, "text/plain");
        assert_string_equal(req->extra_name, "X-A");
        assert_string_equal(req->extra_value, "1");
        cb_http_req_unref(req);
}

static void test_an_answer_without_content_type_is_json(void **state)
{
        cb_http_req_t *req = cb_http_req_new(NULL, NULL, "/hook", "POST");

        (void)state;
        assert_int_equal(cb_http_respond(req, 204, NULL, NULL, 0, NULL, NULL), 0);
        assert_string_equal(req->resp_type, "application/json");
        assert_int_equal(req->resp_len, 0);
        assert_null(req->extra_name);
        cb_http_req_unref(req);
}

static void test_error_answer_escapes_quotes_and_control_characters(void **state)
{
        cb_http_req_t *req = cb_http_req_new(NULL, NULL, "/hook", "POST");

        (void)state;
        assert_int_equal(cb_http_respond_error_h(req, 400, "bad \"id\"\n", "Allow", "POST"), 0);
        assert_int_equal(req->status, 400);
        assert_int_equal(
            req->resp_len,
            strlen("{\"error\":{\"status\":400,\"message\":\"bad \\\"id\\\"\\n\"}}\n"));
        assert_memory_equal(req->resp_body,
                            "{\"error\":{\"status\":400,\"message\":\"bad \\\"id\\\"\\n\"}}\n",
                            req->resp_len);
        assert_string_equal(req->extra_name, "Allow");
        cb_http_req_unref(req);
}

static void test_an_overlong_error_message_is_cut_not_overrun(void **state)
{
        cb_http_req_t *req = cb_http_req_new(NULL, NULL, "/hook", "POST");
        char message[2000], *text;
        json_object *doc, *error, *msg;

        (void)state;
        memset(message, 'm', sizeof(message) - 1);
        message[sizeof(message) - 1] = '\0';
        assert_int_equal(cb_http_respond_error(req, 400, message), 0);
        assert_true(req->resp_len < 1024);
        /* the message is cut, the JSON around it kept */
        text = strndup(req->resp_body, req->resp_len);
        doc = json_tokener_parse(text);
        free(text);
        assert_non_null(doc);
        assert_true(json_object_object_get_ex(doc, "error", &error));
        assert_true(json_object_object_get_ex(error, "message", &msg));
        assert_true(json_object_get_string_len(msg) > 100);
        assert_true(json_object_get_string_len(msg) < (int)strlen(message));
        assert_memory_equal(json_object_get_string(msg), message, json_object_get_string_len(msg));
        json_object_put(doc);
        cb_http_req_unref(req);
}

static void test_a_reference_keeps_the_request_after_the_server_lets_go(void **state)
{
        cb_http_req_t *req = cb_http_req_new(NULL, NULL, "/hook", "POST");
        size_t len;

        (void)state;
        assert_ptr_equal(cb_http_req_ref(req), req);
        assert_int_equal(cb_http_req_append(req, "kept", 4, 100), 0);
        cb_http_req_detach(req); /* the server's reference */
        assert_null(req->conn);
        /* still ours: readable and answerable (ASan reports a use after free otherwise) */
        assert_string_equal(cb_http_req_body(req, &len), "kept");
        assert_int_equal(cb_http_respond(req, 202, NULL, "{}", 2, NULL, NULL), 0);
        cb_http_req_unref(req);
        cb_http_req_unref(NULL); /* a no-op */
}

/* --- the request on a real server --- */

typedef struct {
        fixture_http_held_t h; /* its mtx guards what the handler records too */
        cb_http_t *http;
        int port;
        int calls;
        char method[16], path[64], header[64], body[4096];
        size_t body_len;
        int second_answer; /* what a second cb_http_respond in the handler returned */
} world_t;

static void copy_text(char *out, size_t out_size, const char *s)
{
        snprintf(out, out_size, "%s", s ? s : "(none)");
}

static void handler(void *opaque, cb_http_req_t *req)
{
        world_t *w = opaque;
        const char *body;

        pthread_mutex_lock(&w->h.mtx);
        w->calls++;
        copy_text(w->method, sizeof(w->method), cb_http_req_method(req));
        copy_text(w->path, sizeof(w->path), cb_http_req_path(req));
        copy_text(w->header, sizeof(w->header), cb_http_req_header(req, "x-test"));
        body = cb_http_req_body(req, &w->body_len);
        if (w->body_len < sizeof(w->body))
                memcpy(w->body, body, w->body_len + 1);
        cb_http_req_set_route(req, "req_test");
        if (fixture_http_keep(&w->h, req)) {
                pthread_mutex_unlock(&w->h.mtx);
                return;
        }
        cb_http_respond(req, 201, "text/plain", "made\n", 5, "X-Made", "yes");
        w->second_answer = cb_http_respond(req, 500, NULL, "no", 2, NULL, NULL);
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
        return w->port > 0 ? 0 : -1;
}

static int teardown(void **state)
{
        world_t *w = *state;

        fixture_http_stop(w->http);
        fixture_http_held_fini(&w->h);
        free(w);
        return 0;
}

static void test_handler_sees_method_path_body_and_headers_once(void **state)
{
        world_t *w = *state;
        fixture_http_reply_t reply;

        assert_int_equal(fixture_http_call(w->port, "POST", "/hook?x=1", "{\"a\":1}", 7, 0,
                                           "X-Test: hello", &reply),
                         CURLE_OK);
        assert_int_equal(reply.status, 201);
        assert_string_equal(reply.body, "made\n");
        assert_non_null(strstr(reply.headers, "X-Made: yes\r\n"));
        assert_non_null(strstr(reply.headers, "Content-Type: text/plain\r\n"));
        pthread_mutex_lock(&w->h.mtx); /* the handler wrote under it */
        assert_int_equal(w->calls, 1);
        assert_string_equal(w->method, "POST");
        assert_string_equal(w->path, "/hook");
        assert_string_equal(w->header, "hello");
        assert_int_equal(w->body_len, 7);
        assert_string_equal(w->body, "{\"a\":1}");
        assert_int_equal(w->second_answer, -1);
        pthread_mutex_unlock(&w->h.mtx);
}

static void test_chunked_body_arrives_whole(void **state)
{
        world_t *w = *state;
        fixture_http_reply_t reply;
        char body[900];

        memset(body, 'c', sizeof(body));
        assert_int_equal(
            fixture_http_call(w->port, "POST", "/hook", body, sizeof(body), 1, NULL, &reply),
            CURLE_OK);
        assert_int_equal(reply.status, 201);
        pthread_mutex_lock(&w->h.mtx);
        assert_int_equal(w->body_len, sizeof(body));
        assert_memory_equal(w->body, body, sizeof(body));
        pthread_mutex_unlock(&w->h.mtx);
}

/* A body of size bytes (over the 1000 the server takes), declared or chunked, gets 413 with the
 * error document and never reaches the handler. */
static void post_over_the_limit(world_t *w, size_t size, int chunked)
{
        fixture_http_reply_t reply;
        char body[1500];

        assert_true(size <= sizeof(body));
        memset(body, 'b', size);
        assert_int_equal(
            fixture_http_call(w->port, "POST", "/hook", body, size, chunked, NULL, &reply),
            CURLE_OK);
        assert_int_equal(reply.status, 413);
        assert_non_null(strstr(reply.body, "\"status\":413"));
        pthread_mutex_lock(&w->h.mtx);
        assert_int_equal(w->calls, 0);
        pthread_mutex_unlock(&w->h.mtx);
}

static void test_declared_body_over_the_limit_gets_413_without_the_handler(void **state)
{
        post_over_the_limit(*state, 1001, 0);
}

static void test_chunked_body_over_the_limit_gets_413_without_the_handler(void **state)
{
        post_over_the_limit(*state, 1500, 1);
}

static void test_an_answer_from_another_thread_resumes_the_waiting_connection(void **state)
{
        world_t *w = *state;
        fixture_http_client_t client;
        cb_http_req_t *req;

        w->h.defer = 1;
        assert_int_equal(fixture_http_client_start(&client, w->port), 0);
        req = fixture_http_wait_held(&w->h);
        assert_non_null(req);
        assert_int_equal(cb_http_respond(req, 202, NULL, "{\"later\":1}", 11, "Retry-After", "3"),
                         0);
        cb_http_req_unref(req);
        fixture_http_client_join(&client);
        assert_int_equal(client.rc, CURLE_OK);
        assert_int_equal(client.reply.status, 202);
        assert_string_equal(client.reply.body, "{\"later\":1}");
        assert_non_null(strstr(client.reply.headers, "Retry-After: 3\r\n"));
        assert_non_null(strstr(client.reply.headers, "Content-Type: application/json\r\n"));
}

static void test_answers_count_in_the_requests_metric_by_route_and_status(void **state)
{
        world_t *w = *state;
        fixture_http_reply_t reply;
        char *text, *line;
        double before = 0, after = 0;
        const char *series = "closebridge_http_requests_total{route=\"req_test\",code=\"201\"} ";

        text = cb_metrics_render();
        assert_non_null(text);
        if ((line = strstr(text, series)))
                before = strtod(line + strlen(series), NULL);
        free(text);
        assert_int_equal(fixture_http_call(w->port, "POST", "/hook", "{}", 2, 0, NULL, &reply),
                         CURLE_OK);
        assert_int_equal(reply.status, 201);
        text = cb_metrics_render();
        assert_non_null(text);
        line = strstr(text, series);
        assert_non_null(line);
        after = strtod(line + strlen(series), NULL);
        free(text);
        assert_true(after == before + 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_body_grows_across_chunks_and_stays_nul_terminated),
            cmocka_unit_test(test_body_past_the_limit_marks_the_request_too_big_and_keeps_no_more),
            cmocka_unit_test(test_body_exactly_at_the_limit_is_kept),
            cmocka_unit_test(test_request_without_a_body_reads_as_empty_text),
            cmocka_unit_test(test_method_and_path_are_copies),
            cmocka_unit_test(test_a_request_is_answered_once_and_later_answers_are_refused),
            cmocka_unit_test(test_an_answer_without_content_type_is_json),
            cmocka_unit_test(test_error_answer_escapes_quotes_and_control_characters),
            cmocka_unit_test(test_an_overlong_error_message_is_cut_not_overrun),
            cmocka_unit_test(test_a_reference_keeps_the_request_after_the_server_lets_go),
            cmocka_unit_test_setup_teardown(test_handler_sees_method_path_body_and_headers_once,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_chunked_body_arrives_whole, setup, teardown),
            cmocka_unit_test_setup_teardown(
                test_declared_body_over_the_limit_gets_413_without_the_handler, setup, teardown),
            cmocka_unit_test_setup_teardown(
                test_chunked_body_over_the_limit_gets_413_without_the_handler, setup, teardown),
            cmocka_unit_test_setup_teardown(
                test_an_answer_from_another_thread_resumes_the_waiting_connection, setup, teardown),
            cmocka_unit_test_setup_teardown(
                test_answers_count_in_the_requests_metric_by_route_and_status, setup, teardown),
        };
        int failed;

        curl_global_init(CURL_GLOBAL_DEFAULT);
        failed = cmocka_run_group_tests(tests, NULL, NULL);
        curl_global_cleanup();
        return failed;
}
