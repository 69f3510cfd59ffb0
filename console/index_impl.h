/* console index internals shared by index.c (open, schema, writes) and index_query.c (the
 * JSON views): the connection and its prepared statements. Not for other modules. */
#ifndef CONSOLE_INDEX_IMPL_H
#define CONSOLE_INDEX_IMPL_H

#include <stddef.h>
#include <sqlite3.h>

#include "index.h"

/* The columns of an event object, in the order index_query.c's event_json reads them. */
#define CONSOLE_INDEX_EVENT_COLS                                                                   \
        "row, instance_id, env_id, has_event, object_type, object_id, event_type, type, "          \
        "origin, event_time_ms, state, next_due_ms, reason, attempts, last_status, "               \
        "last_error, ev_topic, ev_partition, ev_offset"

/* The schema, created by the writer when missing. user_version 3; a database of another
 * version is dropped and made anew (its rows are read again from the topics).
 *   meta(key, value): "cluster", the Kafka cluster id the rows came from (index_meta.c).
 *   events(row INTEGER PRIMARY KEY, instance_id, env_id, UNIQUE(env_id, instance_id),
 *          has_event                 1 once the closeio.events record is applied;
 *          object_type, object_id, event_type, type, origin, ev_topic, ev_partition,
 *          ev_offset                 from it, NULL until then;
 *          event_time_ms             the envelope's time; until has_event, the earliest ts_ms;
 *          first_seen_ms             the earliest ts_ms of its records (prune);
 *          state, state_ts, state_rank, state_tie, next_due_ms, reason
 *                                    the state and the record that set it;
 *          attempts, last_status, last_error, last_attempt_at_ms, last_attempt_n
 *                                    its attempt rows, and the latest by (at_ms, attempt))
 *     indexes (event_time_ms), (instance_id, event_time_ms), (state, event_time_ms),
 *     (instance_id, state, event_time_ms) for the lists, newest first (the rowid ends every
 *     index, so they order by row too, scanned backwards), (first_seen_ms) for prune. The unique
 *     key leads with env_id so that it also serves get() by envelope id alone.
 *   attempts(event_row, topic, partition, offset, attempt, at_ms, status, error, duration_ms,
 *            outcome, next_due_ms, url, replay, PRIMARY KEY(event_row, topic, partition, offset))
 *            WITHOUT ROWID: a Kafka position always decodes to the same event, so the key
 *     still makes an attempt unique, and event rows, numbered as events are first seen, keep
 *     the inserts of a batch on a few pages (envelope ids are random) and serve get and prune.
 *     index (replay) of the attempts a replay led to, for a replay task's delivered count.
 *   positions(topic, partition, next, PRIMARY KEY(topic, partition)) WITHOUT ROWID */
#define CONSOLE_INDEX_SCHEMA                                                                       \
        "CREATE TABLE events(row INTEGER PRIMARY KEY, instance_id TEXT NOT NULL,"                  \
        " env_id TEXT NOT NULL, has_event INT NOT NULL DEFAULT 0, object_type TEXT,"               \
        " object_id TEXT, event_type TEXT, type TEXT, origin TEXT, event_time_ms INT NOT NULL,"    \
        " first_seen_ms INT NOT NULL, state INT NOT NULL, state_ts INT NOT NULL,"                  \
        " state_rank INT NOT NULL, state_tie INT NOT NULL, next_due_ms INT, reason TEXT,"          \
        " attempts INT NOT NULL DEFAULT 0, last_status INT, last_error TEXT,"                      \
        " last_attempt_at_ms INT, last_attempt_n INT, ev_topic TEXT, ev_partition INT,"            \
        " ev_offset INT, UNIQUE(env_id, instance_id));"                                            \
        "CREATE INDEX events_time ON events(event_time_ms);"                                       \
        "CREATE INDEX events_instance_time ON events(instance_id, event_time_ms);"                 \
        "CREATE INDEX events_state_time ON events(state, event_time_ms);"                          \
        "CREATE INDEX events_instance_state_time ON events(instance_id, state, event_time_ms);"    \
        "CREATE INDEX events_first_seen ON events(first_seen_ms);"                                 \
        "CREATE TABLE attempts(event_row INT NOT NULL, topic TEXT NOT NULL,"                       \
        " partition INT NOT NULL, offset INT NOT NULL, attempt INT, at_ms INT NOT NULL,"           \
        " status INT, error TEXT, duration_ms INT, outcome TEXT, next_due_ms INT, url TEXT, "      \
        "replay TEXT,"                                                                             \
        " PRIMARY KEY(event_row, topic, partition, offset)) WITHOUT ROWID;"                        \
        "CREATE INDEX attempts_replay ON attempts(replay) WHERE replay IS NOT NULL;"               \
        "CREATE TABLE positions(topic TEXT NOT NULL, partition INT NOT NULL, next INT NOT NULL,"   \
        " PRIMARY KEY(topic, partition)) WITHOUT ROWID;"                                           \
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"              \
        "PRAGMA user_version = 3;"

/* The statements prepared once at open (SQLITE_PREPARE_PERSISTENT) and reset after each use,
 * as X(name, write, sql): a reader prepares only those with write 0. Apply's statements number
 * their parameters alike (index.c's P_ values) so that one set of values binds any of them. */
#define CONSOLE_INDEX_STMTS(X)                                                                     \
        X(IX_BEGIN, 1, "BEGIN IMMEDIATE")                                                          \
        X(IX_BEGIN_READ, 0, "BEGIN")                                                               \
        X(IX_COMMIT, 0, "COMMIT")                                                                  \
        X(IX_ROLLBACK, 0, "ROLLBACK")                                                              \
        X(IX_LOOKUP, 1,                                                                            \
          "SELECT row, has_event, event_time_ms, first_seen_ms, state_ts,"                         \
          " state_rank, state_tie, last_attempt_at_ms, last_attempt_n, ev_topic,"                  \
          " ev_partition, ev_offset FROM events"                                                   \
          " WHERE env_id = ?1 AND instance_id = ?2")                                               \
        X(IX_INSERT, 1,                                                                            \
          "INSERT INTO events(instance_id, env_id, object_type, object_id,"                        \
          " event_type, type, origin, ev_topic, ev_partition, ev_offset,"                          \
          " event_time_ms, first_seen_ms, state, state_ts, state_rank, state_tie,"                 \
          " next_due_ms, reason, attempts, last_status, last_error,"                               \
          " last_attempt_at_ms, last_attempt_n, has_event) VALUES (?2, ?3, ?4, ?5,"                \
          " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,"                \
          " ?21, ?22, ?23, ?24, ?25)")                                                             \
        X(IX_U_EVENT, 1,                                                                           \
          "UPDATE events SET has_event = 1, object_type = ?4, object_id = ?5,"                     \
          " event_type = ?6, type = ?7, origin = ?8, ev_topic = ?9,"                               \
          " ev_partition = ?10, ev_offset = ?11, event_time_ms = ?12,"                             \
          " first_seen_ms = min(first_seen_ms, ?13) WHERE row = ?1")                               \
        X(IX_U_TIMES, 1,                                                                           \
          "UPDATE events SET event_time_ms = ?12, first_seen_ms = ?13"                             \
          " WHERE row = ?1")                                                                       \
        X(IX_U_STATE, 1,                                                                           \
          "UPDATE events SET state = ?14, state_ts = ?15, state_rank = ?16,"                       \
          " state_tie = ?17, next_due_ms = ?18, reason = ?19 WHERE row = ?1")                      \
        X(IX_U_STATE_TS, 1,                                                                        \
          "UPDATE events SET state_ts = ?15, state_tie = ?17,"                                     \
          " next_due_ms = ?18, reason = ?19 WHERE row = ?1")                                       \
        X(IX_U_ATT, 1, "UPDATE events SET attempts = attempts + 1 WHERE row = ?1")                 \
        X(IX_U_ATT_LAST, 1,                                                                        \
          "UPDATE events SET attempts = attempts + 1, last_status = ?21,"                          \
          " last_error = ?22, last_attempt_at_ms = ?23, last_attempt_n = ?24"                      \
          " WHERE row = ?1")                                                                       \
        X(IX_ATTEMPT, 1,                                                                           \
          "INSERT OR IGNORE INTO attempts(event_row, topic, partition, offset,"                    \
          " attempt, at_ms, status, error, duration_ms, outcome, next_due_ms, url, replay)"        \
          " VALUES (?1, ?26, ?27, ?28, ?24, ?23, ?21, ?22, ?29, ?30, ?18, ?31, ?32)")              \
        X(IX_POS_SET, 1,                                                                           \
          "INSERT INTO positions(topic, partition, next) VALUES (?1, ?2, ?3)"                      \
          " ON CONFLICT(topic, partition) DO UPDATE SET"                                           \
          " next = max(next, excluded.next)")                                                      \
        X(IX_POS_GET, 0, "SELECT next FROM positions WHERE topic = ?1 AND partition = ?2")         \
        X(IX_COUNT_EV, 0, "SELECT count(*) FROM events")                                           \
        X(IX_COUNT_AT, 0, "SELECT count(*) FROM attempts")                                         \
        X(IX_PRUNE_AT, 1,                                                                          \
          "DELETE FROM attempts WHERE event_row IN (SELECT row FROM events"                        \
          " WHERE first_seen_ms < ?1 ORDER BY first_seen_ms, row LIMIT ?2)")                       \
        X(IX_PRUNE_EV, 1,                                                                          \
          "DELETE FROM events WHERE row IN (SELECT row FROM events"                                \
          " WHERE first_seen_ms < ?1 ORDER BY first_seen_ms, row LIMIT ?2)")                       \
        X(IX_GET_ID, 0,                                                                            \
          "SELECT " CONSOLE_INDEX_EVENT_COLS " FROM events"                                        \
          " WHERE env_id = ?1 AND instance_id = ?2")                                               \
        X(IX_GET_ENV, 0,                                                                           \
          "SELECT " CONSOLE_INDEX_EVENT_COLS " FROM events WHERE env_id = ?1"                      \
          " ORDER BY length(instance_id), instance_id LIMIT 1")                                    \
        X(IX_REPLAY_DELIVERED, 0,                                                                  \
          "SELECT count(DISTINCT event_row) FROM attempts"                                         \
          " WHERE replay = ?1 AND outcome = 'delivered'")                                          \
        X(IX_STATS_BY_HOUR, 0,                                                                     \
          "SELECT min((event_time_ms - ?2) / 3600000, 23), state, count(*) FROM events"            \
          " WHERE instance_id = ?1 AND event_time_ms >= ?2 GROUP BY 1, 2")                         \
        X(IX_STATS_LAST, 0,                                                                        \
          "SELECT e.env_id, a.at_ms, a.status, a.outcome, a.error FROM events e"                   \
          " JOIN attempts a ON a.event_row = e.row"                                                \
          " WHERE e.row = (SELECT row FROM events WHERE instance_id = ?1"                          \
          " AND event_time_ms >= ?2 AND last_attempt_at_ms IS NOT NULL"                            \
          " ORDER BY last_attempt_at_ms DESC LIMIT 1)"                                             \
          " ORDER BY a.at_ms DESC, a.attempt DESC LIMIT 1")                                        \
        X(IX_GET_ATTEMPTS, 0,                                                                      \
          "SELECT attempt, at_ms, status, error, duration_ms, outcome,"                            \
          " next_due_ms, url, replay FROM attempts WHERE event_row = ?1"                           \
          " ORDER BY at_ms, offset, topic, partition")

/* The parameter numbers of apply's statements: one value each, shared by all of them. */
enum console_index_param {
        P_ROW = 1, /* the event row */
        P_INST,
        P_ENV,
        P_OBJECT_TYPE, /* then object_id, event_type, type, origin */
        P_EV_TOPIC = 9,
        P_EV_PART,
        P_EV_OFFSET,
        P_TIME,
        P_FIRST_SEEN,
        P_STATE,
        P_STATE_TS,
        P_RANK,
        P_TIE,
        P_DUE, /* also the attempt's next due time */
        P_REASON,
        P_ADDED,       /* 1: the record added an attempt row */
        P_LAST_STATUS, /* also the attempt's status, error, at_ms and number */
        P_LAST_ERROR,
        P_LAST_AT,
        P_LAST_N,
        P_HAS_EVENT,
        P_TOPIC, /* the attempt record's own */
        P_PARTITION,
        P_OFFSET,
        P_DURATION,
        P_OUTCOME,
        P_URL,
        P_REPLAY, /* the attempt's replay id */
        P_N
};

/* One value of apply's, bound to the parameter numbered by its index. */
typedef struct val {
        const char *text; /* borrowed; NULL and !is_int: SQL NULL */
        int64_t num;
        int is_int;
} val_t;

enum console_index_stmt {
#define CONSOLE_INDEX_ENUM(name, write, sql) name,
        CONSOLE_INDEX_STMTS(CONSOLE_INDEX_ENUM)
#undef CONSOLE_INDEX_ENUM
            IX_NSTMT
};

/* A position applied in the open transaction, not yet written: positions are written once per
 * partition at commit rather than once per record. */
typedef struct console_index_pos {
        char *topic; /* owned */
        int32_t partition;
        int64_t next;
} console_index_pos_t;

struct console_index {
        sqlite3 *db;
        sqlite3_stmt *st[IX_NSTMT];
        console_index_pos_t *pos;
        size_t npos, pos_cap;
};

/* A query of the events table under construction (index_sql.c): its SQL text and the values
 * bound to its parameters, in order. */
#define CONSOLE_QUERY_ARGS 24
#define CONSOLE_QUERY_SQL  1024
typedef struct console_query {
        char sql[CONSOLE_QUERY_SQL];
        size_t len;
        int nargs;
        struct {
                const char *text; /* borrowed; NULL: an integer */
                int64_t num;
        } args[CONSOLE_QUERY_ARGS];
} console_query_t;

/* Starts q with the SQL select (a fixed text). */
void console_query_start(console_query_t *q, const char *select);
/* Adds a fixed SQL fragment, a bound text (borrowed until the query is prepared) or number. */
void console_query_sql(console_query_t *q, const char *s);
void console_query_text(console_query_t *q, const char *s);
void console_query_num(console_query_t *q, int64_t v);
/* Adds " AND <condition>" for each condition of f (instance, states, since, until, the exact
 * matches; not its cursor). */
void console_query_where(console_query_t *q, const console_filter_t *f);
/* Prepares q on idx with its values bound into *st (the caller finalizes it). Returns 0, or -1
 * with errstr set ("index: <what>: ..."). */
int console_query_prepare(console_index_t *idx, const console_query_t *q, sqlite3_stmt **st,
                          const char *what, char *errstr, size_t errstr_size);

/* Writes "index: <what>: <SQLite's last message on idx>" into errstr. Returns -1. */
int console_index_err(console_index_t *idx, const char *what, char *errstr, size_t errstr_size);

#endif
