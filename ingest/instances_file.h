/* ingest instances file: instances declared in a JSON file at start-up, written to
 * closeio.instances (docs/architecture.md §2). */
#ifndef INGEST_INSTANCES_FILE_H
#define INGEST_INSTANCES_FILE_H

#include <stddef.h>
#include <json-c/json.h>

#include "ingest.h"

/* Reads path, an instances file: a JSON array of instance objects (or {"instances": [...]}),
 * each with a positive integer "id" (or its decimal text) and loadable (cb_instance_check,
 * CB_INSTANCE_LOADABLE). Checks every instance. Returns the array, a new reference the caller puts,
 * or NULL with errstr set as "path: message". */
json_object *ingest_instances_file_read(const char *path, char *errstr, size_t errstr_size);

/* Reads path: a JSON array of instance objects, each with a positive integer "id" (or
 * {"instances": [...]}). Checks every instance first, then writes each one that differs from
 * the table's copy to the instances topic (instance_store.h) and waits until the table holds
 * them all. Writing the same file again changes nothing. The table must be loaded.
 * Returns the number of instances in the file, or -1 with errstr set as "path: message". */
int ingest_instances_file_apply(ingest_t *ing, const char *path, char *errstr, size_t errstr_size);

#endif
