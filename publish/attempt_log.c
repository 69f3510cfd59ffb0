#include "attempt_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cb_envelope.h"
#include "cb_log.h"
#include "cb_time.h"
#include "cb_url.h"

char *publish_attempt_record(const publish_item_t *it, const publish_job_t *job,
                             const char *outcome, int64_t next_due_ms, int64_t at_us)
{
        json_object *rec = json_object_new_object();
        char url[512], at[40];
        const char *u = job ? job->url : it->inst ? it->inst->callback_url : "";
        char *text;

        if (!rec)
                return NULL;
        cb_url_redact(u ? u : "", url, sizeof(url));
        cb_time_format_ms(at_us, at, sizeof(at));
        json_object_object_add(rec, "envelopeId", json_object_new_string(it->env_id));
        json_object_object_add(rec, "instanceId",
                               it->inst ? json_object_new_string(it->inst->id)
                               : it->rkm && it->rkm->key
                                   ? json_object_new_string_len(it->rkm->key, (int)it->rkm->key_len)
                                   : json_object_new_string(""));
        json_object_object_add(rec, "url", json_object_new_string(url));
        json_object_object_add(rec, "attempt", json_object_new_int(it->attempt));
        json_object_object_add(
            rec, "status", job && job->status > 0 ? json_object_new_int((int)job->status) : NULL);
        json_object_object_add(rec, "error",
                               it->last_error[0] ? json_object_new_string(it->last_error) : NULL);
        json_object_object_add(rec, "durationMs",
                               json_object_new_int64(job ? job->duration_ms : 0));
        json_object_object_add(rec, "outcome", json_object_new_string(outcome));
        json_object_object_add(rec, "nextDueMs",
                               next_due_ms > 0 ? json_object_new_int64(next_due_ms) : NULL);
        json_object_object_add(rec, "at", json_object_new_string(at));
        /* an attempt a replay asked for names it (the console shows who sent it again) */
        if (it->replay[0])
                json_object_object_add(rec, "replay", json_object_new_string(it->replay));
        text = strdup(json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(rec);
        return text;
}

void publish_attempt_log(rd_kafka_t *prk, const char *topic, const publish_item_t *it,
                         const publish_job_t *job, const char *outcome, int64_t next_due_ms)
{
        char *s = publish_attempt_record(it, job, outcome, next_due_ms, cb_time_now_us());

        if (!s || rd_kafka_producev(prk, RD_KAFKA_V_TOPIC(topic),
                                    RD_KAFKA_V_KEY(it->rkm->key, it->rkm->key_len),
                                    RD_KAFKA_V_VALUE(s, strlen(s)),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE), RD_KAFKA_V_END)) {
                cb_log_warn("attempts log record for %s dropped: %s", it->env_id,
                            s ? "producer queue full" : "out of memory");
                free(s);
        }
}
