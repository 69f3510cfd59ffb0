/* console: where each event is, what its receiver answered (docs/console.md).
 *
 * Threads and what each may touch:
 * - main: parses configuration, wires the parts, then waits for SIGTERM/SIGINT (blocked in
 *   every thread, taken with sigtimedwait) and shuts down.
 * - the follower (follow.c): the only writer of the database and the only user of its Kafka
 *   consumer.
 * - the API's workers (api_worker.c): each its own database reader, Kafka consumer
 *   and (once it redelivers) producer; they answer the requests libmicrohttpd's threads hand
 *   them through one queue.
 * - the tasks view (tasks.c): reads the tasks topic into memory, under its mutex.
 * - the task runner (task_run.c): runs the replay tasks of the partitions the group gave it,
 *   with its own consumer, producers, database reader and fetcher.
 * - libmicrohttpd's threads: route, check credentials and parameters, serve /healthz, /readyz
 *   and /metrics.
 * - the instances table's thread: the only writer of the table (read for the tokens).
 * librdkafka's own threads touch nothing of ours. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "cb_config.h"
#include "cb_http.h"
#include "cb_kafka.h"
#include "cb_log.h"
#include "cb_main.h"
#include "cb_table.h"
#include "follow.h"
#include "task_run.h"
#include "tasks.h"
#include "web.h"

static const cb_option_t options[] = {
    {"http-bind", CB_OPT_STR, "0.0.0.0", 0, 0, 0, "address the events API listens on"},
    {"http-port", CB_OPT_INT, "8082", 0, 65535, 0, "port the events API listens on"},
    {"http-threads", CB_OPT_INT, "2", 1, 64, 0, "HTTP server threads"},
    {"http-max-connections", CB_OPT_INT, "1024", 1, 100000, 0, "connections at once at most"},
    {"http-idle-timeout-s", CB_OPT_INT, "30", 1, 3600, 0,
     "closes connections idle this long, and requests slower than this to arrive"},
    {"admin-user-secret", CB_OPT_STR, "", 0, 0, 1,
     "User secret of the admin (the same as ingest's instances API)"},
    {"admin-org-secret", CB_OPT_STR, "", 0, 0, 1, "Organization secret of the admin"},
    {"data-dir", CB_OPT_STR, "console-data", 0, 0, 0,
     "directory of the index database (made when missing; deleting it loses nothing)"},
    {"index-retention", CB_OPT_STR, "7d", 0, 0, 0,
     "how long events stay in the index after they are first seen: <n>s, m, h or d"},
    {"index-batch", CB_OPT_INT, "10000", 1, 100000, 0,
     "records indexed per transaction at most (bench/console: larger batches rewrite fewer pages)"},
    {"api-workers", CB_OPT_INT, "2", 1, 64, 0, "threads answering events API queries"},
    {"api-queue", CB_OPT_INT, "256", 1, 100000, 0,
     "queries waiting for a worker at most (503 beyond)"},
    {"fetch-timeout-ms", CB_OPT_INT, "3000", 100, 60000, 0,
     "time limit of reading an event's envelope back from Kafka"},
    {"replay-timeout-ms", CB_OPT_INT, "10000", 100, 300000, 0,
     "how long a redelivery waits for Kafka to take the replay (503 after)"},
    {"task-batch", CB_OPT_INT, "100", 1, 1000, 0,
     "events a replay task sends per step (one Kafka transaction) at most"},
    {"task-rate", CB_OPT_INT, "500", 1, 100000, 0,
     "events per second a replay task sends at most (each receiver's pace)"},
    {"group-instance-id", CB_OPT_STR, "auto", 0, 0, 0,
     "static membership in the group of console replicas that run replay tasks (auto: "
     "closebridge-console-<hostname>-<http-port>; empty: a dynamic member)"},
    {"log-format", CB_OPT_STR, "json", 0, 0, 0, "json or text"},
    {"log-level", CB_OPT_STR, "info", 0, 0, 0, "debug, info, warn or error"},
    CB_KAFKA_OPTIONS,
};

/* The console's settings, read once from the option table. */
typedef struct console_conf {
        const char *data_dir;
        int64_t retention_ms;
        int batch;
        console_api_conf_t api;
        console_runner_conf_t runner;
} console_conf_t;

/* What the HTTP handler reaches. */
typedef struct console {
        console_follow_t *follow;
        console_tasks_t *tasks;
        console_runner_t *runner;
        cb_table_t *table;
        console_api_t *api;
} console_t;

/* Reads "<n><unit>" (s, m, h or d) into *ms. Returns 0, or -1 when s is not such a duration. */
static int parse_duration(const char *s, int64_t *ms)
{
        char *end;
        long long n;
        int64_t unit;

        errno = 0;
        n = strtoll(s, &end, 10);
        if (errno || end == s || n <= 0 || *s == '+' || *s == ' ' || end[0] == '\0' || end[1])
                return -1;
        unit = end[0] == 's'   ? 1000
               : end[0] == 'm' ? 60000
               : end[0] == 'h' ? 3600000
               : end[0] == 'd' ? 86400000
                               : 0;
        if (!unit || n > INT64_MAX / unit)
                return -1;
        *ms = n * unit;
        return 0;
}

static void route(void *opaque, cb_http_req_t *req)
{
        console_t *c = opaque;
        const char *reason = "";

        if (!cb_kafka_reachable())
                reason = "no Kafka broker reachable";
        else if (!cb_table_loaded(c->table))
                reason = "loading instances";
        else if (!console_follow_caught_up(c->follow))
                reason = "indexing the topics";
        else if (!console_tasks_loaded(c->tasks))
                reason = "reading the replay tasks";
        if (cb_http_serve_ops(req, !*reason, reason))
                return;
        if (console_web_serve(req))
                return;
        if (!console_api_handle(c->api, req))
                cb_http_respond_error(req, 404, "no such path");
}

static int wait_for_stop(const sigset_t *sigs)
{
        int sig;

        for (;;) {
                sig = sigwaitinfo(sigs, NULL);
                if (sig == SIGTERM || sig == SIGINT) {
                        cb_log_info("signal %d: shutting down", sig);
                        return 0;
                }
        }
}

int main(int argc, char **argv)
{
        char errstr[512], db_path[PATH_MAX], topic_events[256], topic_deliveries[256],
            topic_dlq[256], topic_instances[256], topic_replay[256], topic_tasks[256],
            instance_id[300], host[128] = "host";
        cb_config_t *cfg =
            cb_config_new("console", CB_VERSION, options, sizeof(options) / sizeof(options[0]));
        cb_kafka_conf_t kafka;
        console_conf_t conf;
        console_t c = {0};
        cb_http_t *http = NULL;
        cb_http_conf_t hconf;
        sigset_t sigs;
        int rc, exit_code = 0;

        if (!cfg)
                return 1;
        rc = cb_main_configure(cfg, "console", argc, argv);
        if (rc >= 0) {
                cb_config_destroy(cfg);
                return rc;
        }
        cb_kafka_conf_read(&kafka, cfg);
        conf = (console_conf_t){
            .data_dir = cb_config_str(cfg, "data-dir"),
            .batch = (int)cb_config_int(cfg, "index-batch"),
            .api =
                {
                    .secrets = {cb_config_str(cfg, "admin-user-secret"),
                                cb_config_str(cfg, "admin-org-secret")},
                    .kafka = &kafka,
                    .workers = (int)cb_config_int(cfg, "api-workers"),
                    .queue_max = (size_t)cb_config_int(cfg, "api-queue"),
                    .fetch_timeout_ms = (int)cb_config_int(cfg, "fetch-timeout-ms"),
                    .replay_timeout_ms = (int)cb_config_int(cfg, "replay-timeout-ms"),
                },
        };
        if (parse_duration(cb_config_str(cfg, "index-retention"), &conf.retention_ms)) {
                fprintf(stderr,
                        "console: --index-retention (INDEX_RETENTION): \"%s\" is not a "
                        "duration such as 7d, 12h, 30m or 3600s\n",
                        cb_config_str(cfg, "index-retention"));
                cb_config_destroy(cfg);
                return 2;
        }
        cb_kafka_topic(&kafka, CB_TOPIC_EVENTS, topic_events, sizeof(topic_events));
        cb_kafka_topic(&kafka, CB_TOPIC_DELIVERIES, topic_deliveries, sizeof(topic_deliveries));
        cb_kafka_topic(&kafka, CB_TOPIC_DLQ, topic_dlq, sizeof(topic_dlq));
        cb_kafka_topic(&kafka, CB_TOPIC_INSTANCES, topic_instances, sizeof(topic_instances));
        cb_kafka_topic(&kafka, CB_TOPIC_REPLAY, topic_replay, sizeof(topic_replay));
        cb_kafka_topic(&kafka, CONSOLE_TOPIC_TASKS, topic_tasks, sizeof(topic_tasks));
        conf.api.topic_replay = topic_replay;
        /* as publish's: a pod's or a container's name is its host name, kept across restarts */
        snprintf(instance_id, sizeof(instance_id), "%s", cb_config_str(cfg, "group-instance-id"));
        if (!strcmp(instance_id, "auto")) {
                gethostname(host, sizeof(host) - 1);
                host[sizeof(host) - 1] = '\0';
                snprintf(instance_id, sizeof(instance_id), "closebridge-console-%s-%d", host,
                         (int)cb_config_int(cfg, "http-port"));
        }
        conf.runner = (console_runner_conf_t){
            .kafka = &kafka,
            .topic_tasks = topic_tasks,
            .topic_replay = topic_replay,
            .group_instance_id = instance_id,
            .batch = (int)cb_config_int(cfg, "task-batch"),
            .rate = (int)cb_config_int(cfg, "task-rate"),
            .fetch_timeout_ms = conf.api.fetch_timeout_ms,
        };
        snprintf(db_path, sizeof(db_path), "%s/index.sqlite", conf.data_dir);
        conf.api.db_path = db_path;
        conf.runner.db_path = db_path;

        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        signal(SIGPIPE, SIG_IGN);

        if (mkdir(conf.data_dir, 0700) && errno != EEXIST) {
                snprintf(errstr, sizeof(errstr), "cannot make --data-dir %s: %s", conf.data_dir,
                         strerror(errno));
                goto fail;
        }
        c.table = cb_table_new(&kafka, topic_instances, errstr, sizeof(errstr));
        if (!c.table)
                goto fail;
        conf.api.table = c.table;
        c.follow = console_follow_new(&(console_follow_conf_t){.kafka = &kafka,
                                                               .db_path = db_path,
                                                               .topic_events = topic_events,
                                                               .topic_deliveries = topic_deliveries,
                                                               .topic_dlq = topic_dlq,
                                                               .retention_ms = conf.retention_ms,
                                                               .batch_max = conf.batch},
                                      errstr, sizeof(errstr));
        if (!c.follow)
                goto fail;
        c.tasks = console_tasks_new(&kafka, topic_tasks, errstr, sizeof(errstr));
        if (!c.tasks)
                goto fail;
        conf.api.tasks = c.tasks;
        conf.runner.follow = c.follow;
        c.runner = console_runner_new(&conf.runner, errstr, sizeof(errstr));
        if (!c.runner)
                goto fail;
        c.api = console_api_new(&conf.api, errstr, sizeof(errstr));
        if (!c.api)
                goto fail;
        hconf = (cb_http_conf_t){
            .bind = cb_config_str(cfg, "http-bind"),
            .port = (int)cb_config_int(cfg, "http-port"),
            .threads = (int)cb_config_int(cfg, "http-threads"),
            .max_body = 16384, /* a replay task's filter, as JSON */
            .idle_timeout_s = (int)cb_config_int(cfg, "http-idle-timeout-s"),
            .max_connections = (int)cb_config_int(cfg, "http-max-connections"),
            .handler = route,
            .opaque = &c,
        };
        http = cb_http_start(&hconf, errstr, sizeof(errstr));
        if (!http)
                goto fail;
        cb_log_info("listening on %s:%d, index in %s", hconf.bind, cb_http_port(http), db_path);

        exit_code = wait_for_stop(&sigs);
        cb_http_quiesce(http);
        if (cb_http_drain(http, 5000))
                cb_log_warn("requests still open at shutdown");
        goto out;
fail:
        cb_log_error("%s", errstr);
        exit_code = 1;
out:
        /* the workers answer what they hold before the server goes; the runner finishes its
           step before the view it reads goes */
        console_api_destroy(c.api);
        cb_http_stop(http);
        console_runner_destroy(c.runner);
        console_tasks_destroy(c.tasks);
        console_follow_destroy(c.follow);
        cb_table_destroy(c.table);
        cb_config_destroy(cfg);
        cb_log_info("stopped");
        return exit_code;
}
