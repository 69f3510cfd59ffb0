#include "fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_time.h"

struct console_fetch {
        rd_kafka_t *rk;
};

console_fetch_t *console_fetch_new(const cb_kafka_conf_t *kc, char *errstr, size_t errstr_size)
{
        /* assign() needs a group.id in librdkafka 2.0.2; nothing is ever committed. Only the one
           record is wanted: no prefetching beyond it. */
        static const char *const defaults[] = {"client.id", "closebridge-console-fetch", "group.id",
                                               "closebridge-console-fetch", "fetch.wait.max.ms",
                                               "10",
                                               /* a partition read to its end backs off before
                                                  its next fetch (500 ms by default): the next
                                                  read of it would wait that long */
                                               "fetch.error.backoff.ms", "10", NULL};
        static const char *const forced[] = {"enable.auto.commit",
                                             "false",
                                             "enable.partition.eof",
                                             "true",
                                             "queued.min.messages",
                                             "1",
                                             NULL};
        console_fetch_t *fe = calloc(1, sizeof(*fe));

        if (!fe) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        fe->rk = cb_kafka_new(kc,
                              &(cb_kafka_spec_t){.type = RD_KAFKA_CONSUMER,
                                                 .defaults = defaults,
                                                 .forced = forced,
                                                 .consumer_poll = 1},
                              errstr, errstr_size);
        if (!fe->rk) {
                free(fe);
                return NULL;
        }
        return fe;
}

void console_fetch_destroy(console_fetch_t *fe)
{
        if (!fe)
                return;
        rd_kafka_consumer_close(fe->rk);
        rd_kafka_destroy(fe->rk);
        free(fe);
}

/* Takes rkm for every item of its partition: the one at its offset is read, those it has
 * passed are not there. Returns how many items it settled. */
static size_t settle(console_fetch_item_t *items, size_t n, int *done,
                     const rd_kafka_message_t *rkm)
{
        const char *topic = rd_kafka_topic_name(rkm->rkt);
        int end = rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF ||
                  rkm->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE;
        rd_kafka_headers_t *kh;
        size_t i, settled = 0;

        for (i = 0; i < n; i++) {
                console_fetch_item_t *it = &items[i];

                if (done[i] || it->partition != rkm->partition || strcmp(it->topic, topic))
                        continue;
                if (!end && (rkm->err || rkm->offset < it->offset))
                        continue;
                done[i] = 1;
                settled++;
                it->rc = 1; /* gone: the partition begins or ends elsewhere now */
                if (end || rkm->offset != it->offset || !rkm->payload ||
                    !(it->value = malloc(rkm->len + 1)))
                        continue;
                memcpy(it->value, rkm->payload, rkm->len);
                it->value[rkm->len] = '\0';
                it->len = rkm->len;
                it->rc = 0;
                if (!rd_kafka_message_headers(rkm, &kh))
                        it->hdrs = rd_kafka_headers_copy(kh);
        }
        return settled;
}

/* Assigns each partition items name from the lowest offset wanted in it. Returns 0 or -1. */
static int assign_all(console_fetch_t *fe, const console_fetch_item_t *items, size_t n)
{
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)n);
        rd_kafka_topic_partition_t *tp;
        size_t i;
        int rc;

        if (!list)
                return -1;
        for (i = 0; i < n; i++) {
                tp = rd_kafka_topic_partition_list_find(list, items[i].topic, items[i].partition);
                if (!tp)
                        rd_kafka_topic_partition_list_add(list, items[i].topic, items[i].partition)
                            ->offset = items[i].offset;
                else if (items[i].offset < tp->offset)
                        tp->offset = items[i].offset;
        }
        rc = rd_kafka_assign(fe->rk, list) ? -1 : 0;
        rd_kafka_topic_partition_list_destroy(list);
        return rc;
}

int console_fetch_many(console_fetch_t *fe, console_fetch_item_t *items, size_t n, int timeout_ms,
                       char *errstr, size_t errstr_size)
{
        int64_t deadline = cb_time_now_ms() + timeout_ms, left;
        int *done = calloc(n ? n : 1, sizeof(*done));
        rd_kafka_message_t *rkm;
        size_t i, settled = 0;
        int rc = -1;

        for (i = 0; i < n; i++) {
                items[i].rc = 1;
                items[i].value = NULL;
                items[i].len = 0;
                items[i].hdrs = NULL;
        }
        if (!done) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        if (n && assign_all(fe, items, n)) {
                snprintf(errstr, errstr_size, "cannot read %s [%d]", items[0].topic,
                         (int)items[0].partition);
                free(done);
                return -1;
        }
        errstr[0] = '\0';
        while (settled < n && (left = deadline - cb_time_now_ms()) > 0) {
                rkm = rd_kafka_consumer_poll(fe->rk, (int)left);
                if (!rkm)
                        continue;
                if (rkm->err && rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF &&
                    rkm->err != RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
                        snprintf(errstr, errstr_size, "%s", rd_kafka_message_errstr(rkm));
                        rd_kafka_message_destroy(rkm);
                        break;
                }
                settled += settle(items, n, done, rkm);
                rd_kafka_message_destroy(rkm);
        }
        for (i = 0; i < n && settled < n && !errstr[0]; i++)
                if (!done[i]) /* the first one still wanted names the time-out */
                        snprintf(errstr, errstr_size, "timed out reading %s [%d] at %lld",
                                 items[i].topic, (int)items[i].partition,
                                 (long long)items[i].offset);
        if (settled == n)
                rc = 0;
        rd_kafka_assign(fe->rk, NULL);
        free(done);
        return rc;
}

int console_fetch_value(console_fetch_t *fe, const char *topic, int32_t partition, int64_t offset,
                        int timeout_ms, char **out, size_t *len, rd_kafka_headers_t **hdrs,
                        char *errstr, size_t errstr_size)
{
        console_fetch_item_t it = {.topic = topic, .partition = partition, .offset = offset};
        int rc = console_fetch_many(fe, &it, 1, timeout_ms, errstr, errstr_size);

        *out = it.value;
        *len = it.len;
        if (hdrs)
                *hdrs = it.hdrs;
        else if (it.hdrs)
                rd_kafka_headers_destroy(it.hdrs);
        return rc < 0 ? -1 : it.rc;
}
