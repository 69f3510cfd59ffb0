#include "cb_kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "cb_log.h"
#include "cb_metrics.h"
#include "cb_time.h"

void cb_kafka_conf_read(cb_kafka_conf_t *kc, const cb_config_t *cfg)
{
        *kc = (cb_kafka_conf_t){
            .topic_prefix = cb_config_str(cfg, "topic-prefix"),
            .topic_partitions = (int)cb_config_int(cfg, "topic-partitions"),
            .topic_replication = (int)cb_config_int(cfg, "topic-replication"),
            .topic_max_message_bytes = cb_config_int(cfg, "topic-max-message-bytes"),
            .timeout_ms = (int)cb_config_int(cfg, "kafka-timeout-ms"),
        };
        kc->props = cb_config_kafka_props(cfg, &kc->nprops);
}

const char *cb_kafka_topic(const cb_kafka_conf_t *kc, const char *name, char *out, size_t out_size)
{
        snprintf(out, out_size, "%s%s", kc->topic_prefix, name);
        return out;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
        /* syslog levels: 0-3 error, 4 warning, 5-6 info, 7 debug */
        cb_log_level_t l = level <= 3   ? CB_LOG_ERROR
                           : level == 4 ? CB_LOG_WARN
                           : level <= 6 ? CB_LOG_INFO
                                        : CB_LOG_DEBUG;
        cb_log(l, "kafka %s %s: %s", rd_kafka_name(rk), fac, buf);
}

static int64_t last_up_ms; /* atomic */

int cb_kafka_reachable(void)
{
        return cb_time_now_ms() - __atomic_load_n(&last_up_ms, __ATOMIC_RELAXED) < 5000;
}

static json_object *get(json_object *obj, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

/* librdkafka's statistics (STATISTICS.md): brokers' states, and consumers' lag per partition. */
static int stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
        static cb_metric_family_t *lag; /* atomic */
        cb_metric_family_t *fam;
        json_object *root = json_tokener_parse(json), *topics;
        const char *client;
        char labels[512];

        (void)rk;
        (void)len;
        (void)opaque;
        if (!root)
                return 0;
        json_object_object_foreach(get(root, "brokers"), name, broker)
        {
                (void)name;
                if (json_object_get_int(get(broker, "nodeid")) >= 0 &&
                    !strcmp(json_object_get_string(get(broker, "state")) ?: "", "UP")) {
                        __atomic_store_n(&last_up_ms, cb_time_now_ms(), __ATOMIC_RELAXED);
                        break;
                }
        }
        topics = get(root, "topics");
        if (topics && !strcmp(json_object_get_string(get(root, "type")) ?: "", "consumer")) {
                /* the clients of one process serve their statistics on their own threads
                   (the console's follower and API workers): the family is looked up under
                   the registry's lock, and the pointer kept atomically */
                fam = __atomic_load_n(&lag, __ATOMIC_ACQUIRE);
                if (!fam) {
                        fam = cb_metrics_family("closebridge_consumer_lag",
                                                "messages behind the end of each assigned "
                                                "partition, by Kafka client",
                                                CB_METRIC_GAUGE);
                        __atomic_store_n(&lag, fam, __ATOMIC_RELEASE);
                }
                client = json_object_get_string(get(root, "client_id")) ?: "";
                json_object_object_foreach(topics, topic, t)
                {
                        json_object_object_foreach(get(t, "partitions"), part, p)
                        {
                                int64_t l = json_object_get_int64(get(p, "consumer_lag"));
                                if (!strcmp(part, "-1") || l < 0)
                                        continue;
                                snprintf(labels, sizeof(labels),
                                         "client=\"%s\",topic=\"%s\",partition=\"%s\"", client,
                                         topic, part);
                                cb_metrics_set(fam, labels, (double)l);
                        }
                }
        }
        json_object_put(root);
        return 0; /* librdkafka frees json */
}

/* A new configuration: defaults, then the user's properties, then logs and statistics. */
static rd_kafka_conf_t *conf_new(const cb_kafka_conf_t *kc, const char *const *defaults,
                                 char *errstr, size_t errstr_size)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        const cb_kafka_prop_t *props;
        char err[256];
        size_t i, n;

        rd_kafka_conf_set(conf, "statistics.interval.ms", "1000", NULL, 0);
        for (; defaults && defaults[0]; defaults += 2) {
                if (rd_kafka_conf_set(conf, defaults[0], defaults[1], err, sizeof(err)) !=
                    RD_KAFKA_CONF_OK) {
                        snprintf(errstr, errstr_size, "kafka property %s: %s", defaults[0], err);
                        goto fail;
                }
        }
        props = kc->props;
        n = kc->nprops;
        for (i = 0; i < n; i++) {
                rd_kafka_conf_res_t res =
                    rd_kafka_conf_set(conf, props[i].key, props[i].value, err, sizeof(err));
                if (res == RD_KAFKA_CONF_UNKNOWN && props[i].from_env) {
                        cb_log_warn("ignoring the environment's %s: not a librdkafka property",
                                    props[i].key);
                        continue;
                }
                if (res != RD_KAFKA_CONF_OK) {
                        snprintf(errstr, errstr_size, "kafka property %s: %s", props[i].key, err);
                        goto fail;
                }
        }
        rd_kafka_conf_set_log_cb(conf, log_cb);
        rd_kafka_conf_set_stats_cb(conf, stats_cb);
        return conf;
fail:
        rd_kafka_conf_destroy(conf);
        return NULL;
}

rd_kafka_t *cb_kafka_new(const cb_kafka_conf_t *kc, const cb_kafka_spec_t *spec, char *errstr,
                         size_t errstr_size)
{
        rd_kafka_conf_t *conf = conf_new(kc, spec->defaults, errstr, errstr_size);
        const char *const *f;
        char err[256];
        rd_kafka_t *rk;

        if (!conf)
                return NULL;
        for (f = spec->forced; f && f[0]; f += 2) {
                if (rd_kafka_conf_set(conf, f[0], f[1], err, sizeof(err)) != RD_KAFKA_CONF_OK) {
                        snprintf(errstr, errstr_size, "kafka property %s: %s", f[0], err);
                        rd_kafka_conf_destroy(conf);
                        return NULL;
                }
        }
        if (spec->error_cb)
                rd_kafka_conf_set_error_cb(conf, spec->error_cb);
        if (spec->dr_msg_cb)
                rd_kafka_conf_set_dr_msg_cb(conf, spec->dr_msg_cb);
        if (spec->rebalance_cb)
                rd_kafka_conf_set_rebalance_cb(conf, spec->rebalance_cb);
        rd_kafka_conf_set_opaque(conf, spec->opaque);
        rk = rd_kafka_new(spec->type, conf, errstr, errstr_size);
        if (!rk) {
                rd_kafka_conf_destroy(conf); /* rd_kafka_new took it only on success */
                return NULL;
        }
        if (spec->consumer_poll)
                rd_kafka_poll_set_consumer(rk);
        return rk;
}

/* One metadata request for topic. Returns the partition count, 0 while the topic is not known
 * yet (just created: metadata takes a moment to spread), or -1 with errstr set. */
static int partition_count_once(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int timeout_ms, char *errstr,
                                size_t errstr_size)
{
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err;
        int count = -1;

        err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
        if (err) {
                snprintf(errstr, errstr_size, "metadata of %s: %s", rd_kafka_topic_name(rkt),
                         rd_kafka_err2str(err));
        } else if (md->topic_cnt == 1 &&
                   md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                count = 0;
                snprintf(errstr, errstr_size, "metadata of %s: %s", rd_kafka_topic_name(rkt),
                         rd_kafka_err2str(md->topics[0].err));
        } else if (md->topic_cnt != 1 || md->topics[0].err) {
                snprintf(errstr, errstr_size, "metadata of %s: %s", rd_kafka_topic_name(rkt),
                         md->topic_cnt ? rd_kafka_err2str(md->topics[0].err) : "no topic");
        } else {
                count = md->topics[0].partition_cnt;
        }
        if (md)
                rd_kafka_metadata_destroy(md);
        return count;
}

int cb_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, char *errstr,
                             size_t errstr_size)
{
        struct timespec step = {0, 100 * 1000000};
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        int count = 0, waited = 0;

        if (!rkt) {
                snprintf(errstr, errstr_size, "%s: %s", topic,
                         rd_kafka_err2str(rd_kafka_last_error()));
                return -1;
        }
        while (count == 0) {
                count = partition_count_once(rk, rkt, timeout_ms, errstr, errstr_size);
                if (count == 0 && (waited += 100) > timeout_ms)
                        count = -1;
                else if (count == 0)
                        nanosleep(&step, NULL);
        }
        rd_kafka_topic_destroy(rkt);
        return count;
}

int cb_kafka_ensure_topics(rd_kafka_t *rk, const cb_kafka_conf_t *kc, cb_topic_spec_t *specs,
                           size_t n, char *errstr, size_t errstr_size)
{
        rd_kafka_NewTopic_t *topics[CB_KAFKA_TOPICS_MAX];
        rd_kafka_AdminOptions_t *opts = NULL;
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_event_t *ev = NULL;
        const rd_kafka_CreateTopics_result_t *res;
        const rd_kafka_topic_result_t **results;
        int timeout = kc->timeout_ms, ret = -1;
        char err[256];
        size_t i, cnt = 0;

        if (n > CB_KAFKA_TOPICS_MAX) {
                snprintf(errstr, errstr_size, "too many topics");
                goto done;
        }
        for (i = 0; i < n; i++) {
                specs[i].created = 0;
                topics[i] = rd_kafka_NewTopic_new(specs[i].name, kc->topic_partitions,
                                                  kc->topic_replication, err, sizeof(err));
                if (!topics[i]) {
                        snprintf(errstr, errstr_size, "topic %s: %s", specs[i].name, err);
                        goto done;
                }
                cnt++;
                snprintf(err, sizeof(err), "%ld",
                         specs[i].max_message_bytes ? specs[i].max_message_bytes
                                                    : kc->topic_max_message_bytes);
                if (rd_kafka_NewTopic_set_config(topics[i], "max.message.bytes", err)) {
                        snprintf(errstr, errstr_size, "topic %s: cannot set max.message.bytes",
                                 specs[i].name);
                        goto done;
                }
                if (specs[i].compact &&
                    rd_kafka_NewTopic_set_config(topics[i], "cleanup.policy", "compact")) {
                        snprintf(errstr, errstr_size, "topic %s: cannot set cleanup.policy",
                                 specs[i].name);
                        goto done;
                }
        }
        opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_request_timeout(opts, timeout, err, sizeof(err));
        rd_kafka_AdminOptions_set_operation_timeout(opts, timeout, err, sizeof(err));
        rd_kafka_CreateTopics(rk, topics, cnt, opts, q);
        ev = rd_kafka_queue_poll(q, timeout + 5000);
        if (!ev) {
                snprintf(errstr, errstr_size, "creating topics timed out after %d ms", timeout);
                goto done;
        }
        if (rd_kafka_event_error(ev)) {
                snprintf(errstr, errstr_size, "creating topics: %s",
                         rd_kafka_event_error_string(ev));
                goto done;
        }
        res = rd_kafka_event_CreateTopics_result(ev);
        results = rd_kafka_CreateTopics_result_topics(res, &i);
        for (size_t k = 0; k < i; k++) {
                rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[k]);
                if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
                        continue;
                if (e) {
                        snprintf(errstr, errstr_size, "creating topic %s: %s",
                                 rd_kafka_topic_result_name(results[k]),
                                 rd_kafka_topic_result_error_string(results[k]));
                        goto done;
                }
                cb_log_info("created topic %s", rd_kafka_topic_result_name(results[k]));
                for (size_t j = 0; j < n; j++)
                        if (!strcmp(specs[j].name, rd_kafka_topic_result_name(results[k])))
                                specs[j].created = 1;
        }
        ret = 0;
done:
        if (ev)
                rd_kafka_event_destroy(ev);
        if (opts)
                rd_kafka_AdminOptions_destroy(opts);
        for (i = 0; i < cnt; i++)
                rd_kafka_NewTopic_destroy(topics[i]);
        rd_kafka_queue_destroy(q);
        return ret;
}

/* The value of max.message.bytes in the DescribeConfigs result of one topic: the number, 0
 * when the topic does not exist, -1 with errstr set. */
static long max_message_bytes_of(const rd_kafka_ConfigResource_t *res, char *errstr,
                                 size_t errstr_size)
{
        const rd_kafka_ConfigEntry_t **entries;
        rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(res);
        size_t n, i;

        if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
                return 0;
        if (err) {
                snprintf(errstr, errstr_size, "configuration of topic %s: %s",
                         rd_kafka_ConfigResource_name(res),
                         rd_kafka_ConfigResource_error_string(res) ?: rd_kafka_err2str(err));
                return -1;
        }
        entries = rd_kafka_ConfigResource_configs(res, &n);
        for (i = 0; i < n; i++)
                if (!strcmp(rd_kafka_ConfigEntry_name(entries[i]), "max.message.bytes") &&
                    rd_kafka_ConfigEntry_value(entries[i]))
                        return strtol(rd_kafka_ConfigEntry_value(entries[i]), NULL, 10);
        snprintf(errstr, errstr_size, "topic %s: the broker told no max.message.bytes",
                 rd_kafka_ConfigResource_name(res));
        return -1;
}

static int max_message_bytes_once(rd_kafka_t *rk, const char *const *topics, size_t n, long *out,
                                  int timeout_ms, char *errstr, size_t errstr_size)
{
        rd_kafka_ConfigResource_t *res[CB_KAFKA_TOPICS_MAX];
        rd_kafka_AdminOptions_t *opts;
        rd_kafka_queue_t *q;
        rd_kafka_event_t *ev;
        const rd_kafka_ConfigResource_t **got;
        char err[256];
        size_t i, k, cnt;
        int ret = -1;

        if (n > CB_KAFKA_TOPICS_MAX) {
                snprintf(errstr, errstr_size, "too many topics");
                return -1;
        }
        for (i = 0; i < n; i++)
                res[i] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topics[i]);
        q = rd_kafka_queue_new(rk);
        opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
        rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, err, sizeof(err));
        rd_kafka_DescribeConfigs(rk, res, n, opts, q);
        ev = rd_kafka_queue_poll(q, timeout_ms + 5000);
        if (!ev) {
                snprintf(errstr, errstr_size, "describing topics timed out after %d ms",
                         timeout_ms);
        } else if (rd_kafka_event_error(ev)) {
                snprintf(errstr, errstr_size, "describing topics: %s",
                         rd_kafka_event_error_string(ev));
        } else {
                got = rd_kafka_DescribeConfigs_result_resources(
                    rd_kafka_event_DescribeConfigs_result(ev), &cnt);
                ret = 0;
                for (i = 0; i < n && !ret; i++) {
                        out[i] = 0;
                        for (k = 0; k < cnt; k++)
                                if (!strcmp(rd_kafka_ConfigResource_name(got[k]), topics[i]))
                                        out[i] = max_message_bytes_of(got[k], errstr, errstr_size);
                        ret = out[i] < 0 ? -1 : 0;
                }
        }
        if (ev)
                rd_kafka_event_destroy(ev);
        rd_kafka_AdminOptions_destroy(opts);
        rd_kafka_queue_destroy(q);
        for (i = 0; i < n; i++)
                rd_kafka_ConfigResource_destroy(res[i]);
        return ret;
}

int cb_kafka_max_message_bytes(rd_kafka_t *rk, const char *const *topics, size_t n, size_t existing,
                               long *out, int timeout_ms, char *errstr, size_t errstr_size)
{
        struct timespec step = {0, 100 * 1000000};
        int64_t deadline = cb_time_now_ms() + timeout_ms;
        size_t i;

        for (;;) {
                if (max_message_bytes_once(rk, topics, n, out, timeout_ms, errstr, errstr_size))
                        return -1;
                for (i = 0; i < existing && out[i] > 0; i++)
                        ;
                if (i == existing)
                        return 0;
                if (cb_time_now_ms() > deadline) {
                        snprintf(errstr, errstr_size,
                                 "topic %s: not known to the broker after %d ms", topics[i],
                                 timeout_ms);
                        return -1;
                }
                nanosleep(&step, NULL);
        }
}

void cb_kafka_consumer_destroy(rd_kafka_t *rk, int timeout_ms)
{
        rd_kafka_queue_t *q;
        rd_kafka_error_t *error;
        rd_kafka_event_t *ev;
        struct timespec deadline, now;

        if (!rk)
                return;
        q = rd_kafka_queue_new(rk);
        error = rd_kafka_consumer_close_queue(rk, q);
        if (error) {
                rd_kafka_error_destroy(error);
        } else {
                clock_gettime(CLOCK_MONOTONIC, &deadline);
                deadline.tv_sec += timeout_ms / 1000;
                deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
                while (!rd_kafka_consumer_closed(rk)) {
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        if (now.tv_sec > deadline.tv_sec ||
                            (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)) {
                                cb_log_warn("kafka %s: not closed in time; leaving the group to "
                                            "its session time-out",
                                            rd_kafka_name(rk));
                                break;
                        }
                        /* serves the close: partitions still assigned are handed back (the
   owner committed what was final before closing) */
                        ev = rd_kafka_queue_poll(q, 100);
                        if (ev && rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE)
                                rd_kafka_assign(rk, NULL);
                        if (ev)
                                rd_kafka_event_destroy(ev);
                }
        }
        rd_kafka_queue_destroy(q);
        rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}
