#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cb_auth.h"
#include "cb_base64.h"
#include "cb_time.h"
#include "close_event.h"
#include "envelope.h"
#include "signature.h"

/* 1 when the declared content type is JSON (application/json or application/<x>+json, with
 * any parameters) or absent. */
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

/* What every event request checks first: the instance of b64id, the content type, and the
 * body. Returns the instance (a reference the caller releases), or NULL after answering req. */
static cb_instance_t *lookup(ingest_t *ing, cb_http_req_t *req, const char *b64id)
{
        char id[CB_INSTANCE_ID_MAX];
        cb_instance_t *inst;
        size_t len;

        if (strchr(b64id, '/') ||
            cb_base64_decode_instance_id(b64id, strlen(b64id), id, sizeof(id))) {
                cb_http_respond_error(req, 404, "the path does not carry a base64 instance id");
                return NULL;
        }
        inst = cb_table_get(ing->table, id);
        if (!inst) {
                cb_http_respond_error(req, 404, "unknown instance");
                return NULL;
        }
        if (!json_content_type(cb_http_req_header(req, "Content-Type"))) {
                cb_http_respond_error(req, 415, "the body must be JSON (application/json)");
                goto fail;
        }
        cb_http_req_body(req, &len);
        if (len == 0) {
                cb_http_respond_error(req, 400, "empty body: expected a JSON payload");
                goto fail;
        }
        return inst;
fail:
        cb_instance_release(inst);
        return NULL;
}

void ingest_events_webhook(ingest_t *ing, cb_http_req_t *req, const char *b64id)
{
        char err[512];
        cb_instance_t *inst = lookup(ing, req, b64id);
        ingest_envelope_t env = {0};
        ingest_close_event_t ev = {0};
        const char *raw, *key;
        size_t len;

        if (!inst)
                return;
        raw = cb_http_req_body(req, &len);
        key = cb_instance_config(inst, "event.webhook.signature.key");
        if (key && *key &&
            ingest_signature_verify(key, cb_http_req_header(req, "close-sig-hash"),
                                    cb_http_req_header(req, "close-sig-timestamp"), raw, len,
                                    ing->conf.signature_tolerance_s, time(NULL), err,
                                    sizeof(err))) {
                cb_http_respond_error(req, 401, err);
                goto done;
        }
        /* the payload goes on exactly as Close sent it (raw_text: it is not written out again) */
        if (ingest_close_parse_webhook(raw, len, &ev, err, sizeof(err))) {
                cb_http_respond_error(req, 400, err);
                goto done;
        }
        if (ingest_envelope_build(&env, inst->id, &ev, "webhook", cb_time_now_us())) {
                cb_http_respond_error(req, 500, "out of memory");
                goto done;
        }
        ingest_producer_send(ing->producer, req, ing->topic_events, inst->id, &env, 1);
done:
        ingest_envelope_fini(&env);
        ingest_close_event_fini(&ev);
        cb_instance_release(inst);
}

void ingest_events_polling(ingest_t *ing, cb_http_req_t *req, const char *b64id)
{
        char err[512];
        cb_instance_t *inst;
        ingest_envelope_t *envs = NULL;
        ingest_close_event_t *evs = NULL;
        int64_t now = cb_time_now_us();
        const char *raw;
        size_t n = 0, i, len;

        if (cb_auth_configured(ingest_secrets(ing)) &&
            cb_auth_check(ingest_secrets(ing), cb_http_req_header(req, "Authorization"))) {
                cb_http_respond_error(req, 401, "polling results need the admin Authorization");
                return;
        }
        inst = lookup(ing, req, b64id);
        if (!inst)
                return;
        raw = cb_http_req_body(req, &len);
        /* the body names its instance too: it must be the one of the URL */
        if (ingest_close_parse_polling(raw, len, inst->id, &evs, &n, err, sizeof(err))) {
                cb_http_respond_error(req, 400, err);
                goto done;
        }
        envs = calloc(n ? n : 1, sizeof(*envs));
        for (i = 0; envs && i < n; i++)
                if (ingest_envelope_build(&envs[i], inst->id, &evs[i], "polling", now))
                        break;
        if (!envs || i < n) {
                cb_http_respond_error(req, 500, "out of memory");
                goto done;
        }
        ingest_producer_send(ing->producer, req, ing->topic_events, inst->id, envs, n);
done:
        for (i = 0; envs && i < n; i++)
                ingest_envelope_fini(&envs[i]);
        free(envs);
        ingest_close_events_free(evs, n);
        cb_instance_release(inst);
}
