/* publish: envelopes from Kafka out to each instance's callback URL.
 *
 * Threads and what each may touch:
 * - main: parses configuration, wires the parts, then runs the consumer loop
 *   (publish_consume_loop): the only thread that touches the consumer, the producer, the
 *   offsets, breakers and ordering state. Rebalance callbacks and the producer's delivery
 *   reports run on it too, inside rd_kafka_consumer_poll and rd_kafka_poll. It sleeps on
 *   `wake`, which librdkafka's threads, the delivery engine and the signal handler write into.
 *   SIGTERM/SIGINT only clear `run` and signal `wake`.
 * - the delivery engine's thread (deliver.c): owns every libcurl handle; jobs cross over in
 *   mutex-guarded lists.
 * - libmicrohttpd's thread: serves /healthz, /readyz and /metrics.
 * - the instances table's thread: the only writer of the table.
 * librdkafka's own threads touch nothing of ours. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "cb_config.h"
#include "cb_http.h"
#include "cb_kafka.h"
#include "cb_log.h"
#include "cb_main.h"
#include "cb_table.h"
#include "cb_wake.h"
#include "consume.h"
#include "topics.h"
#include "deliver.h"
#include "publish.h"

static volatile sig_atomic_t run = 1;
static cb_wake_t wake = {-1, -1}; /* the consume loop's (loop.c); the signal handler's too */

static void on_signal(int sig)
{
        (void)sig;
        run = 0;
        cb_wake_signal(&wake); /* the loop may be asleep; write(2) is async-signal-safe */
}

static const cb_option_t options[] = {
    {"http-bind", CB_OPT_STR, "0.0.0.0", 0, 0, 0, "address the health server listens on"},
    {"http-port", CB_OPT_INT, "8081", 0, 65535, 0, "port the health server listens on"},
    {"group-id", CB_OPT_STR, "closebridge-publish", 0, 0, 0,
     "Kafka consumer group shared by every publish replica"},
    {"group-instance-id", CB_OPT_STR, "auto", 0, 0, 0,
     "static group membership: a replica restarted with the same id (a pod or container name) "
     "gets its partitions back at once (auto: closebridge-publish-<hostname>-<http-port>; "
     "empty: a dynamic member; see README, Callbacks)"},
    {"commit-interval-ms", CB_OPT_INT, "20", 1, 60000, 0,
     "how often final offsets are committed: what a crash may deliver twice"},
    {"delivery-timeout-ms", CB_OPT_INT, "15000", 100, 300000, 0,
     "time limit of one delivery attempt"},
    {"max-in-flight", CB_OPT_INT, "256", 1, 100000, 0, "delivery attempts in flight at most"},
    {"max-host-connections", CB_OPT_INT, "32", 1, 10000, 0,
     "connections to one destination at most"},
    {"retry-schedule", CB_OPT_STR, "5s,5m,30m,2h,5h,10h,10h", 0, 0, 0,
     "delays of the retry ladder, one retry topic each; after the last, the dead-letter topic"},
    {"retry-after-max-s", CB_OPT_INT, "86400", 0, 31536000, 0,
     "a receiver's Retry-After moves the next attempt later, by at most this"},
    {"breaker-threshold", CB_OPT_INT, "5", 0, 100000, 0,
     "failures in a row that open a destination's circuit breaker (0: never)"},
    {"breaker-cooldown-ms", CB_OPT_INT, "30000", 1, 86400000, 0,
     "how long an open breaker skips attempts before one probe goes through"},
    {"allow-private-targets", CB_OPT_STR, "", 0, 0, 0,
     "CIDRs callbacks may reach although not public (e.g. \"127.0.0.0/8,::1/128\"); "
     "loopback, private and link-local addresses are refused otherwise"},
    {"delivery-proxy", CB_OPT_STR, "", 0, 0, 0,
     "HTTP proxy for callbacks (none by default; the environment's is never used)"},
    {"log-format", CB_OPT_STR, "json", 0, 0, 0, "json or text"},
    {"log-level", CB_OPT_STR, "info", 0, 0, 0, "debug, info, warn or error"},
    CB_KAFKA_OPTIONS,
};

static void route(void *opaque, cb_http_req_t *req)
{
        publish_t *pub = opaque;
        cb_table_t *table = __atomic_load_n(&pub->table, __ATOMIC_ACQUIRE);
        const char *reason = "";

        if (!cb_kafka_reachable())
                reason = "no Kafka broker reachable";
        else if (!table || !cb_table_loaded(table))
                reason = "loading instances";
        if (!cb_http_serve_ops(req, !*reason, reason))
                cb_http_respond_error(req, 404, "no such path");
}

/* Builds what the consumer loop needs besides Kafka. Returns 0 or -1 with errstr set. */
static int setup(publish_t *pub, const cb_config_t *cfg, char *errstr, size_t errstr_size)
{
        char ua[64];
        publish_engine_conf_t econf;

        if (publish_ladder_parse(cb_config_str(cfg, "retry-schedule"), &pub->ladder, errstr,
                                 errstr_size))
                return -1;
        pub->ssrf =
            publish_ssrf_new(cb_config_str(cfg, "allow-private-targets"), errstr, errstr_size);
        if (!pub->ssrf)
                return -1;
        pub->breakers = publish_breakers_new((int)cb_config_int(cfg, "breaker-threshold"),
                                             cb_config_int(cfg, "breaker-cooldown-ms"));
        snprintf(ua, sizeof(ua), "closebridge/%s", CB_VERSION);
        econf = (publish_engine_conf_t){
            .timeout_ms = cb_config_int(cfg, "delivery-timeout-ms"),
            .max_host_connections = cb_config_int(cfg, "max-host-connections"),
            .max_total_connections = cb_config_int(cfg, "max-in-flight"),
            .user_agent = ua,
            .proxy = cb_config_str(cfg, "delivery-proxy"),
            .ssrf = pub->ssrf,
            .wake = pub->wake,
        };
        pub->engine = publish_engine_new(&econf);
        if (!pub->breakers || !pub->engine) {
                snprintf(errstr, errstr_size, "cannot start the delivery engine");
                return -1;
        }
        pub->m_deliveries = cb_metrics_family(
            "closebridge_deliveries_total",
            "envelopes by what their attempt led to: delivered, retry, dead, skipped, "
            "breaker-open",
            CB_METRIC_COUNTER);
        pub->m_attempts = cb_metrics_family("closebridge_delivery_attempts_total",
                                            "delivery attempts by result: 2xx, 4xx, 5xx, error",
                                            CB_METRIC_COUNTER);
        pub->m_in_flight = cb_metrics_family("closebridge_deliveries_in_flight",
                                             "delivery attempts in flight", CB_METRIC_GAUGE);
        pub->m_duration = cb_metrics_family("closebridge_delivery_duration_seconds",
                                            "time of one delivery attempt, connection included",
                                            CB_METRIC_HISTOGRAM);
        pub->m_breakers =
            cb_metrics_family("closebridge_circuit_breakers_open",
                              "destinations whose circuit breaker is open", CB_METRIC_GAUGE);
        pub->m_table_syncs = cb_metrics_family(
            "closebridge_instance_table_syncs_total",
            "catch-ups with closeio.instances for an envelope of an unknown instance",
            CB_METRIC_COUNTER);
        return 0;
}

int main(int argc, char **argv)
{
        char errstr[512], names[PUBLISH_LADDER_MAX + 5][PUBLISH_TOPIC_MAX];
        int compact[PUBLISH_LADDER_MAX + 5];
        cb_config_t *cfg =
            cb_config_new("publish", CB_VERSION, options, sizeof(options) / sizeof(options[0]));
        publish_t pub;
        cb_http_t *http = NULL;
        cb_http_conf_t hconf;
        size_t n;
        int rc, exit_code = 0;

        memset(&pub, 0, sizeof(pub));
        if (!cfg)
                return 1;
        rc = cb_main_configure(cfg, "publish", argc, argv);
        if (rc >= 0) {
                cb_config_destroy(cfg);
                return rc;
        }
        cb_kafka_conf_read(&pub.kafka, cfg);
        pub.conf = (publish_conf_t){
            .group_id = cb_config_str(cfg, "group-id"),
            .group_instance_id = cb_config_str(cfg, "group-instance-id"),
            .http_port = (int)cb_config_int(cfg, "http-port"),
            .delivery_timeout_ms = cb_config_int(cfg, "delivery-timeout-ms"),
            .max_in_flight = (size_t)cb_config_int(cfg, "max-in-flight"),
            .commit_interval_ms = cb_config_int(cfg, "commit-interval-ms"),
            .retry_after_max_s = (long)cb_config_int(cfg, "retry-after-max-s"),
        };
        pub.run = &run;
        if (cb_wake_open(&wake)) {
                cb_log_error("cannot make the loop's wake-up: %s", strerror(errno));
                cb_config_destroy(cfg);
                return 1;
        }
        pub.wake = &wake;
        cb_kafka_topic(&pub.kafka, CB_TOPIC_EVENTS, pub.topic_events, sizeof(pub.topic_events));
        cb_kafka_topic(&pub.kafka, CB_TOPIC_INSTANCES, pub.topic_instances,
                       sizeof(pub.topic_instances));
        cb_kafka_topic(&pub.kafka, CB_TOPIC_DLQ, pub.topic_dlq, sizeof(pub.topic_dlq));
        cb_kafka_topic(&pub.kafka, CB_TOPIC_REPLAY, pub.topic_replay, sizeof(pub.topic_replay));
        cb_kafka_topic(&pub.kafka, CB_TOPIC_DELIVERIES, pub.topic_deliveries,
                       sizeof(pub.topic_deliveries));
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        signal(SIGPIPE, SIG_IGN);
        curl_global_init(CURL_GLOBAL_DEFAULT);

        hconf = (cb_http_conf_t){
            .bind = cb_config_str(cfg, "http-bind"),
            .port = (int)cb_config_int(cfg, "http-port"),
            .threads = 1,
            .max_body = 1024,
            .idle_timeout_s = 10,
            .max_connections = 64,
            .handler = route,
            .opaque = &pub,
        };
        /* health first: /readyz tells why it is not ready while Kafka is awaited */
        http = cb_http_start(&hconf, errstr, sizeof(errstr));
        if (!http)
                goto fail;
        if (setup(&pub, cfg, errstr, sizeof(errstr)) ||
            publish_consumer_new(&pub, errstr, sizeof(errstr)))
                goto fail;
        if (publish_topics_setup(&pub, errstr, sizeof(errstr)))
                goto fail;
        n = publish_topics(&pub, names, compact);
        /* the health server reads it: published once made */
        __atomic_store_n(&pub.table,
                         cb_table_new(&pub.kafka, pub.topic_instances, errstr, sizeof(errstr)),
                         __ATOMIC_RELEASE);
        if (!pub.table)
                goto fail;
        if (cb_table_sync(pub.table, pub.kafka.timeout_ms)) {
                snprintf(errstr, sizeof(errstr), "the instances table did not load in time");
                goto fail;
        }
        cb_log_info("consuming %s, %s and %zu retry topics as group %s; health on %s:%d",
                    pub.topic_events, pub.topic_replay, n - 5, cb_config_str(cfg, "group-id"),
                    hconf.bind, hconf.port);
        if (publish_consume_loop(&pub))
                exit_code = 1;
        goto out;
fail:
        cb_log_error("%s", errstr);
        exit_code = 1;
out:
        publish_consumer_close(&pub);
        publish_engine_destroy(pub.engine);
        if (http)
                cb_http_quiesce(http);
        cb_http_stop(http);
        cb_table_destroy(pub.table);
        publish_breakers_destroy(pub.breakers);
        publish_ssrf_destroy(pub.ssrf);
        curl_global_cleanup();
        /* nothing writes into it any more: its librdkafka clients and the engine are gone, and
           a late signal is ignored */
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        cb_wake_close(&wake);
        cb_config_destroy(cfg);
        cb_log_info("stopped");
        return exit_code;
}
