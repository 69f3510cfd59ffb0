#include "api_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cb_log.h"
#include "cb_time.h"
#include "fetch.h"
#include "index.h"

static void respond_json(cb_http_req_t *req, unsigned status, json_object *doc,
                         const char *extra_name, const char *extra_value)
{
        size_t len;
        const char *text = json_object_to_json_string_length(
            doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

        if (text)
                cb_http_respond(req, status, NULL, text, len, extra_name, extra_value);
        else
                cb_http_respond_error(req, 500, "out of memory");
}

/* Adds "envelope" to ev: the record read back from closeio.events at the event's position,
 * parsed; null (with "envelopeError") when it is not there. */
static void add_envelope(console_api_t *api, console_fetch_t *fe, json_object *ev)
{
        json_object *topic = json_object_object_get(ev, "topic");
        json_object *part = json_object_object_get(ev, "partition");
        json_object *off = json_object_object_get(ev, "offset");
        char err[300], *text = NULL;
        json_object *env = NULL;
        const char *why = NULL;
        size_t len;
        int rc;

        if (!topic || !part || !off) {
                why = "the event's record on closeio.events is not indexed yet";
        } else {
                rc = console_fetch_value(fe, json_object_get_string(topic),
                                         json_object_get_int(part), json_object_get_int64(off),
                                         api->conf.fetch_timeout_ms, &text, &len, err, sizeof(err));
                if (rc > 0)
                        why = "the record is no longer on closeio.events (retention)";
                else if (rc < 0)
                        why = err;
                else if (!(env = json_tokener_parse(text)))
                        why = "the record is not JSON";
                free(text);
        }
        json_object_object_add(ev, "envelope", env);
        if (why)
                json_object_object_add(ev, "envelopeError", json_object_new_string(why));
}

void console_api_run(console_api_t *api, console_index_t *db, console_fetch_t *fe,
                     console_job_t *job)
{
        char err[600], next[CONSOLE_CURSOR_MAX];
        json_object *doc = NULL;
        int rc;

        if (!db || !fe) {
                cb_http_respond_error_h(job->req, 503, "the index cannot be read now",
                                        "Retry-After", "1");
        } else if (job->one) {
                rc = console_index_get(db, job->instance_id, job->env_id, &doc, err, sizeof(err));
                if (rc < 0) {
                        cb_log_error("%s", err);
                        cb_http_respond_error(job->req, 500, "the index cannot be read");
                } else if (rc == 0) {
                        cb_http_respond_error(job->req, 404, "no such event");
                } else {
                        add_envelope(api, fe, doc);
                        respond_json(job->req, 200, doc, NULL, NULL);
                }
        } else if (console_index_list(db, &job->filter, &doc, next, err, sizeof(err))) {
                cb_log_error("%s", err);
                cb_http_respond_error(job->req, 500, "the index cannot be read");
        } else {
                respond_json(job->req, 200, doc, next[0] ? "Elements-Next-Page-Token" : NULL,
                             next[0] ? next : NULL);
        }
        json_object_put(doc);
        cb_metrics_observe(api->m_seconds, "", (double)(cb_time_now_us() - job->started_us) / 1e6);
        cb_http_req_unref(job->req);
        free(job);
}

void *console_api_worker_main(void *arg)
{
        console_api_t *api = arg;
        console_index_t *db = NULL;
        console_fetch_t *fe = NULL;
        cb_qlink_t *l;
        char err[600];

        while ((l = cb_queue_pop_wait(&api->queue))) {
                /* opened at the first request: the follower makes the database at start-up */
                if (!db && !(db = console_index_open(api->conf.db_path, 1, err, sizeof(err))))
                        cb_log_error("%s", err);
                if (!fe && !(fe = console_fetch_new(api->conf.kafka, err, sizeof(err))))
                        cb_log_error("%s", err);
                console_api_run(api, db, fe, CB_QUEUE_ENTRY(l, console_job_t, link));
        }
        console_fetch_destroy(fe);
        console_index_close(db);
        return NULL;
}
