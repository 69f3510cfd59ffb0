/* Unit tests of the instances API's operations against librdkafka's mock cluster: the answers
 * of create, read, list, change and delete, and what they leave in the table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture_ingest.h"
#include "instance_store.h"
#include "instances_ops.h"

#define SEED                                                                                       \
        "{\"element\":{\"key\":\"closeio\"},\"name\":\"acme\",\"tags\":[\"acme\"],"                \
        "\"configuration\":{\"username\":\"CLOSE_KEY\",\"password\":\"PW\","                       \
        "\"event.notification.enabled\":\"true\","                                                 \
        "\"event.notification.callback.url\":\"http://127.0.0.1:9/cb\"}}"

static int setup(void **state)
{
        *state = fixture_ingest_new(2);
        return *state ? 0 : -1;
}

static int teardown(void **state)
{
        fixture_ingest_destroy(*state);
        return 0;
}

/* Runs op with body (text or NULL) and checks its status; the caller finishes answer. */
static void run(fixture_ingest_t *f, ingest_instances_op_t op, const char *id, const char *body,
                unsigned status, ingest_instances_answer_t *answer)
{
        ingest_instances_op_run(&f->ing, op, id, body ? body : "", body ? strlen(body) : 0, answer);
        if (answer->status != status)
                fprintf(stderr, "status %u (%s)\n", answer->status, answer->message);
        assert_int_equal(answer->status, status);
        assert_true(status == 200 ? answer->body != NULL : answer->body == NULL);
}

static const char *conf_text(json_object *view, const char *key)
{
        json_object *conf = json_object_object_get(view, "configuration");

        return json_object_get_string(json_object_object_get(conf, key));
}

static void test_ops_create_shows_secrets_once_and_stores_the_instance(void **state)
{
        fixture_ingest_t *f = *state;
        ingest_instances_answer_t answer;
        char id[CB_INSTANCE_ID_MAX];
        cb_instance_t *inst;
        const char *secret;

        run(f, INGEST_INSTANCES_CREATE, "", SEED, 200, &answer);
        snprintf(id, sizeof(id), "%s",
                 json_object_get_string(json_object_object_get(answer.body, "id")));
        assert_true(strtoll(id, NULL, 10) >= INGEST_INSTANCE_ID_BASE);
        assert_non_null(json_object_object_get(answer.body, "token"));
        secret = conf_text(answer.body, "event.notification.secret");
        assert_true(!strncmp(secret, "whsec_", 6) && strlen(secret) > 30);
        assert_string_equal(conf_text(answer.body, "username"), "********");
        assert_true(json_object_get_boolean(json_object_object_get(answer.body, "eventsEnabled")));
        /* a read after the write sees it, secrets and all */
        inst = cb_table_get(f->ing.table, id);
        assert_non_null(inst);
        assert_string_equal(cb_instance_config(inst, "event.notification.secret"), secret);
        assert_string_equal(cb_instance_config(inst, "username"), "CLOSE_KEY");
        cb_instance_release(inst);
        ingest_instances_answer_fini(&answer);

        run(f, INGEST_INSTANCES_GET, id, NULL, 200, &answer);
        assert_null(json_object_object_get(answer.body, "token"));
        assert_string_equal(conf_text(answer.body, "event.notification.secret"), "********");
        ingest_instances_answer_fini(&answer);
}

static void test_ops_create_keeps_a_given_secret_and_drops_a_given_id(void **state)
{
        fixture_ingest_t *f = *state;
        ingest_instances_answer_t answer;
        json_object *body = json_tokener_parse(SEED), *conf;

        json_object_object_add(body, "id", json_object_new_int(5));
        json_object_object_get_ex(body, "configuration", &conf);
        json_object_object_add(conf, "event.notification.secret",
                               json_object_new_string("whsec_mine"));
        run(f, INGEST_INSTANCES_CREATE, "", json_object_to_json_string(body), 200, &answer);
        assert_true(json_object_get_int64(json_object_object_get(answer.body, "id")) >=
                    INGEST_INSTANCE_ID_BASE);
        assert_string_equal(conf_text(answer.body, "event.notification.secret"), "whsec_mine");
        assert_null(cb_table_get(f->ing.table, "5"));
        ingest_instances_answer_fini(&answer);
        json_object_put(body);
}

static void test_ops_create_names_every_missing_entry(void **state)
{
        fixture_ingest_t *f = *state;
        ingest_instances_answer_t answer;

        run(f, INGEST_INSTANCES_CREATE, "", "{\"element\":{\"key\":\"closeio\"}}", 400, &answer);
        assert_string_equal(answer.message, "missing required entries: name, configuration");
        run(f, INGEST_INSTANCES_CREATE, "", "[1]", 400, &answer);
        assert_string_equal(answer.message, "the body must be a JSON object");
        run(f, INGEST_INSTANCES_CREATE, "", "{\"name\": ", 400, &answer);
        assert_true(answer.message[0] != '\0');
        run(f, INGEST_INSTANCES_CREATE, "",
            "{\"element\":{\"key\":\"closeio\"},\"name\":\"a\",\"configuration\":{"
            "\"username\":\"k\",\"event.notification.format\":\"xml\"}}",
            400, &answer);
        assert_string_equal(answer.message,
                            "event.notification.format must be \"elements\" or \"cloudevents\"");
        assert_int_equal(cb_table_count(f->ing.table), 0);
}

static void test_ops_patch_merges_and_delete_removes(void **state)
{
        fixture_ingest_t *f = *state;
        ingest_instances_answer_t answer;
        json_object *seed = json_tokener_parse(SEED);
        char err[256];
        cb_instance_t *inst;

        json_object_object_add(seed, "id", json_object_new_int(20931));
        assert_int_equal(ingest_instance_store_put(&f->ing, "20931", seed, err, sizeof(err)), 0);
        run(f, INGEST_INSTANCES_PATCH, "20931",
            "{\"name\":\"renamed\",\"configuration\":{\"password\":null,"
            "\"event.notification.callback.url\":\"http://127.0.0.1:10/new\"}}",
            200, &answer);
        assert_string_equal(json_object_get_string(json_object_object_get(answer.body, "name")),
                            "renamed");
        assert_string_equal(conf_text(answer.body, "event.notification.callback.url"),
                            "http://127.0.0.1:10/new");
        ingest_instances_answer_fini(&answer);
        inst = cb_table_get(f->ing.table, "20931");
        assert_non_null(inst);
        assert_string_equal(inst->name, "renamed");
        assert_null(cb_instance_config(inst, "password"));
        cb_instance_release(inst);

        run(f, INGEST_INSTANCES_PATCH, "20931", "{\"configuration\": 5}", 400, &answer);
        assert_string_equal(answer.message, "configuration must be an object");
        run(f, INGEST_INSTANCES_PATCH, "20931", "{\"name\": null}", 400, &answer);
        assert_string_equal(answer.message, "missing required entries: name");
        run(f, INGEST_INSTANCES_PATCH, "20931", "{\"token\": \"x\"}", 400, &answer);
        assert_string_equal(answer.message, "\"token\" cannot be changed");
        run(f, INGEST_INSTANCES_PATCH, "99999999", "{}", 404, &answer);
        assert_string_equal(answer.message, "unknown instance");

        run(f, INGEST_INSTANCES_LIST, "", NULL, 200, &answer);
        assert_int_equal(json_object_array_length(answer.body), 1);
        ingest_instances_answer_fini(&answer);
        run(f, INGEST_INSTANCES_DELETE, "20931", NULL, 200, &answer);
        assert_string_equal(json_object_to_json_string_ext(answer.body, JSON_C_TO_STRING_PLAIN),
                            "{\"id\":20931,\"deleted\":true}");
        ingest_instances_answer_fini(&answer);
        assert_null(cb_table_get(f->ing.table, "20931"));
        run(f, INGEST_INSTANCES_GET, "20931", NULL, 404, &answer);
        run(f, INGEST_INSTANCES_DELETE, "20931", NULL, 404, &answer);
        run(f, INGEST_INSTANCES_LIST, "", NULL, 200, &answer);
        assert_int_equal(json_object_array_length(answer.body), 0);
        ingest_instances_answer_fini(&answer);
        json_object_put(seed);
}

static void test_ops_create_is_unavailable_without_kafka(void **state)
{
        fixture_ingest_t *f = *state;
        ingest_instances_answer_t answer;

        rd_kafka_mock_partition_set_leader(f->mock, FIXTURE_INSTANCES, 0, -1);
        rd_kafka_mock_partition_set_leader(f->mock, FIXTURE_INSTANCES, 1, -1);
        run(f, INGEST_INSTANCES_CREATE, "", SEED, 503, &answer);
        assert_true(answer.retry_after);
        assert_true(answer.message[0] != '\0');
        assert_int_equal(cb_table_count(f->ing.table), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(
                test_ops_create_shows_secrets_once_and_stores_the_instance, setup, teardown),
            cmocka_unit_test_setup_teardown(
                test_ops_create_keeps_a_given_secret_and_drops_a_given_id, setup, teardown),
            cmocka_unit_test_setup_teardown(test_ops_create_names_every_missing_entry, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_ops_patch_merges_and_delete_removes, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_ops_create_is_unavailable_without_kafka, setup,
                                            teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
