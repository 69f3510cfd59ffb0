/* publish: envelopes from Kafka out to each instance's callback URL.
 *
 * Threads and what each may touch:
 * - main: parses configuration, wires the parts, then runs the consumer loop
 *   (publish_consume_loop): the only thread that touches the consumer's messages and the
 *   deliverer's libcurl handle. SIGTERM/SIGINT only clear `run`.
 * - libmicrohttpd's thread: serves /healthz and /readyz; reads the table's loaded flag.
 * - the instances table's thread: the only writer of the table.
 * librdkafka's own threads touch nothing of ours; the rebalance callback runs on main, inside
 * rd_kafka_consumer_poll. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "cb_config.h"
#include "cb_main.h"
#include "cb_http.h"
#include "cb_kafka.h"
#include "cb_log.h"
#include "cb_table.h"
#include "consume.h"
#include "deliver.h"
#include "publish.h"

static volatile sig_atomic_t run = 1;

static void on_signal(int sig)
{
        (void)sig;
        run = 0;
}

static const cb_option_t options[] = {
    {"http-bind", CB_OPT_STR, "0.0.0.0", 0, 0, 0, "address the health server listens on"},
    {"http-port", CB_OPT_INT, "8081", 0, 65535, 0, "port the health server listens on"},
    {"group-id", CB_OPT_STR, "closebridge-publish", 0, 0, 0,
     "Kafka consumer group shared by every publish replica"},
    {"delivery-timeout-ms", CB_OPT_INT, "15000", 100, 300000, 0,
     "time limit of one delivery attempt"},
    {"retry-initial-ms", CB_OPT_INT, "1000", 1, 3600000, 0,
     "pause after a first failed attempt; doubles after each failure"},
    {"retry-max-ms", CB_OPT_INT, "30000", 1, 3600000, 0, "longest pause between attempts"},
    {"log-format", CB_OPT_STR, "json", 0, 0, 0, "json or text"},
    {"log-level", CB_OPT_STR, "info", 0, 0, 0, "debug, info, warn or error"},
    CB_KAFKA_OPTIONS,
};

static void route(void *opaque, cb_http_req_t *req)
{
        publish_t *pub = opaque;

        if (!cb_http_serve_health(req, cb_table_loaded(pub->table), "loading instances"))
                cb_http_respond_error(req, 404, "no such path");
}

int main(int argc, char **argv)
{
        static const char *version = CB_VERSION;
        char errstr[512], ua[64];
        cb_config_t *cfg =
            cb_config_new("publish", version, options, sizeof(options) / sizeof(options[0]));
        publish_t pub;
        cb_http_t *http = NULL;
        cb_http_conf_t hconf;
        int rc, exit_code = 0;

        memset(&pub, 0, sizeof(pub));
        if (!cfg)
                return 1;
        rc = cb_main_configure(cfg, "publish", argc, argv);
        if (rc >= 0) {
                cb_config_destroy(cfg);
                return rc;
        }
        pub.cfg = cfg;
        pub.run = &run;
        cb_kafka_topic(cfg, CB_TOPIC_EVENTS, pub.topic_events, sizeof(pub.topic_events));
        cb_kafka_topic(cfg, CB_TOPIC_INSTANCES, pub.topic_instances, sizeof(pub.topic_instances));
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        signal(SIGPIPE, SIG_IGN);
        curl_global_init(CURL_GLOBAL_DEFAULT);

        snprintf(ua, sizeof(ua), "closebridge/%s", version);
        pub.deliverer = publish_deliverer_new(cb_config_int(cfg, "delivery-timeout-ms"), ua);
        if (!pub.deliverer) {
                snprintf(errstr, sizeof(errstr), "out of memory");
                goto fail;
        }
        if (publish_consumer_new(&pub, errstr, sizeof(errstr)))
                goto fail;
        {
                const cb_topic_spec_t topics[] = {{pub.topic_events, 0}, {pub.topic_instances, 1}};
                if (cb_kafka_ensure_topics(pub.rk, cfg, topics, 2, errstr, sizeof(errstr)))
                        goto fail;
        }
        pub.table = cb_table_new(cfg, pub.topic_instances, errstr, sizeof(errstr));
        if (!pub.table)
                goto fail;
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
        http = cb_http_start(&hconf, errstr, sizeof(errstr));
        if (!http)
                goto fail;
        if (cb_table_sync(pub.table, (int)cb_config_int(cfg, "kafka-timeout-ms"))) {
                snprintf(errstr, sizeof(errstr), "the instances table did not load in time");
                goto fail;
        }
        cb_log_info("consuming %s as group %s; health on %s:%d", pub.topic_events,
                    cb_config_str(cfg, "group-id"), hconf.bind, hconf.port);
        publish_consume_loop(&pub);
        cb_log_info("shutting down");
        goto out;
fail:
        cb_log_error("%s", errstr);
        exit_code = 1;
out:
        publish_consumer_close(&pub);
        if (http)
                cb_http_quiesce(http);
        cb_http_stop(http);
        cb_table_destroy(pub.table);
        publish_deliverer_destroy(pub.deliverer);
        curl_global_cleanup();
        cb_config_destroy(cfg);
        cb_log_info("stopped");
        return exit_code;
}
