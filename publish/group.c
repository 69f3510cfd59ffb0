#include "group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_kafka.h"
#include "cb_log.h"
#include "cb_time.h"
#include "client.h"
#include "consume.h"
#include "move.h"

int publish_group_subscribe(publish_t *pub)
{
        char names[PUBLISH_LADDER_MAX + 5][PUBLISH_TOPIC_MAX];
        int compact[PUBLISH_LADDER_MAX + 5];
        rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(8);
        rd_kafka_resp_err_t err;
        size_t n = publish_topics(pub, names, compact), i;

        rd_kafka_topic_partition_list_add(topics, pub->topic_events, RD_KAFKA_PARTITION_UA);
        for (i = 4; i < n; i++)
                rd_kafka_topic_partition_list_add(topics, names[i], RD_KAFKA_PARTITION_UA);
        err = rd_kafka_subscribe(pub->rk, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (err)
                cb_log_error("cannot subscribe: %s", rd_kafka_err2str(err));
        return err ? -1 : 0;
}

void publish_group_pause(publish_t *pub, const char *topic, int32_t partition, int pause)
{
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);

        rd_kafka_topic_partition_list_add(parts, topic, partition);
        if (pause)
                rd_kafka_pause_partitions(pub->rk, parts);
        else
                rd_kafka_resume_partitions(pub->rk, parts);
        rd_kafka_topic_partition_list_destroy(parts);
}

/* A commit's result: a refused one is logged, and the next sends every position again. */
static void commit_result(publish_t *pub, rd_kafka_resp_err_t err)
{
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
                cb_log_warn("commit failed: %s", rd_kafka_err2str(err));
                pub->state->recommit = 1;
        }
}

/* The answer of an asynchronous commit (rd_kafka_commit_queue's callback, served by
 * publish_group_serve): the next may go. */
static void committed(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        publish_t *pub = opaque;

        (void)rk;
        (void)parts;
        pub->state->commit_out = 0;
        commit_result(pub, err);
}

void publish_group_commit(publish_t *pub, int async, int all)
{
        rd_kafka_topic_partition_list_t *list;
        rd_kafka_topic_partition_t *tp;
        rd_kafka_resp_err_t err;
        char meta[PUBLISH_OFFSETS_META_MAX];
        const char *topic;
        int32_t partition;
        int64_t offset;
        size_t i, n = publish_offsets_count(pub->offsets);
        publish_state_t *st = pub->state;
        int64_t now = cb_time_now_ms();

        if (async && st->commit_out && now - st->last_commit_ms < PUBLISH_COMMIT_STALE_MS)
                return; /* the next goes once this one is answered */
        all |= st->recommit;
        if (!st->stored && !all)
                return;
        st->stored = 0;
        st->recommit = 0;
        st->last_commit_ms = now;
        list = rd_kafka_topic_partition_list_new((int)n);
        for (i = 0; i < n; i++) {
                if (!publish_offsets_position(pub->offsets, i, !all, &topic, &partition, &offset,
                                              meta, sizeof(meta)))
                        continue;
                tp = rd_kafka_topic_partition_list_add(list, topic, partition);
                tp->offset = offset;
                /* the list frees it */
                if (*meta && (tp->metadata = strdup(meta)))
                        tp->metadata_size = strlen(meta);
        }
        if (async && !st->commit_q) {
                st->commit_q = rd_kafka_queue_new(pub->rk);
                publish_client_watch(pub, st->commit_q); /* an answer wakes the loop */
        }
        if (!list->cnt) {
                err = 0;
        } else if (async && st->commit_q) {
                err = rd_kafka_commit_queue(pub->rk, list, st->commit_q, committed, pub);
                st->commit_out = !err;
        } else {
                /* synchronous, or no queue for the answer: wait for it here */
                err = rd_kafka_commit(pub->rk, list, 0);
        }
        commit_result(pub, err);
        rd_kafka_topic_partition_list_destroy(list);
}

void publish_group_serve(publish_t *pub)
{
        if (pub->state->commit_q)
                rd_kafka_queue_poll_callback(pub->state->commit_q, 0);
}

void publish_group_commits_close(publish_t *pub)
{
        if (pub->state && pub->state->commit_q) {
                rd_kafka_queue_destroy(pub->state->commit_q);
                pub->state->commit_q = NULL;
        }
}

/* Starts the partitions of parts from what their last owner committed, offsets and metadata:
 * what it finished beyond its committed offset is not delivered again. Without an answer in
 * time they start from the committed offsets alone (delivered again: at least once). */
static void restore(publish_t *pub, const rd_kafka_topic_partition_list_t *parts)
{
        rd_kafka_topic_partition_list_t *got = rd_kafka_topic_partition_list_copy(parts);
        rd_kafka_resp_err_t err = rd_kafka_committed(pub->rk, got, 10000);
        const rd_kafka_topic_partition_t *tp;
        int i;

        if (err)
                cb_log_warn("committed offsets not read: %s; what the last owner finished beyond "
                            "them is delivered again",
                            rd_kafka_err2str(err));
        for (i = 0; !err && i < got->cnt; i++) {
                tp = &got->elems[i];
                if (!tp->err && tp->offset >= 0 &&
                    publish_offsets_restore(pub->offsets, tp->topic, tp->partition, tp->offset,
                                            tp->metadata, tp->metadata_size))
                        cb_log_error("out of memory restoring %s/%d", tp->topic, tp->partition);
        }
        rd_kafka_topic_partition_list_destroy(got);
}

static void resume(void *opaque, const char *topic, int32_t partition)
{
        publish_group_pause(opaque, topic, partition, 0);
}

/* Drops everything held or tracked for the partitions of parts (NULL: every partition). */
static void forget_assignment(publish_t *pub, const rd_kafka_topic_partition_list_t *parts)
{
        int p;

        /* what we paused is resumed before it is handed back */
        publish_parked_clear(pub->state->parked, resume, pub);
        if (!parts) {
                publish_offsets_destroy(pub->offsets);
                pub->offsets = publish_offsets_new();
        }
        for (p = 0; parts && p < parts->cnt; p++)
                publish_offsets_forget(pub->offsets, parts->elems[p].topic,
                                       parts->elems[p].partition);
        /* items still in flight, queued by key or being moved are dropped when they surface */
        pub->state->generation++;
}

void publish_group_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        publish_t *pub = opaque;

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                cb_log_info("assigned %d partitions", parts->cnt);
                restore(pub, parts);
                rd_kafka_assign(rk, parts);
                return;
        }
        /* Hand back cleanly: let attempts in flight finish, commit what is final. */
        publish_drain(pub, pub->conf.delivery_timeout_ms);
        if (!rd_kafka_assignment_lost(rk))
                publish_group_commit(pub, 0, 1);
        forget_assignment(pub, parts);
        cb_log_info("revoked %d partitions", parts->cnt);
        rd_kafka_assign(rk, NULL);
}

int publish_group_renew(publish_t *pub)
{
        publish_state_t *st = pub->state;
        int64_t now = cb_time_now_ms();
        char errstr[512] = "cannot subscribe";

        pub->renew = 0;
        if (now - st->renew_window_ms >= PUBLISH_RENEW_WINDOW_MS) {
                st->renew_window_ms = now;
                st->renewals = 0;
        }
        if (++st->renewals > PUBLISH_RENEW_MAX) {
                cb_log_error("consumer fenced %d times within %d minutes: another live replica "
                             "has the same group.instance.id; stopping",
                             st->renewals, PUBLISH_RENEW_WINDOW_MS / 60000);
                return -1;
        }
        cb_log_warn("consumer fenced (its session ended in an outage, or another replica has the "
                    "same group.instance.id): finishing what is in flight, then a new consumer "
                    "(%d of %d within %d minutes)",
                    st->renewals, PUBLISH_RENEW_MAX, PUBLISH_RENEW_WINDOW_MS / 60000);
        /* items own messages of the old consumer, which its destruction waits for: every one
           must be final or freed first (attempts and moves are bounded by their time-outs) */
        while (publish_engine_pending(pub->engine) || rd_kafka_outq_len(pub->prk))
                publish_drain(pub, pub->conf.delivery_timeout_ms + 1000);
        forget_assignment(pub, NULL);
        publish_move_again(pub); /* frees what waited to be moved again, now of an old generation */
        publish_group_commits_close(pub);
        cb_kafka_consumer_destroy(pub->rk, 5000);
        pub->rk = NULL;
        st->commit_out = 0; /* an unanswered one went with the old consumer */
        if (!pub->offsets || publish_client_consumer(pub, errstr, sizeof(errstr)) ||
            publish_group_subscribe(pub)) {
                cb_log_error("cannot make a new consumer: %s", pub->offsets ? errstr : "no memory");
                return -1;
        }
        cb_log_info("new consumer subscribed");
        return 0;
}
