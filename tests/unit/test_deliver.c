/* Unit tests of publish's delivery engine against a real HTTP server on 127.0.0.1: results,
 * the collector's wake-up, admission per destination, and that every job comes back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cb_time.h"
#include "cb_wake.h"
#include "deliver.h"
#include "fixture_http.h"

/* 200 on /ok, 503 with Retry-After: 7 on /busy, 404 elsewhere. */
static void handler(void *opaque, cb_http_req_t *req)
{
        const char *path = cb_http_req_path(req);

        (void)opaque;
        if (!strcmp(path, "/ok"))
                cb_http_respond(req, 200, "text/plain", "ok", 2, NULL, NULL);
        else if (!strcmp(path, "/busy"))
                cb_http_respond_error_h(req, 503, "busy", "Retry-After", "7");
        else
                cb_http_respond_error(req, 404, "no");
}

typedef struct {
        cb_http_t *http;
        cb_wake_t wake;
        publish_engine_t *engine;
} world_t;

static void world_start(world_t *w, long host_connections)
{
        publish_engine_conf_t conf = {.timeout_ms = 5000,
                                      .max_host_connections = host_connections,
                                      .max_total_connections = 64,
                                      .user_agent = "test",
                                      .proxy = "",
                                      .ssrf = NULL};

        w->http = fixture_http_start(handler, NULL, 1 << 16);
        assert_int_equal(cb_wake_open(&w->wake), 0);
        conf.wake = &w->wake;
        w->engine = publish_engine_new(&conf);
        assert_non_null(w->engine);
}

static void world_stop(world_t *w)
{
        publish_engine_destroy(w->engine);
        cb_http_stop(w->http);
        cb_wake_close(&w->wake);
}

/* A job POSTing "{}" to path on w's server, with n as its opaque. */
static publish_job_t *job(world_t *w, const char *path, long n)
{
        publish_job_t *j = calloc(1, sizeof(*j));
        char url[128];

        assert_non_null(j);
        snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", cb_http_port(w->http), path);
        j->url = strdup(url);
        j->body = strdup("{}");
        j->len = 2;
        j->headers = curl_slist_append(NULL, "Content-Type: application/json");
        j->dest = "http://127.0.0.1";
        j->opaque = (void *)n;
        return j;
}

/* Collects results, sleeping on the wake-up, until want came back or 20 s passed; returns them
 * (the caller frees them) and the count in *got. */
static publish_job_t *collect(world_t *w, size_t want, size_t *got)
{
        publish_job_t *all = NULL, **tail = &all, *j;
        int64_t deadline = cb_time_now_ms() + 20000;

        *got = 0;
        while (*got < want && cb_time_now_ms() < deadline) {
                for (j = publish_engine_results(w->engine); j; j = j->next) {
                        *tail = j;
                        tail = &j->next;
                        ++*got;
                }
                if (*got < want)
                        cb_wake_wait(&w->wake, deadline - cb_time_now_ms());
        }
        return all;
}

static void free_all(publish_job_t *j)
{
        publish_job_t *next;

        for (; j; j = next) {
                next = j->next;
                publish_job_free(j);
        }
}

static void test_every_job_comes_back_with_its_answer(void **state)
{
        world_t w;
        publish_job_t *all, *j;
        size_t got, i, n = 200, ok = 0;
        char seen[200] = {0};

        (void)state;
        curl_global_init(CURL_GLOBAL_DEFAULT);
        world_start(&w, 2); /* 200 jobs over 2 connections: most wait their turn */
        for (i = 0; i < n; i++)
                publish_engine_submit(w.engine, job(&w, "/ok", (long)i));
        assert_int_equal(publish_engine_pending(w.engine), n);
        all = collect(&w, n, &got);
        assert_int_equal(got, n);
        for (j = all; j; j = j->next) {
                ok += j->status == 200;
                seen[(long)j->opaque] = 1;
                assert_true(j->duration_ms >= 0);
        }
        assert_int_equal(ok, n);
        assert_null(memchr(seen, 0, n)); /* each once */
        assert_int_equal(publish_engine_pending(w.engine), 0);
        free_all(all);
        world_stop(&w);
}

static void test_statuses_retry_after_and_transport_errors_are_reported(void **state)
{
        world_t w;
        publish_job_t *all, *j, *refused;
        size_t got;

        (void)state;
        world_start(&w, 4);
        publish_engine_submit(w.engine, job(&w, "/busy", 1));
        publish_engine_submit(w.engine, job(&w, "/missing", 2));
        refused = job(&w, "/ok", 3);
        free(refused->url);
        refused->url = strdup("http://127.0.0.1:1/ok"); /* nothing listens on port 1 */
        publish_engine_submit(w.engine, refused);
        all = collect(&w, 3, &got);
        assert_int_equal(got, 3);
        for (j = all; j; j = j->next) {
                switch ((long)j->opaque) {
                case 1:
                        assert_int_equal(j->status, 503);
                        assert_int_equal(j->retry_after_s, 7);
                        break;
                case 2:
                        assert_int_equal(j->status, 404);
                        assert_int_equal(j->retry_after_s, -1);
                        break;
                default:
                        assert_int_equal(j->status, -1);
                        assert_true(j->error[0] != '\0');
                }
        }
        free_all(all);
        world_stop(&w);
}

static void test_stop_hands_back_what_was_in_flight_or_waiting_and_later_jobs(void **state)
{
        world_t w;
        publish_job_t *all, *j, *late;
        size_t i, n = 100, got = 0, answered = 0, abandoned = 0;

        (void)state;
        world_start(&w, 1);
        for (i = 0; i < n; i++)
                publish_engine_submit(w.engine, job(&w, "/ok", (long)i));
        publish_engine_stop(w.engine); /* at once: most are in flight or waiting */
        late = job(&w, "/ok", 1000);
        publish_engine_submit(w.engine, late);
        all = publish_engine_results(w.engine);
        for (j = all; j; j = j->next, got++) {
                if (j == late)
                        assert_string_equal(j->error, "the delivery engine is stopped");
                else if (j->status == 200)
                        answered++;
                else
                        abandoned += j->status == -1 && !strcmp(j->error, "abandoned at shutdown");
        }
        assert_int_equal(got, n + 1); /* nothing lost */
        assert_int_equal(answered + abandoned, n);
        assert_int_equal(publish_engine_pending(w.engine), 0);
        free_all(all);
        world_stop(&w);
        curl_global_cleanup();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_job_comes_back_with_its_answer),
            cmocka_unit_test(test_statuses_retry_after_and_transport_errors_are_reported),
            cmocka_unit_test(test_stop_hands_back_what_was_in_flight_or_waiting_and_later_jobs),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
