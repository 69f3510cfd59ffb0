/* publish lookup: the instance an envelope is for. An id the instances table does not hold
 * makes it catch up with closeio.instances first (the instance may have been written just
 * before the event). A catch-up takes tens of milliseconds with the consume loop waiting, so an
 * id that one did not find is looked for again only once that catch-up is a second old: a
 * backlog of a deleted instance's envelopes took one catch-up each, about 50 ms an envelope.
 * One thread. */
#ifndef PUBLISH_LOOKUP_H
#define PUBLISH_LOOKUP_H

#include <stdint.h>

#include "cb_metrics.h"
#include "cb_table.h"

typedef struct publish_lookup publish_lookup_t;

/* Each catch-up adds 1 to syncs (borrowed, may be NULL). Returns NULL when out of memory. */
publish_lookup_t *publish_lookup_new(cb_metric_family_t *syncs);

void publish_lookup_destroy(publish_lookup_t *l);

/* The instance of id in table (a reference: cb_instance_release it), or NULL when there is
 * none. Use one table with a lookup. */
cb_instance_t *publish_lookup(publish_lookup_t *l, cb_table_t *table, const char *id,
                              int64_t now_ms);

#endif
