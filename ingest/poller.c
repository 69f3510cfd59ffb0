#include "poller.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <json-c/linkhash.h>
#include <librdkafka/rdkafka.h>

#include "cb_close.h"
#include "cb_envelope.h"
#include "cb_kafka.h"
#include "cb_log.h"
#include "cb_metrics.h"
#include "cb_time.h"
#include "close_api.h"
#include "ingest.h"
#include "poll_state.h"
#include "produce.h"

/* 100,000 events in one poll at most (held in memory until they are published). */
#define MAX_PAGES 2000

/* One polled instance: when it is due, and where its polling stands. */
typedef struct sched {
        int64_t next_ms;
        long backoff_ms;
        int have_state;
        ingest_poll_state_t state;
} sched_t;

struct ingest_poller {
        ingest_t *ing;
        rd_kafka_t *txp;    /* transactional producer: envelopes + poll state */
        rd_kafka_t *assign; /* member of the poller group: which partitions are ours */
        CURL *curl;
        pthread_t thread;
        volatile int run;
        int fatal; /* atomic */
        int32_t *parts;
        size_t nparts;
        struct lh_table *sched;  /* instance id -> sched_t */
        struct lh_table *stored; /* instance id -> its state JSON as on the state topic */
        char topic_state[256];
        cb_metric_family_t *m_polls, *m_events;
};

static int64_t now_ms(void)
{
        return cb_time_now_us() / 1000;
}

static void free_sched(struct lh_entry *e)
{
        sched_t *s = lh_entry_v(e);

        free(lh_entry_k(e));
        ingest_poll_state_fini(&s->state);
        free(s);
}

static void free_stored(struct lh_entry *e)
{
        free(lh_entry_k(e));
        free(lh_entry_v(e));
}

static void count_poll(ingest_poller_t *p, const char *outcome)
{
        char labels[64];

        snprintf(labels, sizeof(labels), "outcome=\"%s\"", outcome);
        cb_metrics_add(p->m_polls, labels, 1);
}

/* Reads the whole compacted state topic into p->stored (committed records only). */
static void load_states(ingest_poller_t *p)
{
        static const char *const defaults[] = {"client.id",
                                               "closebridge-poller-state",
                                               "group.id",
                                               "closebridge-poller-state",
                                               "enable.auto.commit",
                                               "false",
                                               "enable.partition.eof",
                                               "true",
                                               "isolation.level",
                                               "read_committed",
                                               NULL};
        rd_kafka_topic_partition_list_t *parts = NULL;
        rd_kafka_message_t *rkm;
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk = NULL;
        char errstr[256], key[CB_INSTANCE_ID_MAX], *value;
        int n, i, eofs = 0;
        int64_t deadline = now_ms() + cb_config_int(p->ing->cfg, "kafka-timeout-ms");

        if (p->stored)
                lh_table_free(p->stored);
        p->stored = lh_kchar_table_new(64, free_stored);
        conf = cb_kafka_conf_new(p->ing->cfg, defaults, errstr, sizeof(errstr));
        if (conf && !(rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr))))
                rd_kafka_conf_destroy(conf);
        n = rk ? cb_kafka_partition_count(rk, p->topic_state, 10000, errstr, sizeof(errstr)) : -1;
        if (n <= 0) {
                cb_log_warn("poller: cannot read %s: %s; polls start afresh", p->topic_state,
                            errstr);
                goto done;
        }
        parts = rd_kafka_topic_partition_list_new(n);
        for (i = 0; i < n; i++)
                rd_kafka_topic_partition_list_add(parts, p->topic_state, i)->offset =
                    RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk, parts);
        while (eofs < n && now_ms() < deadline && p->run) {
                rkm = rd_kafka_consumer_poll(rk, 200);
                if (!rkm)
                        continue;
                if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        eofs++;
                } else if (!rkm->err && rkm->key && rkm->key_len < sizeof(key)) {
                        memcpy(key, rkm->key, rkm->key_len);
                        key[rkm->key_len] = '\0';
                        lh_table_delete(p->stored, key);
                        value = rkm->payload ? strndup(rkm->payload, rkm->len) : NULL;
                        if (value)
                                lh_table_insert(p->stored, strdup(key), value);
                }
                rd_kafka_message_destroy(rkm);
        }
        if (eofs < n && p->run)
                cb_log_warn("poller: %s not read to its end in time", p->topic_state);
done:
        if (parts)
                rd_kafka_topic_partition_list_destroy(parts);
        cb_kafka_consumer_destroy(rk, 1000);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        ingest_poller_t *p = opaque;
        int i;

        free(p->parts);
        p->parts = NULL;
        p->nparts = 0;
        /* what another member polled meanwhile is on the state topic: read it again */
        if (p->sched)
                lh_table_free(p->sched);
        p->sched = lh_kchar_table_new(64, free_sched);
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                p->parts = calloc((size_t)parts->cnt + 1, sizeof(*p->parts));
                for (i = 0; p->parts && i < parts->cnt; i++)
                        p->parts[p->nparts++] = parts->elems[i].partition;
                cb_log_info("poller: polling the instances of %d partitions", parts->cnt);
                load_states(p);
                rd_kafka_assign(rk, parts);
        } else {
                rd_kafka_assign(rk, NULL);
        }
}

static int ours(const ingest_poller_t *p, int32_t partition)
{
        size_t i;

        for (i = 0; i < p->nparts; i++)
                if (p->parts[i] == partition)
                        return 1;
        return 0;
}

/* The instance's refresh interval (event.poller.refresh_interval, minutes, decimals allowed). */
static long interval_ms(const ingest_poller_t *p, const cb_instance_t *inst)
{
        const char *s = cb_instance_config(inst, "event.poller.refresh_interval");
        double minutes = s ? strtod(s, NULL) : 0;

        if (!(minutes > 0))
                return cb_config_int(p->ing->cfg, "poll-interval-s") * 1000;
        minutes *= 60000;
        return minutes < 100 ? 100 : minutes > 86400000.0 ? 86400000 : (long)minutes;
}

/* 1 when the instance's event.poller.configuration lets events of model through: no list (or an
 * empty one) lets everything through; else one of its Cloud Elements resource names
 * ("contacts", "accounts", "opportunities", ...) must stand for the event's object type. */
static int wanted(const cb_instance_t *inst, const char *model)
{
        json_object *conf, *pc, *parsed = NULL;
        int any = 0, hit = 0;

        if (!json_object_object_get_ex(inst->json, "configuration", &conf) ||
            !json_object_object_get_ex(conf, "event.poller.configuration", &pc) || !pc)
                return 1;
        if (json_object_is_type(pc, json_type_string))
                pc = parsed = json_tokener_parse(json_object_get_string(pc));
        if (json_object_is_type(pc, json_type_object)) {
                json_object_object_foreach(pc, resource, val)
                {
                        (void)val;
                        any = 1;
                        if (!strcmp(cb_close_object_type(cb_close_model_of(resource)),
                                    cb_close_object_type(model)))
                                hit = 1;
                }
        }
        json_object_put(parsed);
        return !any || hit;
}

/* The poll state of inst: from the state topic, else from event.poller.since, else now. */
static void ensure_state(ingest_poller_t *p, const cb_instance_t *inst, sched_t *s)
{
        const char *since = cb_instance_config(inst, "event.poller.since");
        int64_t start = cb_time_now_us(), us;
        void *v;

        if (s->have_state)
                return;
        if (since && !cb_time_parse(since, &us))
                start = us;
        if (!p->stored || !lh_table_lookup_ex(p->stored, inst->id, &v) ||
            ingest_poll_state_parse(&s->state, v, strlen(v), start))
                ingest_poll_state_init(&s->state, start);
        s->have_state = 1;
}

/* Publishes envs and the new state in one transaction. Returns 0, or -1 (aborted). */
static int publish(ingest_poller_t *p, const cb_instance_t *inst, json_object **envs, size_t n,
                   const char *state_json)
{
        rd_kafka_error_t *error;
        rd_kafka_resp_err_t err = 0;
        int timeout = (int)cb_config_int(p->ing->cfg, "ack-timeout-ms"), tries;
        size_t i;

        error = rd_kafka_begin_transaction(p->txp);
        if (error)
                goto fail;
        for (i = 0; i < n && !err; i++) {
                const char *value = json_object_to_json_string_ext(
                    envs[i], JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
                rd_kafka_headers_t *headers = ingest_envelope_kafka_headers(envs[i]);
                err = rd_kafka_producev(p->txp, RD_KAFKA_V_TOPIC(p->ing->topic_events),
                                        RD_KAFKA_V_KEY(inst->id, strlen(inst->id)),
                                        RD_KAFKA_V_VALUE((void *)value, strlen(value)),
                                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                        RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
                if (err)
                        rd_kafka_headers_destroy(headers);
        }
        if (!err)
                err = rd_kafka_producev(p->txp, RD_KAFKA_V_TOPIC(p->topic_state),
                                        RD_KAFKA_V_KEY(inst->id, strlen(inst->id)),
                                        RD_KAFKA_V_VALUE((void *)state_json, strlen(state_json)),
                                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err) {
                cb_log_kv(CB_LOG_WARN, CB_KV("instance", inst->id),
                          "poller: instance %s: produce failed: %s", inst->id,
                          rd_kafka_err2str(err));
                goto fail;
        }
        /* a commit that timed out is tried again, as librdkafka asks */
        for (tries = 0; tries < 3; tries++) {
                error = rd_kafka_commit_transaction(p->txp, timeout);
                if (!error)
                        return 0;
                if (!rd_kafka_error_is_retriable(error))
                        break;
                rd_kafka_error_destroy(error);
                error = NULL;
        }
fail:
        cb_log_kv(CB_LOG_WARN, CB_KV("instance", inst->id),
                  "poller: instance %s: transaction failed: %s", inst->id,
                  error ? rd_kafka_error_string(error) : "commit timed out");
        if (error && rd_kafka_error_is_fatal(error)) {
                __atomic_store_n(&p->fatal, 1, __ATOMIC_RELEASE);
        } else {
                /* nothing of this poll is visible: abort, then the next try starts over */
                for (tries = 0; tries < 3; tries++) {
                        rd_kafka_error_t *abort_error = rd_kafka_abort_transaction(p->txp, timeout);
                        if (!abort_error)
                                break;
                        if (rd_kafka_error_is_fatal(abort_error))
                                __atomic_store_n(&p->fatal, 1, __ATOMIC_RELEASE);
                        if (!rd_kafka_error_is_retriable(abort_error))
                                tries = 3;
                        rd_kafka_error_destroy(abort_error);
                }
        }
        if (error)
                rd_kafka_error_destroy(error);
        return -1;
}

/* Walks the Event Log of inst from its state; returns its events, oldest first, as a new array
 * the caller puts, or NULL after scheduling the next try (rate limit, error, refused key). */
static json_object *fetch_all(ingest_poller_t *p, const cb_instance_t *inst, sched_t *s,
                              long interval)
{
        const char *base = cb_instance_config(inst, "base.url");
        const char *key = cb_instance_config(inst, "username");
        long timeout = cb_config_int(p->ing->cfg, "poll-timeout-ms"), wait = 0;
        json_object *all = json_object_new_array(), *ordered;
        ingest_close_page_t page;
        ingest_close_result_t res;
        char *cursor = NULL, err[512];
        size_t i, n, pages;

        if (!base || !*base)
                base = cb_config_str(p->ing->cfg, "close-api-base");
        for (pages = 0; pages < MAX_PAGES; pages++) {
                res = ingest_close_fetch(p->curl, base, key ? key : "", s->state.from_us, cursor,
                                         timeout, &page, &wait, err, sizeof(err));
                free(cursor);
                cursor = NULL;
                if (res != INGEST_CLOSE_OK) {
                        json_object_put(all);
                        if (res == INGEST_CLOSE_RATE_LIMITED) {
                                count_poll(p, "rate_limited");
                                s->next_ms = now_ms() + wait;
                        } else if (res == INGEST_CLOSE_UNAUTHORIZED) {
                                /* once per interval: the next try is a whole interval away */
                                count_poll(p, "unauthorized");
                                s->next_ms = now_ms() + interval;
                        } else {
                                count_poll(p, "error");
                                s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : 1000;
                                if (s->backoff_ms > interval)
                                        s->backoff_ms = interval;
                                s->next_ms = now_ms() + s->backoff_ms;
                        }
                        cb_log_kv(CB_LOG_WARN, CB_KV("instance", inst->id),
                                  "poller: instance %s: %s; next try in %lld ms", inst->id, err,
                                  (long long)(s->next_ms - now_ms()));
                        return NULL;
                }
                n = json_object_array_length(page.events);
                for (i = 0; i < n; i++)
                        json_object_array_add(
                            all, json_object_get(json_object_array_get_idx(page.events, i)));
                cursor = page.cursor_next ? strdup(page.cursor_next) : NULL;
                json_object_put(page.root);
                if (!cursor)
                        break;
        }
        if (cursor) {
                /* Publishing part of the walk would skip the older events for good (the log
                   is newest first): publish none, and say so. */
                free(cursor);
                json_object_put(all);
                count_poll(p, "error");
                s->next_ms = now_ms() + interval;
                cb_log_kv(CB_LOG_ERROR, CB_KV("instance", inst->id),
                          "poller: more than %d pages of events to read at once; start the "
                          "instance later (event.poller.since) or poll more often",
                          MAX_PAGES);
                return NULL;
        }
        /* the log is newest first; publish oldest first */
        n = json_object_array_length(all);
        ordered = json_object_new_array_ext((int)n);
        for (i = n; i > 0; i--)
                json_object_array_add(ordered,
                                      json_object_get(json_object_array_get_idx(all, i - 1)));
        json_object_put(all);
        return ordered;
}

static void poll_instance(ingest_poller_t *p, const cb_instance_t *inst, sched_t *s)
{
        long interval = interval_ms(p, inst);
        int64_t overlap = cb_config_int(p->ing->cfg, "poll-overlap-s") * 1000000LL;
        int64_t now = cb_time_now_us(), *dates = NULL;
        json_object *events, **envs = NULL, *wrap, *ev;
        const char **ids = NULL;
        ingest_poll_state_t next;
        cb_close_event_t cev;
        size_t i, n, nenv = 0, nids = 0;
        char err[256] = "", *state_json = NULL;

        ensure_state(p, inst, s);
        events = fetch_all(p, inst, s, interval);
        if (!events)
                return;
        n = json_object_array_length(events);
        envs = calloc(n + 1, sizeof(*envs));
        ids = calloc(n + 1, sizeof(*ids));
        dates = calloc(n + 1, sizeof(*dates));
        if (!envs || !ids || !dates)
                goto retry;
        for (i = 0; i < n; i++) {
                ev = json_object_array_get_idx(events, i);
                wrap = json_object_new_object();
                json_object_object_add(wrap, "event", json_object_get(ev));
                if (cb_close_parse_webhook(wrap, &cev, err, sizeof(err)) || !cev.date_us) {
                        cb_log_kv(CB_LOG_WARN, CB_KV("instance", inst->id),
                                  "poller: instance %s: event skipped: %s", inst->id,
                                  *err ? err : "no date_updated");
                        json_object_put(wrap);
                        continue;
                }
                ids[nids] = cev.close_id;
                dates[nids++] = cev.date_us;
                if (ingest_poll_state_is_new(&s->state, cev.close_id, cev.date_us) &&
                    wanted(inst, cev.model)) {
                        envs[nenv] = cb_envelope_new(inst->id, &cev, "polling", now);
                        if (envs[nenv])
                                nenv++;
                }
                json_object_put(wrap); /* the envelope holds its own reference */
        }
        if (ingest_poll_state_copy(&next, &s->state) ||
            ingest_poll_state_advance(&next, ids, dates, nids, now, overlap)) {
                ingest_poll_state_fini(&next);
                goto retry;
        }
        state_json = ingest_poll_state_format(&next);
        if (!state_json || publish(p, inst, envs, nenv, state_json)) {
                ingest_poll_state_fini(&next);
                goto retry;
        }
        ingest_poll_state_fini(&s->state);
        s->state = next;
        if (p->stored) {
                lh_table_delete(p->stored, inst->id);
                lh_table_insert(p->stored, strdup(inst->id), strdup(state_json));
        }
        count_poll(p, "ok");
        cb_metrics_add(p->m_events, "", (double)nenv);
        if (nenv)
                cb_log_kv(CB_LOG_INFO, CB_KV("instance", inst->id),
                          "poller: instance %s: %zu new events published", inst->id, nenv);
        s->backoff_ms = 0;
        s->next_ms = now_ms() + interval;
        goto done;
retry:
        count_poll(p, "error");
        s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : 1000;
        if (s->backoff_ms > interval)
                s->backoff_ms = interval;
        s->next_ms = now_ms() + s->backoff_ms;
done:
        for (i = 0; i < nenv; i++)
                json_object_put(envs[i]);
        free(envs);
        free(ids);
        free(dates);
        free(state_json);
        json_object_put(events);
}

/* 1 when inst is to be polled at all. */
static int polling(const cb_instance_t *inst)
{
        const char *type = cb_instance_config(inst, "event.vendor.type");

        return type && !strcmp(type, "polling") && !inst->disabled;
}

static void round_of_polls(ingest_poller_t *p)
{
        cb_instance_t **all;
        sched_t *s;
        void *v;
        long n, i;

        n = cb_table_snapshot(p->ing->table, &all);
        for (i = 0; i < n; i++) {
                cb_instance_t *inst = all[i];
                if (p->run && polling(inst) && ours(p, inst->partition)) {
                        if (!lh_table_lookup_ex(p->sched, inst->id, &v)) {
                                s = calloc(1, sizeof(*s));
                                if (s && lh_table_insert(p->sched, strdup(inst->id), s))
                                        s = NULL;
                        } else {
                                s = v;
                        }
                        if (s && now_ms() >= s->next_ms)
                                poll_instance(p, inst, s);
                }
                cb_instance_release(inst);
        }
        if (n >= 0)
                free(all);
}

static void *poller_main(void *arg)
{
        ingest_poller_t *p = arg;
        rd_kafka_message_t *rkm;

        while (p->run && !__atomic_load_n(&p->fatal, __ATOMIC_ACQUIRE)) {
                /* serves rebalances; the records themselves are the table's business */
                rkm = rd_kafka_consumer_poll(p->assign, 100);
                if (rkm)
                        rd_kafka_message_destroy(rkm);
                rd_kafka_poll(p->txp, 0); /* its statistics and errors */
                round_of_polls(p);
        }
        return NULL;
}

ingest_poller_t *ingest_poller_new(ingest_t *ing, char *errstr, size_t errstr_size)
{
        char txid[256], host[128] = "host", group[256];
        const char *txdefaults[] = {"client.id",
                                    "closebridge-poller",
                                    "transactional.id",
                                    txid,
                                    "enable.idempotence",
                                    "true",
                                    "acks",
                                    "all",
                                    "reconnect.backoff.max.ms",
                                    "1000",
                                    NULL};
        const char *cdefaults[] = {"client.id",
                                   "closebridge-poller",
                                   "group.id",
                                   group,
                                   "enable.auto.commit",
                                   "false",
                                   "auto.offset.reset",
                                   "latest",
                                   "reconnect.backoff.max.ms",
                                   "1000",
                                   NULL};
        ingest_poller_t *p = calloc(1, sizeof(*p));
        rd_kafka_topic_partition_list_t *topics;
        rd_kafka_conf_t *conf;
        rd_kafka_error_t *error;

        if (!p) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        p->ing = ing;
        cb_kafka_topic(ing->cfg, CB_TOPIC_POLLER_STATE, p->topic_state, sizeof(p->topic_state));
        p->sched = lh_kchar_table_new(64, free_sched);
        p->curl = curl_easy_init();
        p->m_polls =
            cb_metrics_family("closebridge_polls_total", "polls of the Close Event Log, by outcome",
                              CB_METRIC_COUNTER);
        p->m_events =
            cb_metrics_family("closebridge_polled_events_total",
                              "new events found by polling and published", CB_METRIC_COUNTER);
        if (!p->sched || !p->curl) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        /* One transactional id per replica, stable across its restarts, so a restarted
           replica fences its own unfinished transaction at once. */
        gethostname(host, sizeof(host) - 1);
        if (*cb_config_str(ing->cfg, "poller-transactional-id"))
                snprintf(txid, sizeof(txid), "%s",
                         cb_config_str(ing->cfg, "poller-transactional-id"));
        else
                snprintf(txid, sizeof(txid), "closebridge-poller-%s-%ld", host,
                         cb_config_int(ing->cfg, "http-port"));
        snprintf(group, sizeof(group), "%s", cb_config_str(ing->cfg, "poller-group-id"));
        conf = cb_kafka_conf_new(ing->cfg, txdefaults, errstr, errstr_size);
        if (!conf)
                goto fail;
        p->txp = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
        if (!p->txp) {
                rd_kafka_conf_destroy(conf);
                goto fail;
        }
        error =
            rd_kafka_init_transactions(p->txp, (int)cb_config_int(ing->cfg, "kafka-timeout-ms"));
        if (error) {
                snprintf(errstr, errstr_size, "poller transactions: %s",
                         rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                goto fail;
        }
        conf = cb_kafka_conf_new(ing->cfg, cdefaults, errstr, errstr_size);
        if (!conf)
                goto fail;
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", NULL, 0);
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        rd_kafka_conf_set_opaque(conf, p);
        p->assign = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
        if (!p->assign) {
                rd_kafka_conf_destroy(conf);
                goto fail;
        }
        rd_kafka_poll_set_consumer(p->assign);
        topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, ing->topic_instances, RD_KAFKA_PARTITION_UA);
        rd_kafka_subscribe(p->assign, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        p->run = 1;
        if (pthread_create(&p->thread, NULL, poller_main, p)) {
                p->run = 0;
                snprintf(errstr, errstr_size, "cannot start the poller thread");
                goto fail;
        }
        return p;
fail:
        ingest_poller_destroy(p);
        return NULL;
}

void ingest_poller_destroy(ingest_poller_t *p)
{
        if (!p)
                return;
        if (p->run) {
                p->run = 0;
                pthread_join(p->thread, NULL);
        }
        cb_kafka_consumer_destroy(p->assign, 3000);
        if (p->txp)
                rd_kafka_destroy(p->txp);
        if (p->curl)
                curl_easy_cleanup(p->curl);
        if (p->sched)
                lh_table_free(p->sched);
        if (p->stored)
                lh_table_free(p->stored);
        free(p->parts);
        free(p);
}

int ingest_poller_fatal(ingest_poller_t *p)
{
        return p && __atomic_load_n(&p->fatal, __ATOMIC_ACQUIRE);
}
