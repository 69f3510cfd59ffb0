/* Unit tests of ingest's instance store against librdkafka's mock cluster: what it writes the
 * table holds when the call returns, and new ids come from reservations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture_ingest.h"
#include "instance_store.h"

#define SEED                                                                                       \
        "{\"id\":20931,\"name\":\"acme\",\"element\":{\"key\":\"closeio\"},"                       \
        "\"configuration\":{\"username\":\"k\"}}"

static int setup(void **state)
{
        *state = fixture_ingest_new(3);
        return *state ? 0 : -1;
}

static int teardown(void **state)
{
        fixture_ingest_destroy(*state);
        return 0;
}

static void test_store_gives_ids_from_a_million_up(void **state)
{
        char id[CB_INSTANCE_ID_MAX];

        (void)state;
        assert_int_equal(ingest_instance_store_id_for(0, id, sizeof(id)), 0);
        assert_string_equal(id, "1000000");
        assert_int_equal(ingest_instance_store_id_for(41, id, sizeof(id)), 0);
        assert_string_equal(id, "1000041");
        assert_int_equal(ingest_instance_store_id_for(-1, id, sizeof(id)), -1);
        /* 19 digits is not an instance id */
        assert_int_equal(ingest_instance_store_id_for(999999999999000000LL, id, sizeof(id)), -1);
        assert_int_equal(ingest_instance_store_id_for(INT64_MAX, id, sizeof(id)), -1);
}

static void test_store_put_is_in_the_table_when_it_returns(void **state)
{
        fixture_ingest_t *f = *state;
        json_object *json = json_tokener_parse(SEED);
        cb_instance_t *inst;
        char err[256] = "";

        assert_int_equal(ingest_instance_store_put(&f->ing, "20931", json, err, sizeof(err)), 0);
        inst = cb_table_get(f->ing.table, "20931");
        assert_non_null(inst);
        assert_string_equal(inst->name, "acme");
        assert_true(json_object_equal(inst->json, json));
        cb_instance_release(inst);
        assert_true(ingest_instance_store_holds(&f->ing, "20931", json));
        json_object_object_add(json, "name", json_object_new_string("other"));
        assert_false(ingest_instance_store_holds(&f->ing, "20931", json));
        assert_false(ingest_instance_store_holds(&f->ing, "20932", json));

        assert_int_equal(ingest_instance_store_delete(&f->ing, "20931", err, sizeof(err)), 0);
        assert_null(cb_table_get(f->ing.table, "20931"));
        json_object_put(json);
}

static void test_store_writes_many_then_waits_once_for_the_table(void **state)
{
        fixture_ingest_t *f = *state;
        json_object *json = json_tokener_parse(SEED);
        char err[256] = "";
        cb_instance_t *inst;

        assert_int_equal(ingest_instance_store_write(&f->ing, "7", json, err, sizeof(err)), 0);
        assert_int_equal(ingest_instance_store_write(&f->ing, "8", json, err, sizeof(err)), 0);
        assert_int_equal(ingest_instance_store_sync(&f->ing, 5000, err, sizeof(err)), 0);
        inst = cb_table_get(f->ing.table, "7");
        assert_non_null(inst);
        cb_instance_release(inst);
        inst = cb_table_get(f->ing.table, "8");
        assert_non_null(inst);
        cb_instance_release(inst);
        json_object_put(json);
}

static void test_store_reserves_ids_no_instance_holds(void **state)
{
        fixture_ingest_t *f = *state;
        json_object *json = json_tokener_parse(SEED);
        char first[CB_INSTANCE_ID_MAX], next[CB_INSTANCE_ID_MAX], err[256] = "";
        long long n;

        assert_int_equal(
            ingest_instance_store_reserve_id(&f->ing, first, sizeof(first), err, sizeof(err)), 0);
        assert_true(cb_instance_id_valid(first));
        n = strtoll(first, NULL, 10);
        assert_true(n >= INGEST_INSTANCE_ID_BASE);
        /* an instances file declared the id the next reservation would give */
        snprintf(next, sizeof(next), "%lld", n + 1);
        assert_int_equal(ingest_instance_store_put(&f->ing, next, json, err, sizeof(err)), 0);
        assert_int_equal(
            ingest_instance_store_reserve_id(&f->ing, next, sizeof(next), err, sizeof(err)), 0);
        assert_int_equal(strtoll(next, NULL, 10), n + 2);
        /* reservations are not instances */
        assert_null(cb_table_get(f->ing.table, INGEST_INSTANCE_RESERVATION_KEY));
        json_object_put(json);
}

static void test_store_put_fails_when_kafka_refuses(void **state)
{
        fixture_ingest_t *f = *state;
        json_object *json = json_tokener_parse(SEED);
        char err[256] = "";
        int i;

        /* no leader for any partition: the record is never acknowledged */
        for (i = 0; i < 3; i++)
                rd_kafka_mock_partition_set_leader(f->mock, FIXTURE_INSTANCES, i, -1);
        assert_int_equal(ingest_instance_store_put(&f->ing, "20933", json, err, sizeof(err)), -1);
        assert_true(err[0] != '\0');
        assert_null(cb_table_get(f->ing.table, "20933"));
        json_object_put(json);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_store_gives_ids_from_a_million_up),
            cmocka_unit_test_setup_teardown(test_store_put_is_in_the_table_when_it_returns, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_store_writes_many_then_waits_once_for_the_table,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_store_reserves_ids_no_instance_holds, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_store_put_fails_when_kafka_refuses, setup,
                                            teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
