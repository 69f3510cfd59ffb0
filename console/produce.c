#include "produce.h"

#include <stdio.h>
#include <string.h>
#include <openssl/rand.h>

#include "cb_time.h"

/* What a delivery report tells the thread waiting for it. */
typedef struct report {
        int done;
        rd_kafka_resp_err_t err;
} report_t;

void console_produce_on_report(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
        report_t *r = rkm->_private;

        (void)rk, (void)opaque;
        if (r) {
                r->err = rkm->err;
                r->done = 1;
        }
}

int console_produce_acked(rd_kafka_t *rk, const char *topic, int32_t partition, const char *key,
                          const void *value, size_t len, rd_kafka_headers_t *hdrs, int timeout_ms,
                          const char *what, char *errstr, size_t errstr_size)
{
        int64_t deadline = cb_time_now_ms() + timeout_ms;
        report_t r = {0, RD_KAFKA_RESP_ERR_NO_ERROR};
        rd_kafka_resp_err_t err;

        err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                RD_KAFKA_V_KEY(key, strlen(key)),
                                RD_KAFKA_V_VALUE((void *)value, len),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs),
                                RD_KAFKA_V_OPAQUE(&r), RD_KAFKA_V_END);
        if (err) {
                if (hdrs)
                        rd_kafka_headers_destroy(hdrs); /* producev took them only on success */
                snprintf(errstr, errstr_size, "%s was refused: %s", what, rd_kafka_err2str(err));
                return -1;
        }
        while (!r.done && cb_time_now_ms() < deadline)
                rd_kafka_poll(rk, 50);
        if (!r.done) {
                /* the report may still come after r is gone: it must find nothing */
                rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
                while (!r.done)
                        rd_kafka_poll(rk, 50);
                snprintf(errstr, errstr_size, "Kafka did not acknowledge %s in time", what);
                return -1;
        }
        if (r.err) {
                snprintf(errstr, errstr_size, "%s failed: %s", what, rd_kafka_err2str(r.err));
                return -1;
        }
        return 0;
}

int console_random_id(const char *prefix, char *out, size_t out_size)
{
        unsigned char b[8];

        if (out_size < strlen(prefix) + 17 || RAND_bytes(b, sizeof(b)) != 1)
                return -1;
        snprintf(out, out_size, "%s%02x%02x%02x%02x%02x%02x%02x%02x", prefix, b[0], b[1], b[2],
                 b[3], b[4], b[5], b[6], b[7]);
        return 0;
}
