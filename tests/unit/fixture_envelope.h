/* Test helper: an envelope as a consumer reads it, built by ingest's own code (a test that uses
 * it links ingestlib). */
#ifndef TEST_FIXTURE_ENVELOPE_H
#define TEST_FIXTURE_ENVELOPE_H

#include <stdio.h>
#include <stdlib.h>
#include <json-c/json.h>

#include "cb_json.h"
#include "envelope.h"
#include "fixture.h"

/* The envelope ingest builds for the webhook payload (json-c's text of it; payload must be one
 * ingest_close_parse_webhook takes) for instance, origin "webhook", parsed back strictly from its
 * text. When built is not NULL, the envelope is also left there (ingest_envelope_fini it);
 * otherwise it is freed here. Aborts the test when any step fails. Caller owns the result. */
static inline json_object *fixture_envelope(json_object *payload, const char *instance,
                                            int64_t now_us, ingest_envelope_t *built)
{
        ingest_close_event_t ev;
        ingest_envelope_t env;
        json_object *obj;
        char err[256];

        if (fixture_close_parse(payload, &ev, err, sizeof(err))) {
                fprintf(stderr, "ingest_close_parse_webhook failed: %s\n", err);
                abort();
        }
        if (ingest_envelope_build(&env, instance, &ev, "webhook", now_us)) {
                fprintf(stderr, "ingest_envelope_build failed\n");
                abort();
        }
        ingest_close_event_fini(&ev);
        obj = cb_json_parse(env.json, env.json_len, err, sizeof(err));
        if (!obj) {
                fprintf(stderr, "the envelope does not parse back: %s\n%s\n", err, env.json);
                abort();
        }
        if (built)
                *built = env;
        else
                ingest_envelope_fini(&env);
        return obj;
}

/* The string attribute key of a parsed envelope env (e.g. "id"), or NULL. Borrowed from env. */
static inline const char *fixture_envelope_attr(json_object *env, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(env, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

#endif
