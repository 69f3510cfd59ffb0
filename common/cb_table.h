/* cb_table: the instances table, loaded from the compacted topic closeio.instances and followed
 * for as long as the process runs (docs/architecture.md §2).
 *
 * Threads: one thread of its own consumes the topic and is the only writer; any thread may look
 * instances up (a read lock) and wait for the table to catch up. */
#ifndef CB_TABLE_H
#define CB_TABLE_H

#include "cb_kafka.h"
#include "cb_instance.h"

typedef struct cb_table cb_table_t;

/* Creates the table for topic (full name) with a consumer configured from kc and starts its
 * thread. Reads kc during the call only; borrows topic for the table's life. Returns NULL with
 * errstr set when the consumer cannot be created or the topic's partitions cannot be read. */
cb_table_t *cb_table_new(const cb_kafka_conf_t *kc, const char *topic, char *errstr,
                         size_t errstr_size);

/* Stops the thread and frees the table. NULL is a no-op. */
void cb_table_destroy(cb_table_t *table);

/* 1 once every partition has been read to its end at least once, else 0. */
int cb_table_loaded(cb_table_t *table);

/* Waits until the table holds everything written to the topic before this call: reads the
 * partitions' end offsets now, then waits until the thread has applied them.
 * Returns 0, or -1 when timeout_ms passed or the end offsets could not be read. */
int cb_table_sync(cb_table_t *table, int timeout_ms);

/* The instance with id, with a new reference the caller must release, or NULL. */
cb_instance_t *cb_table_get(cb_table_t *table, const char *id);

/* Every instance in the table, ordered by numeric id, each with a new reference: writes a new
 * array the caller frees (after releasing each instance) to *out. Returns the count, or -1
 * when out of memory. */
long cb_table_snapshot(cb_table_t *table, cb_instance_t ***out);

/* The number of instances in the table. */
size_t cb_table_count(cb_table_t *table);

#endif
