/* console summary: the instances as the web page shows them (GET /console/api/instances,
 * docs/console.md §6): each with its mode, webhook path, events of the last hour and day by
 * state, per hour of the last day delivered and failing, the latest attempt, and the circuit
 * breaker as that attempt shows it. */
#ifndef CONSOLE_SUMMARY_H
#define CONSOLE_SUMMARY_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "cb_table.h"
#include "index.h"

/* A new JSON array of the instances of table (only the instance only_id when it is not "":
 * a tenant's, which is then the one entry, or none when it is gone), ordered by id, with their
 * figures from idx as of now_ms. The caller owns the result. Returns NULL with errstr set. */
json_object *console_summary_json(cb_table_t *table, console_index_t *idx, const char *only_id,
                                  int64_t now_ms, char *errstr, size_t errstr_size);

#endif
