/* console follow: the thread that reads the followed topics into the index (index.h), every
 * partition of closeio.events, closeio.deliveries, closeio.events.dlq and of each retry topic
 * (closeio.events.retry.*, found in the cluster's metadata at start-up and every 30 s), with
 * no consumer group: each console replica reads everything, from where its database says it
 * stopped (or from the start), and stores its positions with the rows in one transaction per
 * batch. It also prunes what is older than the retention.
 *
 * Threads: the follower's thread alone writes the database and uses its Kafka consumer;
 * console_follow_caught_up may be called from any thread. */
#ifndef CONSOLE_FOLLOW_H
#define CONSOLE_FOLLOW_H

#include <stdint.h>

#include "cb_kafka.h"
#include "cb_metrics.h"

typedef struct console_follow_conf {
        const cb_kafka_conf_t *kafka; /* read during console_follow_new only */
        const char *db_path;          /* borrowed for the follower's life */
        const char *topic_events;     /* full names (prefix included), borrowed */
        const char *topic_deliveries;
        const char *topic_dlq;
        int64_t retention_ms; /* events first seen longer ago are pruned */
        int batch_max;        /* records per transaction at most */
} console_follow_conf_t;

typedef struct console_follow console_follow_t;

/* Opens the database (creating it), makes the consumer, reads the topics' partitions and
 * their end offsets, assigns them from the stored positions and starts the thread. Returns
 * NULL with errstr set when any of that fails. */
console_follow_t *console_follow_new(const console_follow_conf_t *conf, char *errstr,
                                     size_t errstr_size);

/* 1 once every partition assigned at start-up has been read up to the end offset it had then,
 * else 0. */
int console_follow_caught_up(console_follow_t *f);

/* Stops the thread (finishing the batch under way), closes the database and frees f. NULL is a
 * no-op. */
void console_follow_destroy(console_follow_t *f);

#endif
