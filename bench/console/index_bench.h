/* bench_console_index: what its three files share (bench/README.md, "console").
 *
 * workload.c makes the records the follower would read for n events, the same ones on every
 * call (a pure function of n and the event's number); index_bench.c applies them with
 * console_index_apply and times the queries of the API; ceiling.c inserts the same rows with
 * bare SQLite. */
#ifndef BENCH_CONSOLE_INDEX_H
#define BENCH_CONSOLE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define BENCH_INSTANCES  200
#define BENCH_PARTITIONS 6                        /* of t.closeio.events and t.closeio.deliveries */
#define BENCH_T0         1767225600000LL          /* 2026-01-01T00:00:00Z: the first event's time */
#define BENCH_SPAN_MS    (7LL * 24 * 3600 * 1000) /* events spread over 7 days */
/* Events read between an event's record and its second attempt (its retry delay). */
#define BENCH_RETRY_LAG 100

#define BENCH_TOPIC_EVENTS     "t.closeio.events"
#define BENCH_TOPIC_DELIVERIES "t.closeio.deliveries"
#define BENCH_TOPIC_RETRY      "t.closeio.events.retry.5m"
#define BENCH_TOPIC_DLQ        "t.closeio.events.dlq"

/* How an event ends: its second attempt delivered it (most), failed again and sent it to the
 * retry topic, killed it (then a DLQ record follows) or was skipped. */
typedef enum bench_fate {
        BENCH_DELIVERED,
        BENCH_RETRYING,
        BENCH_DEAD,
        BENCH_SKIPPED,
} bench_fate_t;

/* One event of the workload. Strings are static or in the struct. */
typedef struct bench_event {
        int inst; /* 0..BENCH_INSTANCES-1 */
        char instance_id[CB_INSTANCE_ID_MAX];
        char env_id[64]; /* "ev_" 22 base62 "_" 20 digits, as ingest makes them */
        const char *object_type, *model, *event_type, *action, *origin;
        char object_id[40];
        int64_t time_ms;
        bench_fate_t fate;
} bench_event_t;

/* The id of instance k (0..BENCH_INSTANCES-1) into out (CB_INSTANCE_ID_MAX bytes). */
void bench_instance_id(int k, char *out);

/* Event i of n (0 <= i < n) into ev. */
void bench_event(long n, long i, bench_event_t *ev);

/* The record which (0: the event record, 1: the first attempt, 2: the second, 3: the retry or
 * DLQ record) of ev into rec, at partition 0 and offset 0 (the stream numbers them). Returns
 * 1, or 0 when ev has no such record (3 of a delivered or skipped event). */
int bench_record(const bench_event_t *ev, int which, console_rec_t *rec);

/* The records of n events in the order the follower reads them: event i's record, then its
 * first attempt, then (BENCH_RETRY_LAG events later) its second attempt and the retry or DLQ
 * record; every topic's partitions numbered from offset 0. */
typedef struct bench_stream {
        long n, step;
        console_rec_t q[4];
        long qev[4];
        int qlen, qpos;
        int64_t offsets[4][BENCH_PARTITIONS]; /* next offset, by topic kind and partition */
} bench_stream_t;

void bench_stream_init(bench_stream_t *s, long n);

/* The next record in *rec (valid until the next call; its topic static) and its event's number
 * in *ev. Returns 1, or 0 when there is none left. */
int bench_stream_next(bench_stream_t *s, const console_rec_t **rec, long *ev);

/* Records per transaction (-b): default 2000, the follower's --index-batch default. */
extern long bench_batch;

/* How many records the stream of n events has. */
long bench_stream_total(long n);

/* The clock of an indexing pass: the time of the whole, of its first and last tenth, and of
 * its slowest batch (begin to commit). */
typedef struct bench_clock {
        long total, done;
        double t0, t10, t90, t_end, t_last, max_batch;
        long done10, done90; /* records done at t10, t90 (batch boundaries) */
} bench_clock_t;

double bench_now(void); /* monotonic seconds */
void bench_clock_start(bench_clock_t *c, long total);
/* Records that done records are applied and committed. */
void bench_clock_tick(bench_clock_t *c, long done);

/* The bytes on disk of the database at path: its main file, -wal and -shm into size[0..2].
 * Returns their sum (a missing file counts 0). */
int64_t bench_disk_bytes(const char *path, int64_t size[3]);

/* The ceiling: the rows of the stream of n events inserted by plain SQLite into a new database
 * at path, with the index's schema, pragmas and batches; its size on disk (main, -wal, -shm,
 * before it is closed) into disk[0..2]. Returns 0, or -1 with errstr set. */
int bench_ceiling(const char *path, long n, bench_clock_t *clock, int64_t disk[3], char *errstr,
                  size_t errstr_size);

#endif
