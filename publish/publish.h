/* publish: what every part of the publish process shares. Built once in main.c. */
#ifndef PUBLISH_H
#define PUBLISH_H

#include <signal.h>
#include <librdkafka/rdkafka.h>

#include "cb_config.h"
#include "cb_table.h"
#include "deliver.h"

typedef struct publish {
        const cb_config_t *cfg;
        cb_table_t *table;
        rd_kafka_t *rk;                 /* the consumer group member */
        publish_deliverer_t *deliverer; /* used by the consumer loop's thread only */
        char topic_events[256];
        char topic_instances[256];
        volatile sig_atomic_t *run; /* cleared by SIGTERM/SIGINT */
} publish_t;

#endif
