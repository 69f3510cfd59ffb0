/* Fuzz target: the polling-results path of ingest, on the body bytes as they arrive.
 *
 *   cb_json_parse_depth -> cb_close_parse_polling -> cb_envelope_build per object
 *
 * and what consumers depend on: every object becomes one envelope with a non-empty id free of
 * '.', origin "polling", CREATED or UPDATED, and an envelope text that parses back. */
#include <string.h>

#include "cb_close.h"
#include "cb_envelope.h"
#include "cb_json.h"
#include "fuzz.h"

#define NOW_US 1495144526451000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char err[512], id[CB_ENVELOPE_ID_MAX];
        cb_close_event_t *evs = NULL;
        json_object *body, *env, *env_data, *raw;
        cb_envelope_t built;
        const char *env_id;
        size_t n = 0, i;

        body =
            cb_json_parse_depth((const char *)data, size, CB_JSON_PAYLOAD_DEPTH, err, sizeof(err));
        if (!body)
                return 0;
        if (cb_close_parse_polling(body, &evs, &n, err, sizeof(err))) {
                FUZZ_CHECK(*err && !evs && n == 0);
                json_object_put(body);
                return 0;
        }
        for (i = 0; i < n; i++) {
                FUZZ_CHECK(evs[i].object_id && *evs[i].object_id && evs[i].raw);
                FUZZ_CHECK(!strcmp(evs[i].event_type, "CREATED") ||
                           !strcmp(evs[i].event_type, "UPDATED"));
                FUZZ_CHECK(cb_envelope_build(&built, "20931", &evs[i], "polling", NOW_US) == 0);
                /* what ingest writes to Kafka, publish reads back strictly */
                env = cb_json_parse(built.json, built.json_len, err, sizeof(err));
                FUZZ_CHECK(env != NULL);
                env_id = cb_envelope_attr(env, "id");
                FUZZ_CHECK(env_id && *env_id && !strchr(env_id, '.'));
                FUZZ_CHECK(cb_envelope_id("20931", &evs[i], id, sizeof(id)) == 0 &&
                           !strcmp(id, env_id));
                FUZZ_CHECK(!strcmp(cb_envelope_attr(env, "origin"), "polling"));
                FUZZ_CHECK(json_object_object_get_ex(env, "data", &env_data) &&
                           json_object_object_get_ex(env_data, "raw", &raw) &&
                           json_object_equal(raw, evs[i].raw));
                json_object_put(env);
                cb_envelope_fini(&built);
        }
        cb_close_events_free(evs, n);
        json_object_put(body);
        return 0;
}
