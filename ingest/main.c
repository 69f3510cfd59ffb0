/* ingest: Close.io webhooks in, CloudEvents envelopes out to Kafka.
 *
 * Threads and what each may touch:
 * - main: parses configuration, wires the parts, then waits for SIGTERM/SIGINT (blocked in
 *   every thread, taken with sigtimedwait) and runs the shutdown. Owns every handle.
 * - libmicrohttpd's pool (http-threads): run ingest_route and its handlers; read ingest_t,
 *   look instances up in the table, produce through the producer. Never block.
 * - the producer's poll thread: runs delivery reports, which answer suspended requests.
 * - the poller's scheduler thread: follows its consumer group's assignment and hands due
 *   instances to the poller's workers (poll-workers threads, each with its own libcurl handle),
 *   which walk the Close Event Log and publish through one transactional producer.
 * - the instances API worker: does the instances API's Kafka writes and answers them.
 * - the instances table's thread: the only writer of the table.
 * librdkafka's own threads touch nothing of ours. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

#include "cb_config.h"
#include "cb_main.h"
#include "cb_http.h"
#include "cb_kafka.h"
#include "cb_log.h"
#include "cb_table.h"
#include "ingest.h"
#include "instances_file.h"
#include "poller.h"
#include "produce.h"
#include "router.h"
#include "topics.h"

static const cb_option_t options[] = {
    {"http-bind", CB_OPT_STR, "0.0.0.0", 0, 0, 0, "address the HTTP server listens on"},
    {"http-port", CB_OPT_INT, "8080", 0, 65535, 0, "port the HTTP server listens on"},
    {"http-threads", CB_OPT_INT, "2", 1, 256, 0, "HTTP server threads"},
    {"http-max-connections", CB_OPT_INT, "4096", 1, 100000, 0, "open connections at most"},
    {"http-idle-timeout-s", CB_OPT_INT, "30", 1, 3600, 0,
     "closes a connection idle (or sending slower than this) for this long"},
    {"max-body-bytes", CB_OPT_INT, "1048576", 1024, 67108864, 0,
     "largest request body accepted; larger ones get 413 (and so do events whose envelope does "
     "not fit the topics: see docs/limits.md)"},
    {"ack-timeout-ms", CB_OPT_INT, "10000", 100, 300000, 0,
     "how long a webhook waits for Kafka's acknowledgement before it gets 503"},
    {"retry-after-s", CB_OPT_INT, "5", 0, 3600, 0, "Retry-After sent with 503"},
    {"signature-tolerance-s", CB_OPT_INT, "300", 1, 86400, 0,
     "how far close-sig-timestamp may be from now, either way"},
    {"instances-file", CB_OPT_STR, "", 0, 0, 0,
     "JSON file of instances written to the instances topic at start-up"},
    {"admin-user-secret", CB_OPT_STR, "", 0, 0, 1,
     "User secret of the instances API (Authorization: User <secret>, Organization <secret>); "
     "the API is off while unset"},
    {"admin-org-secret", CB_OPT_STR, "", 0, 0, 1, "Organization secret of the instances API"},
    {"close-api-base", CB_OPT_STR, "https://api.close.com/api/v1", 0, 0, 0,
     "Close API base URL for polling (an instance's base.url wins)"},
    {"poll-interval-s", CB_OPT_INT, "900", 1, 86400, 0,
     "polling interval of instances without event.poller.refresh_interval"},
    {"poll-overlap-s", CB_OPT_INT, "300", 0, 86400, 0,
     "how far behind the newest event each poll reads again, for events that show up late"},
    {"poll-timeout-ms", CB_OPT_INT, "30000", 100, 600000, 0, "time limit of one Close API request"},
    {"poll-workers", CB_OPT_INT, "4", 1, 64, 0,
     "instances whose Event Log this replica walks at once"},
    {"poll-per-key", CB_OPT_INT, "1", 1, 64, 0,
     "requests at once to the Close API per API key, from this replica"},
    {"poller-group-id", CB_OPT_STR, "closebridge-poller", 0, 0, 0,
     "Kafka consumer group whose assignment decides which replica polls which instance"},
    {"poller-transactional-id", CB_OPT_STR, "", 0, 0, 0,
     "transactional.id of the poller's producer, unique per replica and kept across its restarts "
     "(default: closebridge-poller-<hostname>-<http-port>)"},
    {"shutdown-timeout-ms", CB_OPT_INT, "15000", 0, 600000, 0,
     "how long SIGTERM waits for requests in flight"},
    {"log-format", CB_OPT_STR, "json", 0, 0, 0, "json or text"},
    {"log-level", CB_OPT_STR, "info", 0, 0, 0, "debug, info, warn or error"},
    CB_KAFKA_OPTIONS,
};

/* Waits for SIGTERM/SIGINT, checking every 200 ms whether the producer died. Returns 0 for a
 * signal, 1 for a fatal Kafka error. */
static int wait_for_stop(ingest_t *ing, const sigset_t *sigs)
{
        struct timespec tick = {0, 200 * 1000000};
        int sig;

        for (;;) {
                sig = sigtimedwait(sigs, NULL, &tick);
                if (sig == SIGTERM || sig == SIGINT) {
                        cb_log_info("signal %d: shutting down", sig);
                        return 0;
                }
                if (ingest_producer_fatal(ing->producer) || ingest_poller_fatal(ing->poller)) {
                        cb_log_error("a fatal Kafka error (logged above): stopping, exit status 1");
                        return 1;
                }
        }
}

int main(int argc, char **argv)
{
        static const char *version = CB_VERSION;
        char errstr[512];
        cb_config_t *cfg =
            cb_config_new("ingest", version, options, sizeof(options) / sizeof(options[0]));
        ingest_t ing;
        cb_http_t *http = NULL;
        cb_http_conf_t hconf;
        sigset_t sigs;
        int rc, exit_code = 1, shutdown_ms;

        memset(&ing, 0, sizeof(ing));
        if (!cfg)
                return 1;
        rc = cb_main_configure(cfg, "ingest", argc, argv);
        if (rc >= 0) {
                cb_config_destroy(cfg);
                return rc;
        }
        cb_kafka_conf_read(&ing.kafka, cfg);
        ing.conf = (ingest_conf_t){
            .ack_timeout_ms = (int)cb_config_int(cfg, "ack-timeout-ms"),
            .retry_after_s = (long)cb_config_int(cfg, "retry-after-s"),
            .max_body_bytes = (long)cb_config_int(cfg, "max-body-bytes"),
            .signature_tolerance_s = (long)cb_config_int(cfg, "signature-tolerance-s"),
            .admin_user_secret = cb_config_str(cfg, "admin-user-secret"),
            .admin_org_secret = cb_config_str(cfg, "admin-org-secret"),
            .http_port = (int)cb_config_int(cfg, "http-port"),
            .poller_group_id = cb_config_str(cfg, "poller-group-id"),
            .poller_txid = cb_config_str(cfg, "poller-transactional-id"),
            .poll_workers = (size_t)cb_config_int(cfg, "poll-workers"),
            .poll_per_key = (int)cb_config_int(cfg, "poll-per-key"),
            .poll_interval_s = (long)cb_config_int(cfg, "poll-interval-s"),
            .poll_timeout_ms = (long)cb_config_int(cfg, "poll-timeout-ms"),
            .poll_overlap_s = (long)cb_config_int(cfg, "poll-overlap-s"),
            .close_api_base = cb_config_str(cfg, "close-api-base"),
        };
        cb_kafka_topic(&ing.kafka, CB_TOPIC_EVENTS, ing.topic_events, sizeof(ing.topic_events));
        cb_kafka_topic(&ing.kafka, CB_TOPIC_INSTANCES, ing.topic_instances,
                       sizeof(ing.topic_instances));

        /* Signals are taken by main alone; every thread started later inherits the mask. */
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        signal(SIGPIPE, SIG_IGN);
        curl_global_init(CURL_GLOBAL_DEFAULT);

        ing.producer = ingest_producer_new(&ing.kafka, ing.conf.ack_timeout_ms,
                                           ing.conf.retry_after_s, errstr, sizeof(errstr));
        if (!ing.producer)
                goto fail;
        if (ingest_topics_setup(&ing, errstr, sizeof(errstr)))
                goto fail;
        ingest_producer_set_record_max(ing.producer, ing.record_max);
        ing.table = cb_table_new(&ing.kafka, ing.topic_instances, errstr, sizeof(errstr));
        if (!ing.table)
                goto fail;
        if (cb_table_sync(ing.table, ing.kafka.timeout_ms)) {
                snprintf(errstr, sizeof(errstr), "the instances table did not load in time");
                goto fail;
        }
        if (*cb_config_str(cfg, "instances-file") &&
            ingest_instances_file_apply(&ing, cb_config_str(cfg, "instances-file"), errstr,
                                        sizeof(errstr)) < 0)
                goto fail;

        ing.poller = ingest_poller_new(&ing, errstr, sizeof(errstr));
        if (!ing.poller)
                goto fail;
        ing.admin = ingest_admin_new(&ing);
        if (!ing.admin) {
                snprintf(errstr, sizeof(errstr), "cannot start the instances API worker");
                goto fail;
        }
        hconf = (cb_http_conf_t){
            .bind = cb_config_str(cfg, "http-bind"),
            .port = (int)cb_config_int(cfg, "http-port"),
            .threads = (int)cb_config_int(cfg, "http-threads"),
            /* no body is larger than its envelope */
            .max_body = (size_t)cb_config_int(cfg, "max-body-bytes") < ing.record_max
                            ? (size_t)cb_config_int(cfg, "max-body-bytes")
                            : ing.record_max,
            .idle_timeout_s = (int)cb_config_int(cfg, "http-idle-timeout-s"),
            .max_connections = (int)cb_config_int(cfg, "http-max-connections"),
            .handler = ingest_route,
            .opaque = &ing,
        };
        http = cb_http_start(&hconf, errstr, sizeof(errstr));
        if (!http)
                goto fail;
        cb_log_info("listening on %s:%d with %zu instances", hconf.bind, hconf.port,
                    cb_table_count(ing.table));

        exit_code = wait_for_stop(&ing, &sigs);

        /* Stop taking requests, answer every one in flight, then close. */
        shutdown_ms = (int)cb_config_int(cfg, "shutdown-timeout-ms");
        cb_http_quiesce(http);
        ingest_admin_stop(ing.admin); /* answers what is queued; its writes are flushed */
        ingest_producer_drain(ing.producer, shutdown_ms);
        if (cb_http_drain(http, 2000))
                cb_log_warn("requests still open at shutdown");
        cb_http_stop(http);
        http = NULL;
        ingest_poller_destroy(ing.poller); /* a poll in progress commits or aborts */
        ing.poller = NULL;
        goto out;
fail:
        cb_log_error("%s", errstr);
        exit_code = 1;
out:
        cb_http_stop(http);
        ingest_admin_destroy(ing.admin);
        ingest_poller_destroy(ing.poller);
        cb_table_destroy(ing.table);
        ingest_producer_destroy(ing.producer);
        curl_global_cleanup();
        cb_config_destroy(cfg);
        cb_log_info("stopped");
        return exit_code;
}
