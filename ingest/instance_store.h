/* ingest instance store: the one way ingest writes instance records to closeio.instances, for
 * the instances API and the instances file alike (docs/architecture.md §2). A record is the
 * instance JSON keyed by its id as decimal text, or a tombstone for a deleted instance; a write
 * returns once Kafka has acknowledged it, a put or delete once this replica's table holds it
 * too, so that a read after it sees it. New ids come from reservations on the same topic.
 *
 * Threads: every function but ingest_instance_store_id_for blocks on Kafka: call them from the
 * instances API worker or from main at start-up, never from an HTTP thread. They read ing
 * (read-only after start-up) and its table (thread-safe). */
#ifndef INGEST_INSTANCE_STORE_H
#define INGEST_INSTANCE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "ingest.h"

/* Instances created by the API get ids from here up, away from the small ids people choose in
 * instances files. */
#define INGEST_INSTANCE_ID_BASE 1000000
/* The key of id reservations on the instances topic (tombstones the table skips). */
#define INGEST_INSTANCE_RESERVATION_KEY "id-reservation"

/* The id a reservation written at offset gives: INGEST_INSTANCE_ID_BASE + offset as decimal
 * text, into id (size bytes). Returns 0, or -1 when offset is negative or the id would not be
 * an instance id (cb_instance_id_valid). No Kafka. */
int ingest_instance_store_id_for(int64_t offset, char *id, size_t size);

/* Writes json (borrowed; loadable, as cb_instance_check judges it: the store does not check) as
 * the record of instance id, or a tombstone when json is NULL, and waits for Kafka's
 * acknowledgement (ack-timeout-ms); not for the table. Returns 0, or -1 with errstr set. */
int ingest_instance_store_write(ingest_t *ing, const char *id, json_object *json, char *errstr,
                                size_t errstr_size);

/* Waits up to timeout_ms until this replica's table holds every record written before the
 * call. Returns 0, or -1 with errstr set. */
int ingest_instance_store_sync(ingest_t *ing, int timeout_ms, char *errstr, size_t errstr_size);

/* ingest_instance_store_write of json (borrowed) for id, then ingest_instance_store_sync for up
 * to ack-timeout-ms: once it returns 0, the table holds the instance as json. Returns 0, or -1
 * with errstr set. */
int ingest_instance_store_put(ingest_t *ing, const char *id, json_object *json, char *errstr,
                              size_t errstr_size);

/* The same with a tombstone: once it returns 0, the table no longer holds instance id. */
int ingest_instance_store_delete(ingest_t *ing, const char *id, char *errstr, size_t errstr_size);

/* 1 when the table holds instance id as json (borrowed), the same JSON, else 0. No Kafka. */
int ingest_instance_store_holds(ingest_t *ing, const char *id, json_object *json);

/* Takes a new instance id from Kafka itself: writes a reservation to partition 0 of the
 * instances topic, whose offset is unique for as long as the topic lives whichever replica wrote
 * it, so no coordinator of our own is needed; an id the table already holds (an instances file
 * may declare any id) is skipped for the next reservation, 8 times at most. Writes the id into
 * id (size bytes). Returns 0, or -1 with errstr set. */
int ingest_instance_store_reserve_id(ingest_t *ing, char *id, size_t size, char *errstr,
                                     size_t errstr_size);

#endif
