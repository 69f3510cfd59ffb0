/* publish loop: the consume loop itself (consume.h). It sleeps in one poll() on pub->wake
 * until one of its sources has something, or the next thing is due, and then serves every
 * source, never one per wake-up (cb_wake.h). The sources that write into pub->wake:
 * - the consumer's queue (messages, rebalances, errors: librdkafka's IO event, client.c);
 * - the producer's main queue (the reports of moves and attempt records, client.c);
 * - the queue of commit answers (group.c);
 * - the delivery engine, when results wait (deliver.h);
 * - SIGTERM and SIGINT (main.c).
 * What is due: the next held retry item (parked.h), the next commit (every commit-interval-ms
 * while something became final), moves the producer refused, tried again every
 * PUBLISH_MOVE_AGAIN_MS; and at least every PUBLISH_IDLE_MS a pass anyway, since librdkafka
 * wants its consumer polled now and then even when nothing comes (max.poll.interval.ms). */
#include <stdint.h>

#include "cb_log.h"
#include "cb_time.h"
#include "cb_wake.h"
#include "client.h"
#include "consume.h"
#include "group.h"
#include "loop.h"
#include "move.h"
#include "state.h"

/* messages taken in one pass at most, so that results and commits are served between them
   when the consumer's queue holds many that finish at once (skipped or already final) */
#define PUBLISH_PASS_MAX 512

static int64_t min64(int64_t a, int64_t b)
{
        return a < b ? a : b;
}

static void collect_results(publish_t *pub)
{
        publish_job_t *job, *next;

        for (job = publish_engine_results(pub->engine); job; job = next) {
                next = job->next;
                publish_take_result(pub, job);
                publish_job_free(job);
        }
        cb_metrics_set(pub->m_in_flight, "", (double)publish_engine_pending(pub->engine));
}

/* The attempts' results, commit answers and the producer's reports; then what waits to be
 * moved again. */
static void serve_answers(publish_t *pub)
{
        collect_results(pub);
        publish_group_serve(pub);
        rd_kafka_poll(pub->prk, 0);
        publish_move_again(pub);
}

void publish_drain(publish_t *pub, int64_t timeout_ms)
{
        int64_t deadline = cb_time_now_ms() + timeout_ms, left;
        int woke = 0;

        for (;;) {
                serve_answers(pub);
                left = deadline - cb_time_now_ms();
                if ((!publish_engine_pending(pub->engine) && !rd_kafka_outq_len(pub->prk)) ||
                    left <= 0)
                        break;
                /* what is in flight wakes it; only refused moves are tried on a timer */
                woke |= cb_wake_wait(pub->wake, pub->state->reproduce
                                                    ? min64(left, PUBLISH_MOVE_AGAIN_MS)
                                                    : left) == 1;
        }
        /* the wake-ups taken here may have been the consumer's (this runs inside a rebalance
           callback too): pass them on to the loop's next wait */
        if (woke)
                cb_wake_signal(pub->wake);
}

/* Takes one message, or the error the consumer's queue gave instead. */
static void take(publish_t *pub, rd_kafka_message_t *rkm)
{
        if (!rkm->err) {
                publish_take_message(pub, rkm);
                return;
        }
        if (rkm->err == RD_KAFKA_RESP_ERR__FATAL)
                publish_client_on_fatal(pub, pub->rk);
        else if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                cb_log_warn("consumer: %s", rd_kafka_message_errstr(rkm));
        rd_kafka_message_destroy(rkm);
}

int64_t publish_loop_sleep_ms(const publish_t *pub, int64_t now, int64_t held_ms)
{
        const publish_state_t *st = pub->state;
        int64_t wait = min64(held_ms, PUBLISH_IDLE_MS), due;

        if (st->stored || st->recommit) {
                due = st->last_commit_ms +
                      (st->commit_out ? PUBLISH_COMMIT_STALE_MS : pub->conf.commit_interval_ms);
                wait = min64(wait, due > now ? due - now : 0);
        }
        if (st->reproduce)
                wait = min64(wait, PUBLISH_MOVE_AGAIN_MS);
        return wait < 0 ? 0 : wait;
}

/* One pass over every source. Returns the milliseconds the loop may sleep. */
static int64_t serve(publish_t *pub)
{
        rd_kafka_message_t *rkm;
        int64_t wait, now;
        int taken = 0;

        serve_answers(pub);
        wait = publish_release_due(pub, PUBLISH_IDLE_MS);
        /* when attempts are at their limit, the messages wait in the consumer's queue: the
           results that make room wake the loop */
        while (*pub->run && !pub->renew &&
               publish_engine_pending(pub->engine) < pub->conf.max_in_flight) {
                if (taken == PUBLISH_PASS_MAX) {
                        wait = 0;
                        break;
                }
                if (!(rkm = rd_kafka_consumer_poll(pub->rk, 0)))
                        break;
                taken++;
                take(pub, rkm);
        }
        now = cb_time_now_ms();
        if (now - pub->state->last_commit_ms >= pub->conf.commit_interval_ms)
                publish_group_commit(pub, 1, 0);
        return publish_loop_sleep_ms(pub, now, wait);
}

int publish_consume_loop(publish_t *pub)
{
        int64_t wait;

        if (publish_group_subscribe(pub))
                return -1;
        while (*pub->run) {
                if (pub->renew && publish_group_renew(pub)) {
                        pub->fatal = 1;
                        break;
                }
                wait = serve(pub);
                if (wait > 0 && *pub->run && !pub->renew && cb_wake_wait(pub->wake, wait) < 0) {
                        cb_log_error("cannot wait for the loop's wake-up: stopping");
                        pub->fatal = 1;
                        break;
                }
        }
        cb_log_info("stopping: %zu attempts in flight", publish_engine_pending(pub->engine));
        if (pub->fatal)
                return -1; /* nothing more can be produced or committed safely */
        publish_drain(pub, pub->conf.delivery_timeout_ms + 1000);
        rd_kafka_flush(pub->prk, 10000);
        rd_kafka_poll(pub->prk, 0);
        publish_group_commit(pub, 0, 1);
        return 0;
}
