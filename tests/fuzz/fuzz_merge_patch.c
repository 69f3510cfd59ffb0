/* Fuzz target: PATCH /instances/{id}, on the body's bytes, against a stored instance shaped
 * like the seed document's, as do_patch (ingest/instances_ops.c) handles it.
 *
 *   cb_json_parse -> ingest_instance_merge -> cb_instance_check (complete) -> cb_instance_new
 *     -> ingest_instance_view
 *
 * and what the API promises: the stored instance (the table's) is never changed, only its
 * copy; a refused patch says why; a merged one holds name, tags, disabled and each
 * configuration entry the patch names as given (null: gone, RFC 7396), and everything else as
 * it was, id and element included; what is then stored loads in the table as the same
 * JSON, and the answer masks every secret. */
#include <string.h>

#include "cb_instance.h"
#include "cb_json.h"
#include "fuzz.h"
#include "instance_doc.h"

#define MASK "********"

static const char stored_text[] =
    "{\"id\":20931,\"name\":\"acme\",\"tags\":[\"eu\"],\"element\":{\"key\":\"closeio\"},"
    "\"token\":\"Wz5mJ9zYn9GTr8D9EcVnkSjvDhBvlnSJ\",\"configuration\":{"
    "\"username\":\"api_6Ph1Hn5WqmPfNnV0UR09dx\",\"password\":\"\","
    "\"base.url\":\"https://api.close.com/api/v1\","
    "\"event.notification.enabled\":\"true\","
    "\"event.notification.callback.url\":\"https://hooks.example.com/close\","
    "\"event.notification.secret\":\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\","
    "\"event.notification.format\":\"elements\","
    "\"event.poller.refresh_interval\":\"5\","
    "\"event.poller.configuration\":{\"contacts\":{},\"accounts\":{}}}}";

static const char *const secret_keys[] = {"username", "password", "event.notification.secret",
                                          "event.notification.signature.key",
                                          "event.webhook.signature.key"};

/* 1 when key is one a patch may change at the top level. */
static int patchable(const char *key)
{
        return !strcmp(key, "name") || !strcmp(key, "tags") || !strcmp(key, "disabled");
}

/* Checks merged, the result of applying patch to orig (all borrowed). */
static void check_merged(json_object *orig, json_object *patch, json_object *merged)
{
        json_object *conf, *oconf, *pconf = NULL, *v;

        json_object_object_foreach(merged, key, val)
        {
                if (patchable(key) && json_object_object_get_ex(patch, key, &v))
                        FUZZ_CHECK(v && json_object_equal(val, v));
                else if (strcmp(key, "configuration"))
                        FUZZ_CHECK(json_object_object_get_ex(orig, key, &v) &&
                                   json_object_equal(val, v));
        }
        json_object_object_foreach(orig, okey, oval)
        {
                (void)oval;
                FUZZ_CHECK(json_object_object_get_ex(merged, okey, NULL) ||
                           (patchable(okey) && json_object_object_get_ex(patch, okey, &v) && !v));
        }
        json_object_object_get_ex(patch, "configuration", &pconf);
        FUZZ_CHECK(json_object_object_get_ex(merged, "configuration", &conf) &&
                   json_object_object_get_ex(orig, "configuration", &oconf));
        json_object_object_foreach(conf, ckey, cval)
        {
                if (json_object_object_get_ex(pconf, ckey, &v))
                        FUZZ_CHECK(v && json_object_equal(cval, v));
                else
                        FUZZ_CHECK(json_object_object_get_ex(oconf, ckey, &v) &&
                                   json_object_equal(cval, v));
        }
        json_object_object_foreach(oconf, okey2, oval2)
        {
                (void)oval2;
                FUZZ_CHECK(json_object_object_get_ex(conf, okey2, NULL) ||
                           (json_object_object_get_ex(pconf, okey2, &v) && !v));
        }
}

/* What ingest_instance_store_put puts on the topic for stored loads in the table as the same JSON.
 */
static void check_loads(json_object *stored)
{
        const char *text = json_object_to_json_string_ext(
            stored, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        char err[256];
        json_object *back = cb_json_parse(text, strlen(text), err, sizeof(err));
        cb_instance_t *inst;

        FUZZ_CHECK(back != NULL && json_object_equal(back, stored));
        inst = cb_instance_new("20931", back, err, sizeof(err));
        FUZZ_CHECK(inst != NULL);
        cb_instance_release(inst);
}

/* The answer: every secret of stored's configuration masked, no token. */
static void check_view(json_object *stored)
{
        json_object *view = ingest_instance_view(stored, 0), *conf, *src, *v;
        size_t i;

        FUZZ_CHECK(!json_object_object_get_ex(view, "token", NULL));
        FUZZ_CHECK(json_object_object_get_ex(view, "configuration", &conf) &&
                   json_object_object_get_ex(stored, "configuration", &src));
        for (i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++)
                if (json_object_object_get_ex(src, secret_keys[i], &v) && v)
                        FUZZ_CHECK(!strcmp(
                            json_object_get_string(json_object_object_get(conf, secret_keys[i])),
                            MASK));
        json_object_put(view);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static json_object *orig;
        char err[CB_INSTANCE_ERR_MAX] = "";
        json_object *patch, *stored = NULL, *pristine = NULL;
        cb_instance_t *inst;

        if (!orig) {
                orig = cb_json_parse(stored_text, strlen(stored_text), err, sizeof(err));
                FUZZ_CHECK(orig != NULL);
        }
        patch = cb_json_parse((const char *)data, size, err, sizeof(err));
        if (!json_object_is_type(patch, json_type_object))
                goto done; /* 400 */
        FUZZ_CHECK(json_object_deep_copy(orig, &pristine, NULL) == 0);
        FUZZ_CHECK(json_object_deep_copy(orig, &stored, NULL) == 0);
        if (ingest_instance_merge(stored, patch, err, sizeof(err))) {
                FUZZ_CHECK(*err);
                goto done;
        }
        FUZZ_CHECK(json_object_equal(orig, pristine));
        check_merged(orig, patch, stored);
        if (cb_instance_check(stored, CB_INSTANCE_COMPLETE, err, sizeof(err))) {
                FUZZ_CHECK(*err);
                goto done;
        }
        /* complete implies loadable */
        inst = cb_instance_new("20931", json_object_get(stored), err, sizeof(err));
        FUZZ_CHECK(inst != NULL);
        cb_instance_release(inst);
        check_loads(stored);
        check_view(stored);
done:
        json_object_put(stored);
        json_object_put(pristine);
        json_object_put(patch);
        return 0;
}
