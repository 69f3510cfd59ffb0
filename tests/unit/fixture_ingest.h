/* Test helper: an ingest_t whose producer and instances table talk to one librdkafka mock
 * cluster (fault injection and blocking paths only; the integration tests use a real broker).
 * A test that uses it links ingestlib. */
#ifndef TEST_FIXTURE_INGEST_H
#define TEST_FIXTURE_INGEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "cb_config.h"
#include "cb_kafka.h"
#include "ingest.h"

#define FIXTURE_INSTANCES "t.closeio.instances"
/* how long a record may wait for its acknowledgement (and the table for it) */
#define FIXTURE_ACK_TIMEOUT_MS 2000

typedef struct fixture_ingest {
        ingest_t ing;
        rd_kafka_t *mock_rk; /* the handle that owns the mock cluster */
        rd_kafka_mock_cluster_t *mock;
        cb_config_t *cfg;
} fixture_ingest_t;

static const cb_option_t fixture_ingest_opts[] = {
    {"ack-timeout-ms", CB_OPT_INT, "5000", 100, 300000, 0, ""},
    {"retry-after-s", CB_OPT_INT, "5", 0, 3600, 0, ""},
    CB_KAFKA_OPTIONS,
};

/* Starts the mock cluster with FIXTURE_INSTANCES (partitions of them), the producer and the
 * table, and waits until the table is loaded. Returns a new fixture, or NULL (with why on
 * stderr). */
static inline fixture_ingest_t *fixture_ingest_new(int partitions)
{
        fixture_ingest_t *f = calloc(1, sizeof(*f));
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char err[512], servers[512], *argv[] = {"t", "--kafka", servers};
        char *envp[] = {NULL};
        struct timespec step = {0, 10 * 1000000};
        int i;

        if (!f || rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", err, sizeof(err)))
                goto fail;
        f->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
        if (!f->mock_rk)
                goto fail;
        f->mock = rd_kafka_handle_mock_cluster(f->mock_rk);
        if (!f->mock || rd_kafka_mock_topic_create(f->mock, FIXTURE_INSTANCES, partitions, 1))
                goto fail;
        snprintf(servers, sizeof(servers), "bootstrap.servers=%s",
                 rd_kafka_mock_cluster_bootstraps(f->mock));
        f->cfg = cb_config_new("t", "1", fixture_ingest_opts,
                               sizeof(fixture_ingest_opts) / sizeof(fixture_ingest_opts[0]));
        if (!f->cfg || cb_config_parse(f->cfg, 3, argv, envp, stdout, err, sizeof(err)))
                goto fail;
        cb_kafka_conf_read(&f->ing.kafka, f->cfg);
        f->ing.conf.ack_timeout_ms = FIXTURE_ACK_TIMEOUT_MS;
        f->ing.kafka.timeout_ms = 10000;
        f->ing.conf.retry_after_s = 7;
        snprintf(f->ing.topic_instances, sizeof(f->ing.topic_instances), "%s", FIXTURE_INSTANCES);
        f->ing.producer =
            ingest_producer_new(&f->ing.kafka, FIXTURE_ACK_TIMEOUT_MS, 7, err, sizeof(err));
        if (!f->ing.producer)
                goto fail;
        f->ing.table = cb_table_new(&f->ing.kafka, f->ing.topic_instances, err, sizeof(err));
        if (!f->ing.table)
                goto fail;
        /* loaded once every partition reached its end once: wait for it, with a deadline */
        for (i = 0; i < 1000 && !cb_table_loaded(f->ing.table); i++)
                nanosleep(&step, NULL);
        if (cb_table_loaded(f->ing.table))
                return f;
        snprintf(err, sizeof(err), "the table did not load");
fail:
        fprintf(stderr, "fixture_ingest_new: %s\n", err);
        if (f) {
                cb_table_destroy(f->ing.table);
                ingest_producer_destroy(f->ing.producer);
                cb_config_destroy(f->cfg);
                if (f->mock_rk)
                        rd_kafka_destroy(f->mock_rk);
                free(f);
        }
        return NULL;
}

static inline void fixture_ingest_destroy(fixture_ingest_t *f)
{
        if (!f)
                return;
        cb_table_destroy(f->ing.table);
        ingest_producer_drain(f->ing.producer, 5000);
        ingest_producer_destroy(f->ing.producer);
        cb_config_destroy(f->cfg);
        rd_kafka_destroy(f->mock_rk);
        free(f);
}

#endif
