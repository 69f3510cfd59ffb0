/* cb_kafka: what both processes need from librdkafka: configuration with the user's properties,
 * topic names, and topic creation through the Admin API. */
#ifndef CB_KAFKA_H
#define CB_KAFKA_H

#include <stddef.h>
#include <librdkafka/rdkafka.h>

#include "cb_config.h"

/* Topic names before the configurable prefix (docs/architecture.md §3). */
#define CB_TOPIC_INSTANCES    "closeio.instances"
#define CB_TOPIC_EVENTS       "closeio.events"
#define CB_TOPIC_DLQ          "closeio.events.dlq"
#define CB_TOPIC_DELIVERIES   "closeio.deliveries"
#define CB_TOPIC_POLLER_STATE "closeio.poller.state"
/* written by the console, read by publish only: replays, due at once (docs/console.md §4) */
#define CB_TOPIC_REPLAY "closeio.events.replay"

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
            {"topic-max-message-bytes",                                                            \
             CB_OPT_INT,                                                                           \
             "2097152",                                                                            \
             65536,                                                                                \
             1000000000,                                                                           \
             0,                                                                                    \
             "max.message.bytes of topics created at start-up (ingest raises it to fit "           \
             "--max-body-bytes)"},                                                                 \
        {                                                                                          \
                "kafka-timeout-ms", CB_OPT_INT, "30000", 1000, 600000, 0,                          \
                    "how long start-up waits for Kafka (topics, instances table)"                  \
        }

/* The Kafka settings every process has: CB_KAFKA_OPTIONS and the user's librdkafka properties
 * (KAFKA_* and --kafka), read once in each main.c (cb_kafka_conf_read) and handed to what makes
 * clients and topics, which never look a setting up by name. */
typedef struct cb_kafka_conf {
        const char *topic_prefix;     /* topic-prefix */
        int topic_partitions;         /* topic-partitions */
        int topic_replication;        /* topic-replication (-1: the broker's default) */
        long topic_max_message_bytes; /* topic-max-message-bytes */
        int timeout_ms;               /* kafka-timeout-ms */
        const cb_kafka_prop_t *props; /* the user's librdkafka properties, in order */
        size_t nprops;
} cb_kafka_conf_t;

/* Fills kc from cfg's CB_KAFKA_OPTIONS and properties. Borrows cfg's strings: kc lives no
 * longer than cfg. */
void cb_kafka_conf_read(cb_kafka_conf_t *kc, const cb_config_t *cfg);

/* Writes prefix + name into out. Returns out. */
const char *cb_kafka_topic(const cb_kafka_conf_t *kc, const char *name, char *out, size_t out_size);

/* What a closebridge Kafka client is made of besides the user's settings (cb_kafka_new). */
typedef struct cb_kafka_spec {
        rd_kafka_type_t type;
        /* "key", "value" pairs, NULL-terminated (or NULL): defaults are set first and the
           user's settings override them; forced ones are set last and win */
        const char *const *defaults;
        const char *const *forced;
        void *opaque; /* of every callback below; those left NULL are librdkafka's defaults */
        void (*error_cb)(rd_kafka_t *rk, int err, const char *reason, void *opaque);
        void (*dr_msg_cb)(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque);
        void (*rebalance_cb)(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *parts, void *opaque);
        int consumer_poll; /* a consumer whose main queue rd_kafka_consumer_poll serves */
} cb_kafka_spec_t;

/* Every Kafka client of closebridge, made from spec and every property the user gave (kc,
 * from KAFKA_* and --kafka), with logs routed through cb_log and statistics each second feeding
 * cb_kafka_reachable and, for consumers, the closebridge_consumer_lag gauge (label client =
 * client.id). The client must be polled (as every client must anyway), or its statistics pile
 * up. Returns the client (the caller destroys it), or NULL with errstr naming the property that
 * was refused or what librdkafka said. */
rd_kafka_t *cb_kafka_new(const cb_kafka_conf_t *kc, const cb_kafka_spec_t *spec, char *errstr,
                         size_t errstr_size);

/* 1 when some client of this process saw a broker up within the last 5 s (from librdkafka's
 * statistics, which every client made by cb_kafka_new emits each second), else 0. */
int cb_kafka_reachable(void);

/* Record sizes (docs/limits.md). An envelope travels from closeio.events to the retry topics
 * and the DLQ with headers publish adds on the way (attempt, due time, last status and error,
 * the DLQ reason): every topic keeps this much room above the largest envelope ingest takes,
 * for those headers and the record batch's framing. */
#define CB_RECORD_HEADROOM 16384
/* What an envelope adds to the body it carries, for bodies whose identifying fields are of
 * ordinary length (ingest checks each envelope's real size anyway). */
#define CB_ENVELOPE_ROOM 65536
/* message.max.bytes of every producer: above any record a topic created here takes (the
 * largest --max-body-bytes plus the room above), so the topic's max.message.bytes is the limit
 * that applies. batch.size (1,000,000 by default) still keeps batches of small records small. */
#define CB_PRODUCER_MESSAGE_MAX "68157440"

/* Topics one call of cb_kafka_ensure_topics or cb_kafka_max_message_bytes takes at most. */
#define CB_KAFKA_TOPICS_MAX 64

/* A topic to create when missing. */
typedef struct cb_topic_spec {
        const char *name;
        int compact;            /* cleanup.policy=compact */
        long max_message_bytes; /* max.message.bytes; 0: topic-max-message-bytes */
        int created;            /* out: 1 when this call created it (with those settings) */
} cb_topic_spec_t;

/* Creates the topics of specs[0..n) that do not exist yet, with partitions and replication
 * from kc and max.message.bytes from the spec (kc's when the spec has none), through rk's
 * Admin API. An existing topic is success (and is left as it is). Sets each spec's created.
 * Returns 0, or -1 with errstr set. Blocks up to kc->timeout_ms. Borrows everything. */
int cb_kafka_ensure_topics(rd_kafka_t *rk, const cb_kafka_conf_t *kc, cb_topic_spec_t *specs,
                           size_t n, char *errstr, size_t errstr_size);

/* Reads the max.message.bytes each of topics[0..n) has (its own or the broker's default) into
 * out[i]; 0 for a topic that does not exist. The first `existing` topics must exist (they were
 * just created, and the broker may not tell them yet): it asks again until they do. Returns 0,
 * or -1 with errstr set. Blocks up to timeout_ms. Borrows everything. */
int cb_kafka_max_message_bytes(rd_kafka_t *rk, const char *const *topics, size_t n, size_t existing,
                               long *out, int timeout_ms, char *errstr, size_t errstr_size);

/* The number of partitions of topic, or -1 with errstr set. Blocks up to timeout_ms. */
int cb_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, char *errstr,
                             size_t errstr_size);

/* Closes consumer rk (leaving its group, committing what is stored) and destroys it, waiting
 * no longer than timeout_ms: with the broker gone, close would otherwise wait on it. A member
 * that could not leave is dropped by the group after its session times out. */
void cb_kafka_consumer_destroy(rd_kafka_t *rk, int timeout_ms);

#endif
