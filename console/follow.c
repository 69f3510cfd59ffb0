#include "follow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_log.h"
#include "cb_thread.h"
#include "cb_time.h"
#include "index.h"
#include "record.h"

#define FOLLOW_MAX_PARTS     4096
#define FOLLOW_MAX_HEADERS   16
#define FOLLOW_RESCAN_MS     30000
#define FOLLOW_MISSING_MS    2000 /* rescan interval while a topic of ours is missing */
#define FOLLOW_PRUNE_MS      60000
#define FOLLOW_METADATA_MS   5000
#define FOLLOW_BATCH_WAIT_MS 50

/* One followed partition. */
typedef struct part {
        char topic[256];
        int32_t partition;
        console_topic_kind_t kind;
        int64_t target; /* end offset at start-up: caught up once read to it */
        int done;
} part_t;

struct console_follow {
        console_follow_conf_t conf;
        char retry_prefix[300];
        console_index_t *idx;
        rd_kafka_t *rk;
        rd_kafka_queue_t *queue;
        part_t *parts;
        size_t nparts;
        int complete;  /* closeio.events, .deliveries and .dlq all exist */
        int caught_up; /* atomic */
        cb_thread_t thread;
        cb_metric_family_t *m_records, *m_rows;
};

static int starts_with(const char *s, const char *prefix)
{
        return !strncmp(s, prefix, strlen(prefix));
}

/* The kind of topic name, or -1 when it is not followed. */
static int kind_of(const console_follow_t *f, const char *name)
{
        if (!strcmp(name, f->conf.topic_events))
                return CONSOLE_TOPIC_EVENTS;
        if (!strcmp(name, f->conf.topic_deliveries))
                return CONSOLE_TOPIC_DELIVERIES;
        if (!strcmp(name, f->conf.topic_dlq))
                return CONSOLE_TOPIC_DLQ;
        if (starts_with(name, f->retry_prefix) && strlen(name) > strlen(f->retry_prefix))
                return CONSOLE_TOPIC_RETRY;
        return -1;
}

/* The followed partitions the cluster has now, as a new array (*out, the caller frees it).
 * Returns their count, or -1 with errstr set. */
static long discover(console_follow_t *f, part_t **out, char *errstr, size_t errstr_size)
{
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err;
        part_t *parts = NULL;
        size_t n = 0, cap = 0;
        int i, j, kind, seen = 0;

        err = rd_kafka_metadata(f->rk, 1, NULL, &md, FOLLOW_METADATA_MS);
        if (err) {
                snprintf(errstr, errstr_size, "cannot read the topics: %s", rd_kafka_err2str(err));
                return -1;
        }
        for (i = 0; i < md->topic_cnt; i++) {
                kind = kind_of(f, md->topics[i].topic);
                if (kind < 0 || md->topics[i].err)
                        continue;
                if (kind != CONSOLE_TOPIC_RETRY)
                        seen |= 1 << kind;
                for (j = 0; j < md->topics[i].partition_cnt && n < FOLLOW_MAX_PARTS; j++) {
                        if (n == cap) {
                                part_t *more;

                                cap = cap ? cap * 2 : 32;
                                more = realloc(parts, cap * sizeof(*parts));
                                if (!more) {
                                        free(parts);
                                        rd_kafka_metadata_destroy(md);
                                        snprintf(errstr, errstr_size, "out of memory");
                                        return -1;
                                }
                                parts = more;
                        }
                        memset(&parts[n], 0, sizeof(parts[n]));
                        snprintf(parts[n].topic, sizeof(parts[n].topic), "%s", md->topics[i].topic);
                        parts[n].partition = md->topics[i].partitions[j].id;
                        parts[n].kind = (console_topic_kind_t)kind;
                        n++;
                }
        }
        rd_kafka_metadata_destroy(md);
        f->complete = seen == (1 << CONSOLE_TOPIC_EVENTS | 1 << CONSOLE_TOPIC_DELIVERIES |
                               1 << CONSOLE_TOPIC_DLQ);
        *out = parts;
        return (long)n;
}

/* 1 when a and b name the same partitions. */
static int same_parts(const part_t *a, size_t na, const part_t *b, size_t nb)
{
        size_t i, j;

        if (na != nb)
                return 0;
        for (i = 0; i < na; i++) {
                for (j = 0; j < nb; j++)
                        if (a[i].partition == b[j].partition && !strcmp(a[i].topic, b[j].topic))
                                break;
                if (j == nb)
                        return 0;
        }
        return 1;
}

/* Assigns parts (taken: they become f's) from the positions the index stored; a partition
 * already caught up in f's old list stays so, the others get their end offsets now. */
static int assign(console_follow_t *f, part_t *parts, size_t n, char *errstr, size_t errstr_size)
{
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)n + 1);
        int64_t low, high, pos;
        size_t i, j;

        if (!list) {
                free(parts);
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        for (i = 0; i < n; i++) {
                pos = console_index_position(f->idx, parts[i].topic, parts[i].partition);
                rd_kafka_topic_partition_list_add(list, parts[i].topic, parts[i].partition)
                    ->offset = pos >= 0 ? pos : RD_KAFKA_OFFSET_BEGINNING;
                for (j = 0; j < f->nparts; j++)
                        if (f->parts[j].partition == parts[i].partition &&
                            !strcmp(f->parts[j].topic, parts[i].topic))
                                parts[i].done = f->parts[j].done;
                if (parts[i].done)
                        continue;
                if (rd_kafka_query_watermark_offsets(f->rk, parts[i].topic, parts[i].partition,
                                                     &low, &high, FOLLOW_METADATA_MS)) {
                        snprintf(errstr, errstr_size, "cannot read the end of %s [%d]",
                                 parts[i].topic, (int)parts[i].partition);
                        rd_kafka_topic_partition_list_destroy(list);
                        free(parts);
                        return -1;
                }
                parts[i].target = high;
                parts[i].done = high <= low || (pos >= 0 && pos >= high);
        }
        if (rd_kafka_assign(f->rk, list)) {
                rd_kafka_topic_partition_list_destroy(list);
                free(parts);
                snprintf(errstr, errstr_size, "cannot assign the followed topics");
                return -1;
        }
        rd_kafka_topic_partition_list_destroy(list);
        free(f->parts);
        f->parts = parts;
        f->nparts = n;
        return 0;
}

/* Sets caught_up once every partition is done. */
static void check_caught_up(console_follow_t *f)
{
        size_t i;

        if (__atomic_load_n(&f->caught_up, __ATOMIC_ACQUIRE) || !f->complete)
                return;
        for (i = 0; i < f->nparts; i++)
                if (!f->parts[i].done)
                        return;
        __atomic_store_n(&f->caught_up, 1, __ATOMIC_RELEASE);
        cb_log_info("index caught up with %zu partitions", f->nparts);
}

static part_t *part_of(console_follow_t *f, const rd_kafka_message_t *rkm)
{
        const char *topic = rd_kafka_topic_name(rkm->rkt);
        size_t i;

        for (i = 0; i < f->nparts; i++)
                if (f->parts[i].partition == rkm->partition && !strcmp(f->parts[i].topic, topic))
                        return &f->parts[i];
        return NULL;
}

/* Applies one record (or stores its position when it says nothing usable). */
static void apply(console_follow_t *f, part_t *p, const rd_kafka_message_t *rkm)
{
        console_header_t hdrs[FOLLOW_MAX_HEADERS];
        rd_kafka_headers_t *kh = NULL;
        rd_kafka_timestamp_type_t tstype;
        console_kafka_rec_t in;
        console_rec_t rec;
        const void *value;
        size_t nh = 0, size;
        const char *name;
        char err[256], ierr[512];

        if (!rd_kafka_message_headers(rkm, &kh))
                while (nh < FOLLOW_MAX_HEADERS &&
                       !rd_kafka_header_get_all(kh, nh, &name, &value, &size)) {
                        hdrs[nh] = (console_header_t){name, value, size};
                        nh++;
                }
        in = (console_kafka_rec_t){
            .kind = p->kind,
            .topic = p->topic,
            .partition = rkm->partition,
            .offset = rkm->offset,
            .ts_ms = rd_kafka_message_timestamp(rkm, &tstype),
            .key = rkm->key,
            .key_len = rkm->key_len,
            .value = rkm->payload,
            .len = rkm->len,
            .headers = hdrs,
            .nheaders = nh,
        };
        if (console_rec_decode(&in, &rec, err, sizeof(err))) {
                cb_log_debug("%s [%d] at %lld skipped: %s", p->topic, (int)rkm->partition,
                             (long long)rkm->offset, err);
                if (console_index_skip(f->idx, p->topic, rkm->partition, rkm->offset + 1, ierr,
                                       sizeof(ierr)))
                        cb_log_warn("%s", ierr);
                return;
        }
        if (console_index_apply(f->idx, &rec, ierr, sizeof(ierr)))
                cb_log_warn("%s", ierr);
        else
                cb_metrics_add(f->m_records,
                               p->kind == CONSOLE_TOPIC_EVENTS       ? "topic=\"events\""
                               : p->kind == CONSOLE_TOPIC_DELIVERIES ? "topic=\"deliveries\""
                               : p->kind == CONSOLE_TOPIC_RETRY      ? "topic=\"retry\""
                                                                     : "topic=\"dlq\"",
                               1);
}

/* Reads one batch and applies it in one transaction. */
static void batch(console_follow_t *f, rd_kafka_message_t **msgs)
{
        char err[512];
        ssize_t n, i;
        part_t *p;
        int open = 0;

        n = rd_kafka_consume_batch_queue(f->queue, FOLLOW_BATCH_WAIT_MS, msgs,
                                         (size_t)f->conf.batch_max);
        for (i = 0; i < n; i++) {
                p = part_of(f, msgs[i]);
                if (msgs[i]->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        if (p)
                                p->done = 1;
                } else if (msgs[i]->err) {
                        cb_log_warn("%s", rd_kafka_message_errstr(msgs[i]));
                } else if (p) {
                        if (!open && console_index_begin(f->idx, err, sizeof(err)) == 0)
                                open = 1;
                        apply(f, p, msgs[i]);
                        if (msgs[i]->offset + 1 >= p->target)
                                p->done = 1;
                }
                rd_kafka_message_destroy(msgs[i]);
        }
        if (open && console_index_commit(f->idx, err, sizeof(err)))
                cb_log_error("%s", err);
        check_caught_up(f);
}

/* Follows new retry topics and partitions: reassigns when the cluster's list changed. */
static void rescan(console_follow_t *f)
{
        char err[512];
        part_t *parts;
        long n = discover(f, &parts, err, sizeof(err));

        if (n < 0) {
                cb_log_warn("%s", err);
                return;
        }
        if (same_parts(parts, (size_t)n, f->parts, f->nparts)) {
                free(parts);
                return;
        }
        cb_log_info("following %ld partitions (was %zu)", n, f->nparts);
        if (assign(f, parts, (size_t)n, err, sizeof(err)))
                cb_log_warn("%s", err);
}

/* The rows gauge, from a count of the tables (a scan of their smallest index: not per batch). */
static void count_rows(console_follow_t *f)
{
        int64_t events, attempts;

        if (console_index_count(f->idx, &events, &attempts))
                return;
        cb_metrics_set(f->m_rows, "table=\"events\"", (double)events);
        cb_metrics_set(f->m_rows, "table=\"attempts\"", (double)attempts);
}

static void prune(console_follow_t *f)
{
        char err[512];
        long n =
            console_index_prune(f->idx, cb_time_now_ms() - f->conf.retention_ms, err, sizeof(err));

        if (n < 0)
                cb_log_warn("%s", err);
        else if (n > 0)
                cb_log_info("%ld events older than the retention pruned", n);
}

static void *follow_main(void *arg)
{
        console_follow_t *f = arg;
        rd_kafka_message_t **msgs = calloc((size_t)f->conf.batch_max, sizeof(*msgs));
        int64_t next_prune = 0, now,
                next_rescan =
                    cb_time_now_ms() + (f->complete ? FOLLOW_RESCAN_MS : FOLLOW_MISSING_MS);

        if (!msgs) {
                cb_log_error("out of memory: the index is not followed");
                return NULL;
        }
        while (cb_thread_running(&f->thread)) {
                batch(f, msgs);
                now = cb_time_now_ms();
                if (now >= next_prune) {
                        prune(f);
                        count_rows(f);
                        next_prune = now + FOLLOW_PRUNE_MS;
                }
                if (now >= next_rescan) {
                        rescan(f);
                        next_rescan = now + (f->complete ? FOLLOW_RESCAN_MS : FOLLOW_MISSING_MS);
                }
        }
        free(msgs);
        return NULL;
}

/* Makes sure the index's rows come from the cluster the consumer talks to: a database kept from
 * another one (a new local broker, a moved deployment) holds positions that mean nothing here,
 * and is emptied to be read again. Returns 0, or -1 with errstr set. */
static int same_cluster(console_follow_t *f, int timeout_ms, char *errstr, size_t errstr_size)
{
        char *id = rd_kafka_clusterid(f->rk, timeout_ms), stored[128];
        int rc = -1;

        if (!id) {
                snprintf(errstr, errstr_size, "cannot read the Kafka cluster's id");
                return -1;
        }
        if (!console_index_cluster(f->idx, stored, sizeof(stored), errstr, errstr_size)) {
                rc = 0;
                if (strcmp(stored, id)) {
                        if (*stored)
                                cb_log_warn("the index was read from Kafka cluster %s, this is "
                                            "%s: reading it again",
                                            stored, id);
                        rc = console_index_reset(f->idx, id, errstr, errstr_size);
                }
        }
        rd_kafka_mem_free(f->rk, id);
        return rc;
}

console_follow_t *console_follow_new(const console_follow_conf_t *conf, char *errstr,
                                     size_t errstr_size)
{
        /* group.id is required by assign() in librdkafka 2.0.2; the console never commits:
           its positions are in its database */
        static const char *const defaults[] = {"client.id",
                                               "closebridge-console",
                                               "group.id",
                                               "closebridge-console",
                                               "fetch.wait.max.ms",
                                               "100",
                                               NULL};
        static const char *const forced[] = {"enable.partition.eof", "true", "enable.auto.commit",
                                             "false", "enable.auto.offset.store", "false",
                                             /* a stored position the partition no longer has
                                                (retention, or a topic made anew) reads what
                                                it has from its start, never skips to its end */
                                             "auto.offset.reset", "earliest", NULL};
        console_follow_t *f = calloc(1, sizeof(*f));
        part_t *parts;
        long n;

        if (!f) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        f->conf = *conf;
        snprintf(f->retry_prefix, sizeof(f->retry_prefix), "%s.retry.", conf->topic_events);
        f->m_records = cb_metrics_family("closebridge_console_records_total",
                                         "records of the followed topics indexed, by topic kind",
                                         CB_METRIC_COUNTER);
        f->m_rows =
            cb_metrics_family("closebridge_console_index_rows",
                              "rows of the index by table, counted every minute", CB_METRIC_GAUGE);
        f->idx = console_index_open(conf->db_path, 0, errstr, errstr_size);
        if (!f->idx)
                goto fail;
        f->rk = cb_kafka_new(conf->kafka,
                             &(cb_kafka_spec_t){.type = RD_KAFKA_CONSUMER,
                                                .defaults = defaults,
                                                .forced = forced,
                                                .consumer_poll = 1},
                             errstr, errstr_size);
        if (!f->rk)
                goto fail;
        f->queue = rd_kafka_queue_get_consumer(f->rk);
        if (same_cluster(f, conf->kafka->timeout_ms, errstr, errstr_size))
                goto fail;
        n = discover(f, &parts, errstr, errstr_size);
        if (n < 0 || assign(f, parts, (size_t)n, errstr, errstr_size))
                goto fail;
        check_caught_up(f);
        if (cb_thread_start(&f->thread, follow_main, f)) {
                snprintf(errstr, errstr_size, "cannot start the follower thread");
                goto fail;
        }
        return f;
fail:
        console_follow_destroy(f);
        return NULL;
}

int console_follow_caught_up(console_follow_t *f)
{
        return __atomic_load_n(&f->caught_up, __ATOMIC_ACQUIRE);
}

void console_follow_destroy(console_follow_t *f)
{
        if (!f)
                return;
        cb_thread_stop(&f->thread);
        if (f->queue)
                rd_kafka_queue_destroy(f->queue);
        if (f->rk) {
                rd_kafka_consumer_close(f->rk);
                rd_kafka_destroy(f->rk);
        }
        console_index_close(f->idx);
        free(f->parts);
        free(f);
}
