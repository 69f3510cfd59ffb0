/* Fuzz target: the polling-results path of ingest, on the body bytes as they arrive.
 *
 *   ingest_close_parse_polling (yyjson) -> ingest_envelope_build per object
 *
 * and what consumers depend on: every object becomes one envelope with a non-empty id free of
 * '.', origin "polling", CREATED or UPDATED, an envelope text that parses back as publish reads
 * it, and a raw that holds the object as it came. */
#include <string.h>

#include "cb_json.h"
#include "close_event.h"
#include "envelope.h"
#include "fuzz.h"

#define INSTANCE_ID "20931"
#define NOW_US      1495144526451000LL

/* Checks that raw_text, an event's raw, is {"objectType": type, type: [obj]}. */
static void check_raw(const char *raw_text, size_t raw_len, const char *type, yyjson_val *obj)
{
        char err[512];
        yyjson_doc *doc = cb_json_read(raw_text, raw_len, CB_JSON_MAX_DEPTH, err, sizeof(err));
        yyjson_val *raw = yyjson_doc_get_root(doc), *list;

        FUZZ_CHECK(doc != NULL && yyjson_obj_size(raw) == 2);
        FUZZ_CHECK(yyjson_equals_str(yyjson_obj_get(raw, "objectType"), type));
        list = yyjson_obj_get(raw, type);
        FUZZ_CHECK(yyjson_arr_size(list) == 1 && yyjson_equals(yyjson_arr_get(list, 0), obj));
        yyjson_doc_free(doc);
}

/* 1 when object obj names a member twice (the parser takes the last, yyjson_obj_get the first). */
static int repeats_a_name(yyjson_val *obj)
{
        yyjson_val *k1, *k2;
        yyjson_obj_iter i1, i2;

        yyjson_obj_iter_init(obj, &i1);
        while ((k1 = yyjson_obj_iter_next(&i1))) {
                i2 = i1;
                while ((k2 = yyjson_obj_iter_next(&i2)))
                        if (yyjson_equals(k1, k2))
                                return 1;
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char err[512], id[CB_ENVELOPE_ID_MAX];
        ingest_close_event_t *evs = NULL;
        json_object *env, *env_data, *raw;
        yyjson_doc *doc;
        yyjson_val *objects;
        ingest_envelope_t built;
        const char *env_id, *type;
        size_t n = 0, i;
        int same_lookups;

        if (ingest_close_parse_polling((const char *)data, size, INSTANCE_ID, &evs, &n, err,
                                       sizeof(err))) {
                FUZZ_CHECK(*err && !evs && n == 0);
                return 0;
        }
        /* what was taken, read again on its own: the objects the events must hold */
        doc = cb_json_read((const char *)data, size, CB_JSON_PAYLOAD_DEPTH, err, sizeof(err));
        FUZZ_CHECK(doc != NULL);
        type = yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(doc), "objectType"));
        objects = yyjson_obj_get(yyjson_doc_get_root(doc), type);
        same_lookups = !repeats_a_name(yyjson_doc_get_root(doc));
        FUZZ_CHECK(!same_lookups || (type != NULL && yyjson_arr_size(objects) == n));
        for (i = 0; i < n; i++) {
                FUZZ_CHECK(evs[i].object_id && *evs[i].object_id && evs[i].raw_text);
                FUZZ_CHECK(!strcmp(evs[i].event_type, "CREATED") ||
                           !strcmp(evs[i].event_type, "UPDATED"));
                if (same_lookups)
                        check_raw(evs[i].raw_text, evs[i].raw_len, type,
                                  yyjson_arr_get(objects, i));
                FUZZ_CHECK(ingest_envelope_build(&built, INSTANCE_ID, &evs[i], "polling", NOW_US) ==
                           0);
                /* what ingest writes to Kafka, publish reads back strictly */
                env = cb_json_parse(built.json, built.json_len, err, sizeof(err));
                FUZZ_CHECK(env != NULL);
                env_id = fuzz_envelope_attr(env, "id");
                FUZZ_CHECK(env_id && *env_id && !strchr(env_id, '.'));
                FUZZ_CHECK(ingest_envelope_id(INSTANCE_ID, &evs[i], id, sizeof(id)) == 0 &&
                           !strcmp(id, env_id));
                FUZZ_CHECK(!strcmp(fuzz_envelope_attr(env, "origin"), "polling"));
                FUZZ_CHECK(json_object_object_get_ex(env, "data", &env_data) &&
                           json_object_object_get_ex(env_data, "raw", &raw) &&
                           json_object_is_type(raw, json_type_object));
                json_object_put(env);
                ingest_envelope_fini(&built);
        }
        yyjson_doc_free(doc);
        ingest_close_events_free(evs, n);
        return 0;
}
