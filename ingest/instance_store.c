#include "instance_store.h"

#include <stdio.h>
#include <string.h>

#include "cb_instance.h"

#define RESERVE_TRIES 8

int ingest_instance_store_id_for(int64_t offset, char *id, size_t size)
{
        if (offset < 0 || offset > INT64_MAX - INGEST_INSTANCE_ID_BASE)
                return -1;
        snprintf(id, size, "%lld", (long long)(INGEST_INSTANCE_ID_BASE + offset));
        return cb_instance_id_valid(id) ? 0 : -1;
}

int ingest_instance_store_write(ingest_t *ing, const char *id, json_object *json, char *errstr,
                                size_t errstr_size)
{
        /* as the table reads it back strictly (cb_json_parse): json-c's plain text */
        const char *value = json
                                ? json_object_to_json_string_ext(
                                      json, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
                                : NULL;

        return ingest_producer_send_sync(ing->producer, ing->topic_instances, RD_KAFKA_PARTITION_UA,
                                         id, value, value ? strlen(value) : 0, NULL, errstr,
                                         errstr_size);
}

int ingest_instance_store_sync(ingest_t *ing, int timeout_ms, char *errstr, size_t errstr_size)
{
        if (!cb_table_sync(ing->table, timeout_ms))
                return 0;
        snprintf(errstr, errstr_size, "this replica's table did not catch up in time");
        return -1;
}

int ingest_instance_store_put(ingest_t *ing, const char *id, json_object *json, char *errstr,
                              size_t errstr_size)
{
        if (ingest_instance_store_write(ing, id, json, errstr, errstr_size))
                return -1;
        return ingest_instance_store_sync(ing, ing->conf.ack_timeout_ms, errstr, errstr_size);
}

int ingest_instance_store_delete(ingest_t *ing, const char *id, char *errstr, size_t errstr_size)
{
        return ingest_instance_store_put(ing, id, NULL, errstr, errstr_size);
}

int ingest_instance_store_holds(ingest_t *ing, const char *id, json_object *json)
{
        cb_instance_t *current = cb_table_get(ing->table, id);
        int same = current && json_object_equal(current->json, json);

        cb_instance_release(current);
        return same;
}

int ingest_instance_store_reserve_id(ingest_t *ing, char *id, size_t size, char *errstr,
                                     size_t errstr_size)
{
        cb_instance_t *taken;
        int64_t offset = -1;
        int tries;

        for (tries = 0; tries < RESERVE_TRIES; tries++) {
                if (ingest_producer_send_sync(ing->producer, ing->topic_instances, 0,
                                              INGEST_INSTANCE_RESERVATION_KEY, NULL, 0, &offset,
                                              errstr, errstr_size))
                        return -1;
                if (ingest_instance_store_id_for(offset, id, size)) {
                        snprintf(errstr, errstr_size, "offset %lld gives no instance id",
                                 (long long)offset);
                        return -1;
                }
                taken = cb_table_get(ing->table, id);
                cb_instance_release(taken);
                if (!taken)
                        return 0;
        }
        snprintf(errstr, errstr_size, "no free instance id");
        return -1;
}
