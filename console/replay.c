#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_envelope.h"
#include "produce.h"

struct console_replay {
        rd_kafka_t *rk;
        const char *topic;
};

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
                                                 .dr_msg_cb = console_produce_on_report},
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
        return console_random_id("rp_", out, out_size);
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
        return console_produce_acked(rp->rk, rp->topic, RD_KAFKA_PARTITION_UA, instance_id, value,
                                     len, console_replay_headers(hdrs, replay_id), timeout_ms,
                                     "the replay", errstr, errstr_size);
}
