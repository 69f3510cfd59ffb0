/* cb wake: one file descriptor that any number of sources make readable, so that one thread can
 * sleep in a single poll() until any of them has something for it, or a time-out passes.
 *
 * It is a non-blocking pipe. Signals before the owner next waits fold into one wake-up: the
 * owner always serves every source after a wake-up, never one per signal. librdkafka writes into
 * it as an IO event (rd_kafka_queue_io_event_enable with cb_wake_write_fd and the payload "1"),
 * on its own threads, when a queue goes from empty to non-empty; that is the same contract.
 *
 * Threads: cb_wake_signal from any thread, and from a signal handler (it only calls write(2),
 * which is async-signal-safe); cb_wake_wait on the owner's thread only. The owner opens and
 * closes it, and closes it only once nothing signals it any more (librdkafka clients that write
 * into it destroyed, signal handlers reset). */
#ifndef CB_WAKE_H
#define CB_WAKE_H

#include <stdint.h>

typedef struct cb_wake {
        int rfd, wfd; /* -1 when closed */
} cb_wake_t;

/* Opens w (both ends non-blocking and close-on-exec). Returns 0, or -1 with errno set (w then
 * closed). */
int cb_wake_open(cb_wake_t *w);

/* Closes both ends; a closed w (cb_wake_t w = CB_WAKE_CLOSED) is a no-op. */
void cb_wake_close(cb_wake_t *w);
#define CB_WAKE_CLOSED ((cb_wake_t){-1, -1})

/* Makes w readable. Never blocks: a pipe already full is readable already. */
void cb_wake_signal(const cb_wake_t *w);

/* The end librdkafka's IO events (or another process's code that wants to wake the owner)
 * write to. */
int cb_wake_write_fd(const cb_wake_t *w);

/* Sleeps until w is readable or timeout_ms passed (0: just looks; negative: no time-out), and
 * empties it. Returns 1 when it was signalled, 0 when the time ran out, -1 on a poll error
 * other than EINTR (an interrupting signal counts as a wake-up: 1). */
int cb_wake_wait(const cb_wake_t *w, int64_t timeout_ms);

#endif
