/* What the console's Kafka unit tests share: one librdkafka mock cluster, owned by a plain
 * producer that writes the test records, and a cb_kafka_conf_t whose only property points the
 * console's clients at it. Include once, from a test file (after cmocka.h). */
#ifndef FIXTURE_CONSOLE_KAFKA_H
#define FIXTURE_CONSOLE_KAFKA_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "cb_kafka.h"

/* How long a condition is waited for before the test fails. */
#define FX_DEADLINE_MS 10000

typedef struct fx_kafka {
        rd_kafka_t *prod; /* owns the mock cluster */
        rd_kafka_mock_cluster_t *mock;
        char servers[512];
        cb_kafka_prop_t props[1];
        cb_kafka_conf_t kc; /* for the console's clients */
} fx_kafka_t;

/* What a test record's delivery report tells. */
typedef struct fx_report {
        int done;
        rd_kafka_resp_err_t err;
        int64_t offset;
} fx_report_t;

static inline int64_t fx_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fx_on_report(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
        fx_report_t *r = rkm->_private;

        (void)rk, (void)opaque;
        r->err = rkm->err;
        r->offset = rkm->offset;
        r->done = 1;
}

static inline fx_kafka_t *fx_kafka_new(void)
{
        fx_kafka_t *f = calloc(1, sizeof(*f));
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char err[512];

        assert_non_null(f);
        assert_int_equal(rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", err, sizeof(err)),
                         RD_KAFKA_CONF_OK);
        assert_int_equal(rd_kafka_conf_set(conf, "linger.ms", "0", err, sizeof(err)),
                         RD_KAFKA_CONF_OK);
        rd_kafka_conf_set_dr_msg_cb(conf, fx_on_report);
        f->prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
        if (!f->prod)
                fail_msg("mock producer: %s", err);
        f->mock = rd_kafka_handle_mock_cluster(f->prod);
        assert_non_null(f->mock);
        snprintf(f->servers, sizeof(f->servers), "%s", rd_kafka_mock_cluster_bootstraps(f->mock));
        f->props[0] = (cb_kafka_prop_t){"bootstrap.servers", f->servers, 0};
        f->kc = (cb_kafka_conf_t){.topic_prefix = "t.",
                                  .topic_partitions = 1,
                                  .topic_replication = -1,
                                  .topic_max_message_bytes = 2097152,
                                  .timeout_ms = 5000,
                                  .props = f->props,
                                  .nprops = 1};
        return f;
}

static inline void fx_kafka_destroy(fx_kafka_t *f)
{
        if (!f)
                return;
        rd_kafka_flush(f->prod, 2000);
        rd_kafka_destroy(f->prod);
        free(f);
}

/* Creates topic, and has the test producer learn of it now (else its first record to it
 * waits for the next metadata refresh, a second). */
static inline void fx_topic(fx_kafka_t *f, const char *topic, int partitions)
{
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt;

        assert_int_equal(rd_kafka_mock_topic_create(f->mock, topic, partitions, 1), 0);
        rkt = rd_kafka_topic_new(f->prod, topic, NULL);
        assert_non_null(rkt);
        assert_int_equal(rd_kafka_metadata(f->prod, 0, rkt, &md, FX_DEADLINE_MS), 0);
        rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
}

/* Produces a record (value NULL: none) with headers given as name, value pairs (a NULL value:
 * a null header) ending with a NULL name, and waits for its acknowledgement. Returns its
 * offset. */
static inline int64_t fx_produce(fx_kafka_t *f, const char *topic, int32_t partition,
                                 const char *key, const char *value, ...)
{
        rd_kafka_headers_t *hdrs = rd_kafka_headers_new(8);
        fx_report_t r = {0, RD_KAFKA_RESP_ERR_NO_ERROR, -1};
        int64_t deadline = fx_now_ms() + FX_DEADLINE_MS;
        const char *name, *hv;
        rd_kafka_resp_err_t err;
        va_list ap;

        va_start(ap, value);
        while ((name = va_arg(ap, const char *))) {
                hv = va_arg(ap, const char *);
                rd_kafka_header_add(hdrs, name, -1, hv, hv ? (ssize_t)strlen(hv) : 0);
        }
        va_end(ap);
        err = rd_kafka_producev(f->prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
                                RD_KAFKA_V_VALUE((void *)value, value ? strlen(value) : 0),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs),
                                RD_KAFKA_V_OPAQUE(&r), RD_KAFKA_V_END);
        if (err) {
                rd_kafka_headers_destroy(hdrs);
                fail_msg("produce to %s: %s", topic, rd_kafka_err2str(err));
        }
        while (!r.done && fx_now_ms() < deadline)
                rd_kafka_poll(f->prod, 20);
        if (!r.done || r.err)
                fail_msg("produce to %s: %s", topic,
                         r.done ? rd_kafka_err2str(r.err) : "no acknowledgement");
        return r.offset;
}

/* The value of header name of hdrs as text (static; "(null)" for a null value, "(absent)"). */
static inline const char *fx_header(const rd_kafka_headers_t *hdrs, const char *name)
{
        static char buf[512];
        const void *v;
        size_t size;

        if (!hdrs || rd_kafka_header_get_last(hdrs, name, &v, &size))
                return "(absent)";
        if (!v)
                return "(null)";
        snprintf(buf, sizeof(buf), "%.*s", (int)size, (const char *)v);
        return buf;
}

/* Every header of hdrs as "name=value;..." in order (static; a null value shows as "name"). */
static inline const char *fx_headers(const rd_kafka_headers_t *hdrs)
{
        static char buf[2048];
        const char *name;
        const void *v;
        size_t i, size, len = 0;

        buf[0] = '\0';
        for (i = 0; hdrs && !rd_kafka_header_get_all(hdrs, i, &name, &v, &size); i++)
                len += snprintf(buf + len, sizeof(buf) - len, "%s%s%s%.*s", i ? ";" : "", name,
                                v ? "=" : "", v ? (int)size : 0, v ? (const char *)v : "");
        return buf;
}

#endif
