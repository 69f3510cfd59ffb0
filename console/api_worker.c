#include "api_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cb_log.h"
#include "cb_time.h"
#include "fetch.h"
#include "index.h"
#include "replay.h"
#include "summary.h"
#include "tasks.h"

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
                                         api->conf.fetch_timeout_ms, &text, &len, NULL, err,
                                         sizeof(err));
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

/* Sends the event ev (an index view) again: reads its record back from closeio.events and
 * writes it to the replay topic; answers 202 with the replay's id once Kafka has it. */
static void redeliver(console_api_t *api, console_fetch_t *fe, console_replay_t *rp,
                      console_job_t *job, json_object *ev)
{
        json_object *topic = json_object_object_get(ev, "topic");
        const char *inst = json_object_get_string(json_object_object_get(ev, "instanceId"));
        char err[300] = "", id[CONSOLE_REPLAY_ID_MAX], *value = NULL;
        rd_kafka_headers_t *hdrs = NULL;
        json_object *answer;
        size_t len = 0;
        int rc = 1;

        if (topic)
                rc = console_fetch_value(
                    fe, json_object_get_string(topic),
                    json_object_get_int(json_object_object_get(ev, "partition")),
                    json_object_get_int64(json_object_object_get(ev, "offset")),
                    api->conf.fetch_timeout_ms, &value, &len, &hdrs, err, sizeof(err));
        if (rc > 0) {
                cb_http_respond_error(job->req, 409,
                                      topic ? "the event's record is no longer on closeio.events "
                                              "(retention): it cannot be sent again"
                                            : "the event's record on closeio.events is not "
                                              "indexed yet");
        } else if (rc < 0 || console_replay_id(id, sizeof(id)) ||
                   console_replay_produce(rp, inst, value, len, hdrs, id,
                                          api->conf.replay_timeout_ms, err, sizeof(err))) {
                cb_log_warn("redelivery of %s failed: %s", job->env_id, err);
                cb_http_respond_error_h(job->req, 503, "Kafka did not take the replay; try again",
                                        "Retry-After", "1");
        } else {
                cb_log_kv(CB_LOG_INFO, CB_KV("instance", inst, "envelope", job->env_id),
                          "replay %s written", id);
                answer = json_object_new_object();
                json_object_object_add(answer, "replay", json_object_new_string(id));
                json_object_object_add(answer, "eventId", json_object_new_string(job->env_id));
                json_object_object_add(answer, "instanceId", json_object_new_string(inst));
                respond_json(job->req, 202, answer, NULL, NULL);
                json_object_put(answer);
        }
        if (hdrs)
                rd_kafka_headers_destroy(hdrs);
        free(value);
}

/* Writes job's new replay task to the tasks topic; 202 with the task once Kafka has it. */
static void make_task(console_api_t *api, console_job_t *job)
{
        console_task_t *t = &job->new_task;
        char err[300], where[64];
        json_object *doc;

        if (console_tasks_create(api->conf.tasks, t, api->conf.replay_timeout_ms, err,
                                 sizeof(err))) {
                cb_log_warn("replay task %s not made: %s", t->id, err);
                cb_http_respond_error_h(job->req, 503, "Kafka did not take the task; try again",
                                        "Retry-After", "1");
                return;
        }
        cb_log_kv(CB_LOG_INFO, CB_KV("instance", t->instance_id[0] ? t->instance_id : "*"),
                  "replay task %s made", t->id);
        snprintf(where, sizeof(where), "/tasks/%s", t->id);
        doc = console_task_json(t, 0);
        if (doc)
                respond_json(job->req, 202, doc, "Location", where);
        else
                cb_http_respond_error(job->req, 500, "out of memory");
        json_object_put(doc);
}

/* GET /tasks/{id} (the task and how many of its replays were delivered, from this replica's
 * index) or DELETE (a cancel request: 202; 409 once it ended). A tenant sees its own instance's
 * tasks only: any other is 404, as one that does not exist. */
static void task(console_api_t *api, console_index_t *db, console_job_t *job)
{
        console_task_t t;
        int64_t delivered = -1;
        char err[600];
        json_object *doc;

        if (!console_tasks_get(api->conf.tasks, job->task_id, &t) ||
            (job->instance_id[0] && strcmp(job->instance_id, t.instance_id))) {
                if (!console_tasks_loaded(api->conf.tasks))
                        cb_http_respond_error_h(job->req, 503, "still reading the tasks topic",
                                                "Retry-After", "1");
                else
                        cb_http_respond_error(job->req, 404, "no such task");
                return;
        }
        if (job->cancel) {
                if (t.state != CONSOLE_TASK_RUNNING) {
                        snprintf(err, sizeof(err), "the task has ended: %s",
                                 console_task_state_name(t.state));
                        cb_http_respond_error(job->req, 409, err);
                        return;
                }
                if (console_tasks_cancel(api->conf.tasks, t.id, api->conf.replay_timeout_ms, err,
                                         sizeof(err))) {
                        cb_log_warn("cancel of task %s failed: %s", t.id, err);
                        cb_http_respond_error_h(job->req, 503,
                                                "Kafka did not take the cancel request; try again",
                                                "Retry-After", "1");
                        return;
                }
                t.cancel = 1;
        }
        if (console_index_replay_delivered(db, t.id, &delivered, err, sizeof(err)))
                cb_log_warn("%s", err);
        doc = console_task_json(&t, delivered);
        if (doc)
                respond_json(job->req, job->cancel ? 202 : 200, doc, NULL, NULL);
        else
                cb_http_respond_error(job->req, 500, "out of memory");
        json_object_put(doc);
}

/* GET /console/api/instances: every instance (a tenant: its own) with its figures. */
static void summary(console_api_t *api, console_index_t *db, console_job_t *job)
{
        char err[600];
        json_object *doc = console_summary_json(api->conf.table, db, job->instance_id,
                                                cb_time_now_ms(), err, sizeof(err));

        if (!doc) {
                cb_log_error("%s", err);
                cb_http_respond_error(job->req, 500, "the index cannot be read");
                return;
        }
        respond_json(job->req, 200, doc, NULL, NULL);
        json_object_put(doc);
}

void console_api_run(console_api_t *api, console_index_t *db, console_fetch_t *fe,
                     console_replay_t *rp, console_job_t *job)
{
        char err[600], next[CONSOLE_CURSOR_MAX];
        json_object *doc = NULL;
        int rc;

        if (!db || !fe || (job->redeliver && !rp)) {
                cb_http_respond_error_h(job->req, 503, "the index cannot be read now",
                                        "Retry-After", "1");
        } else if (job->summary) {
                summary(api, db, job);
        } else if (job->bulk) {
                make_task(api, job);
        } else if (job->task) {
                task(api, db, job);
        } else if (job->one) {
                rc = console_index_get(db, job->instance_id, job->env_id, &doc, err, sizeof(err));
                if (rc < 0) {
                        cb_log_error("%s", err);
                        cb_http_respond_error(job->req, 500, "the index cannot be read");
                } else if (rc == 0) {
                        cb_http_respond_error(job->req, 404, "no such event");
                } else if (job->redeliver) {
                        redeliver(api, fe, rp, job, doc);
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
        console_replay_t *rp = NULL;
        console_job_t *job;
        cb_qlink_t *l;
        char err[600];

        while ((l = cb_queue_pop_wait(&api->queue))) {
                /* opened at the first request: the follower makes the database at start-up */
                if (!db && !(db = console_index_open(api->conf.db_path, 1, err, sizeof(err))))
                        cb_log_error("%s", err);
                if (!fe && !(fe = console_fetch_new(api->conf.kafka, err, sizeof(err))))
                        cb_log_error("%s", err);
                job = CB_QUEUE_ENTRY(l, console_job_t, link);
                if (job->redeliver && !rp &&
                    !(rp = console_replay_new(api->conf.kafka, api->conf.topic_replay, err,
                                              sizeof(err))))
                        cb_log_error("%s", err);
                console_api_run(api, db, fe, rp, job);
        }
        console_replay_destroy(rp);
        console_fetch_destroy(fe);
        console_index_close(db);
        return NULL;
}
