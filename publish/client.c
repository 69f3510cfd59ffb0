#include "client.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cb_kafka.h"
#include "cb_log.h"
#include "group.h"
#include "move.h"

void publish_client_on_fatal(publish_t *pub, rd_kafka_t *rk)
{
        char fatal[256];

        if (rk == pub->rk && pub->renew)
                return; /* told already */
        rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
        cb_log_error("kafka %s fatal error: %s", rd_kafka_name(rk), fatal);
        if (rk == pub->rk) {
                pub->renew = 1;
                return;
        }
        pub->fatal = 1;
        *pub->run = 0;
}

/* Only a fatal error changes anything (publish_client_on_fatal); others are logged and retried
 * by librdkafka. Runs on the consume loop's thread, inside its polls. (The consumer's own fatal
 * errors come as messages from rd_kafka_consumer_poll instead: its queue takes the main one.) */
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
        publish_t *pub = opaque;

        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                publish_client_on_fatal(pub, rk);
                return;
        }
        cb_log_warn("kafka %s: %s: %s", rd_kafka_name(rk),
                    rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

void publish_client_watch(publish_t *pub, rd_kafka_queue_t *q)
{
        /* non-blocking, as librdkafka requires (a blocking fd can hang it: its issue #2932) */
        if (q && pub->wake)
                rd_kafka_queue_io_event_enable(q, cb_wake_write_fd(pub->wake), "1", 1);
}

/* Watches a client's queue and drops the handle (the queue lives on with the client). */
static void watch(publish_t *pub, rd_kafka_queue_t *q)
{
        publish_client_watch(pub, q);
        if (q)
                rd_kafka_queue_destroy(q);
}

/* Writes the consumer's group.instance.id into buf ("" for a dynamic member). Static
 * membership lets a replica killed and restarted under the same id (a pod name, a compose
 * container's hostname: both kept across restarts) take its partitions back at once, instead of
 * the group waiting out the dead member's session. */
static void group_instance_id(const publish_t *pub, char *buf, size_t size)
{
        const char *id = pub->conf.group_instance_id;
        char host[128] = "host";

        if (strcmp(id, "auto")) {
                snprintf(buf, size, "%s", id);
                return;
        }
        gethostname(host, sizeof(host) - 1);
        host[sizeof(host) - 1] = '\0';
        snprintf(buf, size, "closebridge-publish-%s-%d", host, pub->conf.http_port);
}

int publish_client_consumer(publish_t *pub, char *errstr, size_t errstr_size)
{
        char instance_id[256];
        const char *defaults[] = {
            "client.id", "closebridge-publish", "group.id", pub->conf.group_id,
            /* a member killed with SIGKILL holds its partitions until its session times out:
               librdkafka's 45 s would pause them for that long */
            "session.timeout.ms", "10000", "heartbeat.interval.ms", "3000",
            /* enable.auto.commit and .offset.store are forced below, not defaults */
            "auto.offset.reset", "earliest", "reconnect.backoff.max.ms", "1000",
            /* an idle partition answers a fetch after at most this: it
               bounds the delay of the first event after a pause */
            "fetch.wait.max.ms", "100",
            /* librdkafka prefetches 64 MiB by default: a quarter keeps the same pace
               (bench/publish) at half the memory */
            "queued.max.messages.kbytes", "16384",
            /* last, so that an empty id ends the list here; KAFKA_GROUP_INSTANCE_ID wins, like
               every librdkafka property */
            "group.instance.id", instance_id, NULL};
        /* Offsets move only when an envelope is final; nothing may commit on its own. */
        const char *forced[] = {"enable.auto.commit", "false", "enable.auto.offset.store", "false",
                                NULL};
        cb_kafka_spec_t spec = {
            .type = RD_KAFKA_CONSUMER,
            .defaults = defaults,
            .forced = forced,
            .opaque = pub,
            .error_cb = error_cb,
            .rebalance_cb = publish_group_rebalance,
            .consumer_poll = 1,
        };

        group_instance_id(pub, instance_id, sizeof(instance_id));
        if (!*instance_id)
                defaults[sizeof(defaults) / sizeof(defaults[0]) - 3] = NULL;
        pub->rk = cb_kafka_new(&pub->kafka, &spec, errstr, errstr_size);
        if (!pub->rk)
                return -1;
        watch(pub, rd_kafka_queue_get_consumer(pub->rk)); /* the main queue forwards to it */
        return 0;
}

int publish_client_producer(publish_t *pub, char *errstr, size_t errstr_size)
{
        const char *defaults[] = {"client.id", "closebridge-publish-producer", "enable.idempotence",
                                  "true", "acks", "all", "linger.ms", "5",
                                  "reconnect.backoff.max.ms", "1000",
                                  /* the topics' max.message.bytes is the limit */
                                  "message.max.bytes", CB_PRODUCER_MESSAGE_MAX, NULL};
        cb_kafka_spec_t spec = {
            .type = RD_KAFKA_PRODUCER,
            .defaults = defaults,
            .opaque = pub,
            .error_cb = error_cb,
            .dr_msg_cb = publish_move_report,
        };

        pub->prk = cb_kafka_new(&pub->kafka, &spec, errstr, errstr_size);
        if (!pub->prk)
                return -1;
        watch(pub, rd_kafka_queue_get_main(pub->prk));
        return 0;
}
