/* cb_kafka: what both processes need from librdkafka: configuration with the user's properties,
 * topic names, and topic creation through the Admin API. */
#ifndef CB_KAFKA_H
#define CB_KAFKA_H

#include <stddef.h>
#include <librdkafka/rdkafka.h>

#include "cb_config.h"

/* Topic names before the configurable prefix (DESIGN §3). */
#define CB_TOPIC_INSTANCES    "closeio.instances"
#define CB_TOPIC_EVENTS       "closeio.events"
#define CB_TOPIC_DLQ          "closeio.events.dlq"
#define CB_TOPIC_DELIVERIES   "closeio.deliveries"
#define CB_TOPIC_POLLER_STATE "closeio.poller.state"

/* Options every process has (expanded inside each process's option table). */
#define CB_KAFKA_OPTIONS                                                                           \
        {"topic-prefix",                                                                           \
         CB_OPT_STR,                                                                               \
         "",                                                                                       \
         0,                                                                                        \
         0,                                                                                        \
         0,                                                                                        \
         "prefix put before every topic name (e.g. \"prod.\")"},                                   \
            {"topic-partitions",                                                                   \
             CB_OPT_INT,                                                                           \
             "6",                                                                                  \
             1,                                                                                    \
             10000,                                                                                \
             0,                                                                                    \
             "partitions of topics created at start-up"},                                          \
            {"topic-replication",                                                                  \
             CB_OPT_INT,                                                                           \
             "-1",                                                                                 \
             -1,                                                                                   \
             100,                                                                                  \
             0,                                                                                    \
             "replication factor of topics created at start-up (-1: the broker's default)"},       \
        {                                                                                          \
                "kafka-timeout-ms", CB_OPT_INT, "30000", 1000, 600000, 0,                          \
                    "how long start-up waits for Kafka (topics, instances table)"                  \
        }

/* Writes prefix + name into out. Returns out. */
const char *cb_kafka_topic(const cb_config_t *cfg, const char *name, char *out, size_t out_size);

/* A new librdkafka configuration holding defaults[] ("key", "value" pairs, NULL-terminated;
 * the user's settings override them) and then every property the user gave, with logs routed
 * through cb_log and statistics each second feeding cb_kafka_reachable and, for consumers, the
 * closebridge_consumer_lag gauge (label client = client.id). The client must be polled (as
 * every client must anyway), or its statistics pile up. Returns a conf the caller owns (hand it
 * to rd_kafka_new), or NULL with errstr naming the property that was refused. */
rd_kafka_conf_t *cb_kafka_conf_new(const cb_config_t *cfg, const char *const *defaults,
                                   char *errstr, size_t errstr_size);

/* 1 when some client of this process saw a broker up within the last 5 s (from librdkafka's
 * statistics, which every client made by cb_kafka_conf_new emits each second), else 0. */
int cb_kafka_reachable(void);

/* A topic to create when missing. */
typedef struct cb_topic_spec {
        const char *name;
        int compact; /* cleanup.policy=compact */
} cb_topic_spec_t;

/* Creates the topics of specs[0..n) that do not exist yet, with partitions and replication
 * from cfg, through rk's Admin API. An existing topic is success. Returns 0, or -1 with
 * errstr set. Blocks up to kafka-timeout-ms. Borrows everything. */
int cb_kafka_ensure_topics(rd_kafka_t *rk, const cb_config_t *cfg, const cb_topic_spec_t *specs,
                           size_t n, char *errstr, size_t errstr_size);

/* The number of partitions of topic, or -1 with errstr set. Blocks up to timeout_ms. */
int cb_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, char *errstr,
                             size_t errstr_size);

/* Closes consumer rk (leaving its group, committing what is stored) and destroys it, waiting
 * no longer than timeout_ms: with the broker gone, close would otherwise wait on it. A member
 * that could not leave is dropped by the group after its session times out. */
void cb_kafka_consumer_destroy(rd_kafka_t *rk, int timeout_ms);

#endif
