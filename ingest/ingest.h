/* ingest: what every part of the ingest process shares. Built once in main.c, read-only after
 * start-up, so any thread may read it. */
#ifndef INGEST_H
#define INGEST_H

#include "cb_config.h"
#include "cb_table.h"
#include "instances_api.h"
#include "produce.h"

typedef struct ingest {
        const cb_config_t *cfg;
        cb_table_t *table;
        ingest_producer_t *producer;
        ingest_admin_t *admin;
        struct ingest_poller *poller;
        char topic_events[256];
        char topic_instances[256];
        size_t record_max; /* the largest envelope record to produce (ingest_topics_setup) */
} ingest_t;

#endif
