#include "webhook.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <json-c/json.h>

#include "cb_base64.h"
#include "cb_close.h"
#include "cb_envelope.h"
#include "cb_json.h"
#include "cb_time.h"

/* 1 when the declared content type is JSON (application/json, application/<x>+json, with any
 * parameters) or absent. */
static int json_content_type(const char *ct)
{
        size_t len;

        if (!ct)
                return 1;
        len = strcspn(ct, "; \t");
        if (len == 16 && !strncasecmp(ct, "application/json", 16))
                return 1;
        return len > 17 && !strncasecmp(ct, "application/", 12) &&
               !strncasecmp(ct + len - 5, "+json", 5);
}

void ingest_webhook_handle(ingest_t *ing, cb_http_req_t *req, const char *b64id)
{
        char id[CB_INSTANCE_ID_MAX], err[512];
        cb_instance_t *inst = NULL;
        json_object *body = NULL, *env = NULL;
        cb_close_event_t ev;
        const char *raw;
        size_t len;

        if (strchr(b64id, '/') ||
            cb_base64_decode_instance_id(b64id, strlen(b64id), id, sizeof(id))) {
                cb_http_respond_error(req, 404, "the path does not carry a base64 instance id");
                return;
        }
        inst = cb_table_get(ing->table, id);
        if (!inst) {
                cb_http_respond_error(req, 404, "unknown instance");
                return;
        }
        if (!json_content_type(cb_http_req_header(req, "Content-Type"))) {
                cb_http_respond_error(req, 415, "the body must be JSON (application/json)");
                goto done;
        }
        raw = cb_http_req_body(req, &len);
        if (len == 0) {
                cb_http_respond_error(req, 400, "empty body: expected a Close webhook payload");
                goto done;
        }
        body = cb_json_parse(raw, len, err, sizeof(err));
        if (!body) {
                cb_http_respond_error(req, 400, *err ? err : "payload must be a JSON object");
                goto done;
        }
        if (cb_close_parse_webhook(body, &ev, err, sizeof(err))) {
                cb_http_respond_error(req, 400, err);
                goto done;
        }
        env = cb_envelope_new(inst->id, &ev, "webhook", cb_time_now_us());
        if (!env) {
                cb_http_respond_error(req, 500, "out of memory");
                goto done;
        }
        ingest_producer_send(ing->producer, req, ing->topic_events, inst->id, &env, 1);
done:
        json_object_put(env);
        json_object_put(body);
        cb_instance_release(inst);
}
