/* ingest: what every part of the ingest process shares. Built once in main.c, read-only after
 * start-up, so any thread may read it. */
#ifndef INGEST_H
#define INGEST_H

#include "cb_auth.h"
#include "cb_kafka.h"
#include "cb_table.h"
#include "instances_api.h"
#include "produce.h"

/* The settings the modules use, read once from the options in main.c (--help says what each
 * one means). */
typedef struct ingest_conf {
        int ack_timeout_ms;            /* ack-timeout-ms */
        long retry_after_s;            /* retry-after-s: what a 503 asks for */
        long max_body_bytes;           /* max-body-bytes */
        long signature_tolerance_s;    /* signature-tolerance-s */
        const char *admin_user_secret; /* admin-user-secret */
        const char *admin_org_secret;  /* admin-org-secret */
        int http_port;                 /* http-port */
        const char *poller_group_id;   /* poller-group-id */
        const char *poller_txid;       /* poller-transactional-id ("": from host and port) */
        size_t poll_workers;           /* poll-workers */
        int poll_per_key;              /* poll-per-key */
        long poll_interval_s;          /* poll-interval-s */
        long poll_timeout_ms;          /* poll-timeout-ms */
        long poll_overlap_s;           /* poll-overlap-s */
        const char *close_api_base;    /* close-api-base */
} ingest_conf_t;

typedef struct ingest {
        cb_kafka_conf_t kafka; /* the Kafka settings (cb_kafka.h), read in main.c */
        ingest_conf_t conf;
        cb_table_t *table;
        ingest_producer_t *producer;
        ingest_admin_t *admin;
        struct ingest_poller *poller;
        char topic_events[256];
        char topic_instances[256];
        size_t record_max; /* the largest envelope record to produce (ingest_topics_setup) */
} ingest_t;

/* The admin secrets of ing's configuration (auth.h). */
static inline cb_auth_t ingest_secrets(const ingest_t *ing)
{
        return (cb_auth_t){ing->conf.admin_user_secret, ing->conf.admin_org_secret};
}

#endif
