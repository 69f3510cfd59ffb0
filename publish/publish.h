/* publish: what every part of the publish process shares. Built once in main.c; the consumer
 * loop's thread is the only one that touches it after start-up. */
#ifndef PUBLISH_H
#define PUBLISH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "breaker.h"
#include "cb_kafka.h"
#include "cb_metrics.h"
#include "cb_table.h"
#include "cb_wake.h"
#include "deliver.h"
#include "offsets.h"
#include "retry.h"
#include "ssrf.h"

#define PUBLISH_TOPIC_MAX 256

typedef struct publish publish_t;

/* The settings the modules use, read once from the options in main.c (--help says what each
 * one means). */
typedef struct publish_conf {
        const char *group_id;          /* group-id */
        const char *group_instance_id; /* group-instance-id: "auto", "" or the id */
        int http_port;                 /* http-port */
        int64_t delivery_timeout_ms;   /* delivery-timeout-ms: one attempt's time limit */
        size_t max_in_flight;          /* max-in-flight */
        int64_t commit_interval_ms;    /* commit-interval-ms */
        long retry_after_max_s;        /* retry-after-max-s */
} publish_conf_t;

struct publish {
        cb_kafka_conf_t kafka; /* the Kafka settings (cb_kafka.h), read in main.c */
        publish_conf_t conf;
        cb_table_t *table;
        rd_kafka_t *rk;           /* the consumer group member */
        rd_kafka_t *prk;          /* the producer for retry, dead-letter and attempts topics */
        publish_engine_t *engine; /* the deliveries in flight */
        publish_ssrf_t *ssrf;
        publish_breakers_t *breakers;
        publish_offsets_t *offsets;
        publish_ladder_t ladder;
        char topic_events[PUBLISH_TOPIC_MAX];
        char topic_instances[PUBLISH_TOPIC_MAX];
        char topic_dlq[PUBLISH_TOPIC_MAX];
        char topic_replay[PUBLISH_TOPIC_MAX];
        char topic_deliveries[PUBLISH_TOPIC_MAX];
        volatile sig_atomic_t *run;  /* cleared by SIGTERM/SIGINT or a fatal Kafka error */
        const cb_wake_t *wake;       /* the loop sleeps on it (loop.c); main.c's */
        int fatal;                   /* a client hit a fatal error: exit 1 */
        int renew;                   /* the consumer was fenced: make a new one (consume.c) */
        struct publish_state *state; /* the consumer loop's own (consume.c) */
        cb_metric_family_t *m_deliveries, *m_attempts, *m_in_flight, *m_breakers, *m_duration;
        cb_metric_family_t *m_table_syncs;
};

#endif
