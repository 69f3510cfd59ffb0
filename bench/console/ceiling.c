/* bench_console_index's ceiling: the rows the index ends up with, inserted by bare SQLite.
 *
 * The same schema (a copy of console/index_impl.h's CONSOLE_INDEX_SCHEMA: tables, indexes) and
 * writer pragmas (console/index.c), the same stream of records and batches of bench_batch
 * records per transaction, the same positions written at each commit; but no read before
 * write and no updates: an event's row is inserted once, at its closeio.events record, with
 * the state and last attempt it has at the end (the workload knows them), and each attempt
 * record is one plain INSERT. Retry and DLQ records write nothing but their position. The
 * index cannot index faster than this. Keep the copies in step with console/. */
#include "index_bench.h"

#include <stdio.h>
#include <string.h>
#include <sqlite3.h>

static const char pragmas[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                              " PRAGMA wal_autocheckpoint=10000;"
                              " PRAGMA cache_size=-32768;";

static const char schema[] =
    "CREATE TABLE events(row INTEGER PRIMARY KEY, instance_id TEXT NOT NULL,"
    " env_id TEXT NOT NULL, has_event INT NOT NULL DEFAULT 0, object_type TEXT,"
    " object_id TEXT, event_type TEXT, type TEXT, origin TEXT, event_time_ms INT NOT NULL,"
    " first_seen_ms INT NOT NULL, state INT NOT NULL, state_ts INT NOT NULL,"
    " state_rank INT NOT NULL, state_tie INT NOT NULL, next_due_ms INT, reason TEXT,"
    " attempts INT NOT NULL DEFAULT 0, last_status INT, last_error TEXT,"
    " last_attempt_at_ms INT, last_attempt_n INT, ev_topic TEXT, ev_partition INT,"
    " ev_offset INT, UNIQUE(env_id, instance_id));"
    "CREATE INDEX events_time ON events(event_time_ms);"
    "CREATE INDEX events_instance_time ON events(instance_id, event_time_ms);"
    "CREATE INDEX events_state_time ON events(state, event_time_ms);"
    "CREATE INDEX events_instance_state_time ON events(instance_id, state, event_time_ms);"
    "CREATE INDEX events_first_seen ON events(first_seen_ms);"
    "CREATE TABLE attempts(event_row INT NOT NULL, topic TEXT NOT NULL,"
    " partition INT NOT NULL, offset INT NOT NULL, attempt INT, at_ms INT NOT NULL,"
    " status INT, error TEXT, duration_ms INT, outcome TEXT, next_due_ms INT, url TEXT,"
    " PRIMARY KEY(event_row, topic, partition, offset)) WITHOUT ROWID;"
    "CREATE TABLE positions(topic TEXT NOT NULL, partition INT NOT NULL, next INT NOT NULL,"
    " PRIMARY KEY(topic, partition)) WITHOUT ROWID;"
    "PRAGMA user_version = 1;";

enum { ST_BEGIN, ST_COMMIT, ST_EVENT, ST_ATTEMPT, ST_POSITION, ST_N };

static const char *const sql[ST_N] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_EVENT] = "INSERT INTO events(row, instance_id, env_id, has_event, object_type,"
                 " object_id, event_type, type, origin, event_time_ms, first_seen_ms, state,"
                 " state_ts, state_rank, state_tie, next_due_ms, reason, attempts, last_status,"
                 " last_error, last_attempt_at_ms, last_attempt_n, ev_topic, ev_partition,"
                 " ev_offset) VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
                 " ?13, ?14, ?15, ?16, 2, ?17, ?18, ?19, 2, ?20, ?21, ?22)",
    [ST_ATTEMPT] = "INSERT INTO attempts(event_row, topic, partition, offset, attempt, at_ms,"
                   " status, error, duration_ms, outcome, next_due_ms, url)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [ST_POSITION] = "INSERT OR REPLACE INTO positions(topic, partition, next)"
                    " VALUES (?1, ?2, ?3)",
};

static const char *const topics[4] = {BENCH_TOPIC_EVENTS, BENCH_TOPIC_DELIVERIES, BENCH_TOPIC_RETRY,
                                      BENCH_TOPIC_DLQ};

typedef struct ceiling {
        sqlite3 *db;
        sqlite3_stmt *st[ST_N];
        int64_t next[4][BENCH_PARTITIONS]; /* positions of the open batch; 0: none */
} ceiling_t;

/* Binds s, or NULL when it is empty. */
static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
        return *s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

/* Binds v, or NULL when it is not positive. */
static int bind_pos(sqlite3_stmt *st, int i, int64_t v)
{
        return v > 0 ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
}

/* Steps st (binds done) and resets it. Returns 0 or -1. */
static int step(sqlite3_stmt *st)
{
        int rc = sqlite3_step(st);

        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : -1;
}

/* The row of event i, final: its event record rec, and state and last attempt as the last of
 * its records leaves them. */
static int insert_event(ceiling_t *c, const console_rec_t *rec, long n, long i)
{
        sqlite3_stmt *st = c->st[ST_EVENT];
        console_rec_t att, last;
        bench_event_t ev;
        const char *reason;
        const char *text[] = {rec->instance_id, rec->env_id, rec->object_type, rec->object_id,
                              rec->event_type,  rec->type,   rec->origin};
        int k;

        bench_event(n, i, &ev);
        bench_record(&ev, 2, &att);
        if (!bench_record(&ev, 3, &last))
                last = att;
        reason = *last.reason || (last.state != CONSOLE_DEAD && last.state != CONSOLE_SKIPPED)
                     ? last.reason
                     : last.error;
        if (sqlite3_bind_int64(st, 1, i + 1))
                return -1;
        for (k = 0; k < 7; k++)
                if (bind_text(st, 2 + k, text[k]))
                        return -1;
        if (sqlite3_bind_int64(st, 9, rec->event_time_ms) ||
            sqlite3_bind_int64(st, 10, rec->ts_ms) || sqlite3_bind_int(st, 11, last.state) ||
            sqlite3_bind_int64(st, 12, last.ts_ms) || sqlite3_bind_int(st, 13, last.state) ||
            sqlite3_bind_int64(st, 14, (int64_t)last.kind << 56 | rec->offset) ||
            bind_pos(st, 15, last.next_due_ms) || bind_text(st, 16, reason) ||
            bind_pos(st, 17, att.status) || bind_text(st, 18, att.error) ||
            sqlite3_bind_int64(st, 19, att.at_ms) || bind_text(st, 20, rec->topic) ||
            sqlite3_bind_int(st, 21, rec->partition) || sqlite3_bind_int64(st, 22, rec->offset))
                return -1;
        return step(st);
}

static int insert_attempt(ceiling_t *c, const console_rec_t *rec, long i)
{
        sqlite3_stmt *st = c->st[ST_ATTEMPT];

        if (sqlite3_bind_int64(st, 1, i + 1) || sqlite3_bind_text(st, 2, rec->topic, -1, NULL) ||
            sqlite3_bind_int(st, 3, rec->partition) || sqlite3_bind_int64(st, 4, rec->offset) ||
            sqlite3_bind_int(st, 5, rec->attempt) || sqlite3_bind_int64(st, 6, rec->at_ms) ||
            bind_pos(st, 7, rec->status) || bind_text(st, 8, rec->error) ||
            sqlite3_bind_int64(st, 9, rec->duration_ms) || bind_text(st, 10, rec->outcome) ||
            bind_pos(st, 11, rec->next_due_ms) || bind_text(st, 12, rec->url))
                return -1;
        return step(st);
}

/* Writes the positions of the batch and commits it. */
static int commit(ceiling_t *c)
{
        sqlite3_stmt *st = c->st[ST_POSITION];
        int k, p;

        for (k = 0; k < 4; k++)
                for (p = 0; p < BENCH_PARTITIONS; p++) {
                        if (!c->next[k][p])
                                continue;
                        if (sqlite3_bind_text(st, 1, topics[k], -1, SQLITE_STATIC) ||
                            sqlite3_bind_int(st, 2, p) ||
                            sqlite3_bind_int64(st, 3, c->next[k][p]) || step(st))
                                return -1;
                        c->next[k][p] = 0;
                }
        return step(c->st[ST_COMMIT]);
}

/* Runs the stream of n events into c. Returns 0 or -1. */
static int fill(ceiling_t *c, long n, bench_clock_t *clock)
{
        static bench_stream_t s;
        const console_rec_t *rec;
        long i, done = 0;

        bench_stream_init(&s, n);
        bench_clock_start(clock, bench_stream_total(n));
        while (bench_stream_next(&s, &rec, &i)) {
                if (done % bench_batch == 0 && step(c->st[ST_BEGIN]))
                        return -1;
                if (rec->kind == CONSOLE_TOPIC_EVENTS && insert_event(c, rec, n, i))
                        return -1;
                if (rec->kind == CONSOLE_TOPIC_DELIVERIES && insert_attempt(c, rec, i))
                        return -1;
                c->next[rec->kind][rec->partition] = rec->offset + 1;
                if (++done % bench_batch == 0) {
                        if (commit(c))
                                return -1;
                        bench_clock_tick(clock, done);
                }
        }
        if (done % bench_batch) {
                if (commit(c))
                        return -1;
                bench_clock_tick(clock, done);
        }
        return 0;
}

int bench_ceiling(const char *path, long n, bench_clock_t *clock, int64_t disk[3], char *errstr,
                  size_t errstr_size)
{
        ceiling_t c = {0};
        int i, ret = -1;

        if (sqlite3_open_v2(path, &c.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ||
            sqlite3_exec(c.db, pragmas, NULL, NULL, NULL) ||
            sqlite3_exec(c.db, schema, NULL, NULL, NULL))
                goto done;
        for (i = 0; i < ST_N; i++)
                if (sqlite3_prepare_v3(c.db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c.st[i], NULL))
                        goto done;
        if (fill(&c, n, clock))
                goto done;
        bench_disk_bytes(path, disk);
        ret = 0;
done:
        if (ret)
                snprintf(errstr, errstr_size, "ceiling: %s",
                         c.db ? sqlite3_errmsg(c.db) : "cannot open");
        for (i = 0; i < ST_N; i++)
                sqlite3_finalize(c.st[i]);
        sqlite3_close_v2(c.db);
        return ret;
}
