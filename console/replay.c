#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

#include "cb_envelope.h"
#include "cb_time.h"

struct console_replay {
        rd_kafka_t *rk;
        const char *topic;
};

/* What the delivery report tells the thread waiting for it. */
typedef struct report {
        int done;
        rd_kafka_resp_err_t err;
} report_t;

static void on_report(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
        report_t *r = rkm->_private;

        (void)rk, (void)opaque;
        if (r) {
                r->err = rkm->err;
                r->done = 1;
        }
}

console_replay_t *console_replay_new(const cb_kafka_conf_t *kc, const char *topic, char *errstr,
                                     size_t errstr_size)
{
        static const char *const defaults[] = {"client.id", "closebridge-console-replay",
                                               "linger.ms", "0",
                                               /* an envelope as large as ingest takes */
                                               "message.max.bytes", CB_PRODUCER_MESSAGE_MAX, NULL};
        static const char *const forced[] = {"acks", "all", "enable.idempotence", "true", NULL};
        console_replay_t *rp = calloc(1, sizeof(*rp));

        if (!rp) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        rp->topic = topic;
        rp->rk = cb_kafka_new(kc,
                              &(cb_kafka_spec_t){.type = RD_KAFKA_PRODUCER,
                                                 .defaults = defaults,
                                                 .forced = forced,
                                                 .dr_msg_cb = on_report},
                              errstr, errstr_size);
        if (!rp->rk) {
                free(rp);
                return NULL;
        }
        return rp;
}

void console_replay_destroy(console_replay_t *rp)
{
        if (!rp)
                return;
        rd_kafka_flush(rp->rk, 5000);
        rd_kafka_destroy(rp->rk);
        free(rp);
}

int console_replay_id(char *out, size_t out_size)
{
        unsigned char b[8];

        if (out_size < CONSOLE_REPLAY_ID_MAX || RAND_bytes(b, sizeof(b)) != 1)
                return -1;
        snprintf(out, out_size, "rp_%02x%02x%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
                 b[5], b[6], b[7]);
        return 0;
}

rd_kafka_headers_t *console_replay_headers(const rd_kafka_headers_t *hdrs, const char *replay_id)
{
        rd_kafka_headers_t *out = rd_kafka_headers_new(8);
        const char *name;
        const void *value;
        size_t i, size;

        for (i = 0; hdrs && !rd_kafka_header_get_all(hdrs, i, &name, &value, &size); i++)
                if (strncmp(name, "cb-", 3))
                        rd_kafka_header_add(out, name, -1, value, (ssize_t)size);
        rd_kafka_header_add(out, CB_HEADER_REPLAY, -1, replay_id, -1);
        rd_kafka_header_add(out, CB_HEADER_ATTEMPT, -1, "1", 1);
        return out;
}

int console_replay_produce(console_replay_t *rp, const char *instance_id, const char *value,
                           size_t len, const rd_kafka_headers_t *hdrs, const char *replay_id,
                           int timeout_ms, char *errstr, size_t errstr_size)
{
        rd_kafka_headers_t *out = console_replay_headers(hdrs, replay_id);
        int64_t deadline = cb_time_now_ms() + timeout_ms;
        report_t r = {0, RD_KAFKA_RESP_ERR_NO_ERROR};
        rd_kafka_resp_err_t err;

        err = rd_kafka_producev(
            rp->rk, RD_KAFKA_V_TOPIC(rp->topic), RD_KAFKA_V_KEY(instance_id, strlen(instance_id)),
            RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_HEADERS(out), RD_KAFKA_V_OPAQUE(&r), RD_KAFKA_V_END);
        if (err) {
                rd_kafka_headers_destroy(out); /* producev took them only on success */
                snprintf(errstr, errstr_size, "the replay was refused: %s", rd_kafka_err2str(err));
                return -1;
        }
        while (!r.done && cb_time_now_ms() < deadline)
                rd_kafka_poll(rp->rk, 50);
        if (!r.done) {
                /* the report may still come after r is gone: it must find nothing */
                rd_kafka_purge(rp->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
                while (!r.done)
                        rd_kafka_poll(rp->rk, 50);
                snprintf(errstr, errstr_size, "Kafka did not acknowledge the replay in time");
                return -1;
        }
        if (r.err) {
                snprintf(errstr, errstr_size, "the replay failed: %s", rd_kafka_err2str(r.err));
                return -1;
        }
        return 0;
}
