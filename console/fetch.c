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

int console_fetch_value(console_fetch_t *fe, const char *topic, int32_t partition, int64_t offset,
                        int timeout_ms, char **out, size_t *len, rd_kafka_headers_t **hdrs,
                        char *errstr, size_t errstr_size)
{
        rd_kafka_headers_t *kh;
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
        int64_t deadline = cb_time_now_ms() + timeout_ms, left;
        rd_kafka_message_t *rkm;
        int rc = -1;

        *out = NULL;
        *len = 0;
        if (hdrs)
                *hdrs = NULL;
        if (!list) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        rd_kafka_topic_partition_list_add(list, topic, partition)->offset = offset;
        if (rd_kafka_assign(fe->rk, list)) {
                rd_kafka_topic_partition_list_destroy(list);
                snprintf(errstr, errstr_size, "cannot read %s [%d]", topic, (int)partition);
                return -1;
        }
        rd_kafka_topic_partition_list_destroy(list);
        snprintf(errstr, errstr_size, "timed out reading %s [%d] at %lld", topic, (int)partition,
                 (long long)offset);
        while ((left = deadline - cb_time_now_ms()) > 0) {
                rkm = rd_kafka_consumer_poll(fe->rk, (int)left);
                if (!rkm)
                        continue;
                if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF ||
                    rkm->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE ||
                    (!rkm->err && rkm->offset > offset)) {
                        rc = 1; /* gone: the partition begins or ends elsewhere now */
                } else if (rkm->err) {
                        snprintf(errstr, errstr_size, "%s", rd_kafka_message_errstr(rkm));
                } else if (rkm->offset == offset) {
                        rc = 1;
                        if (rkm->payload && (*out = malloc(rkm->len + 1))) {
                                memcpy(*out, rkm->payload, rkm->len);
                                (*out)[rkm->len] = '\0';
                                *len = rkm->len;
                                rc = 0;
                                if (hdrs && !rd_kafka_message_headers(rkm, &kh))
                                        *hdrs = rd_kafka_headers_copy(kh);
                        }
                }
                rd_kafka_message_destroy(rkm);
                if (rc >= 0)
                        break;
        }
        rd_kafka_assign(fe->rk, NULL);
        return rc;
}
