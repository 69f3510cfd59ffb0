/* console index: open, schema, the writer's transactions and records, prune. The SQL text is
 * in index_impl.h (CONSOLE_INDEX_SCHEMA, CONSOLE_INDEX_STMTS).
 *
 * The schema is described beside its SQL, in index_impl.h.
 *
 * The state rule: a record sets the state when (ts_ms, rank, tie) >= (state_ts, state_rank,
 * state_tie), tie = topic kind << 56 | offset: records of equal time and rank (an attempt
 * "dead" and its DLQ record) then give one result in either order (the DLQ record, the retry
 * record over a "retry" attempt), and re-applying a record writes what is there.
 * Apply reads the row first and runs only the updates whose columns change: an UPSERT that
 * sets every column would rewrite every index entry of the row on every record. */
#include "index_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_VERSION 3
#define PRUNE_CHUNK    1000
#define BUSY_MS        5000

/* The writer checkpoints every 10,000 pages (40 MB of WAL), not 1,000: a page that several
 * batches write (random envelope ids) is copied back once. ~1.4x the records/s. */
static const char writer_pragmas[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                     " PRAGMA wal_autocheckpoint=10000;"
                                     " PRAGMA cache_size=-32768;";
static const char reader_pragmas[] = "PRAGMA synchronous=NORMAL;";

int console_index_err(console_index_t *idx, const char *what, char *errstr, size_t errstr_size)
{
        snprintf(errstr, errstr_size, "index: %s: %s", what,
                 idx && idx->db ? sqlite3_errmsg(idx->db) : "no database");
        return -1;
}

/* Steps st (a statement that returns no row) and resets it. Returns 0 or -1 with errstr. */
static int run(console_index_t *idx, sqlite3_stmt *st, const char *what, char *errstr,
               size_t errstr_size)
{
        int rc = sqlite3_step(st);

        if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
                console_index_err(idx, what, errstr, errstr_size);
                sqlite3_reset(st);
                return -1;
        }
        sqlite3_reset(st);
        return 0;
}

/* The prepared statement i, or NULL with errstr set on a reader (the write statements). */
static sqlite3_stmt *stmt(console_index_t *idx, int i, const char *what, char *errstr,
                          size_t errstr_size)
{
        if (!idx->st[i])
                snprintf(errstr, errstr_size, "index: %s: the database is open read-only", what);
        return idx->st[i];
}

/* The statements' SQL and whether each writes. */
static const struct {
        const char *sql;
        int write;
} stmts[IX_NSTMT] = {
#define CONSOLE_INDEX_SQL(name, write, sql) [name] = {sql, write},
    CONSOLE_INDEX_STMTS(CONSOLE_INDEX_SQL)
#undef CONSOLE_INDEX_SQL
};

/* Creates the schema when the database has none (user_version 0), or has another version's
 * (dropped first: the rows are a view of the topics, read again). */
static int schema(console_index_t *idx, char *errstr, size_t errstr_size)
{
        sqlite3_stmt *st;
        int version = -1;

        if (sqlite3_exec(idx->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
                return console_index_err(idx, "schema", errstr, errstr_size);
        if (sqlite3_prepare_v2(idx->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
                version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        /* the index is a view of the topics: one of another version is made anew */
        if (version > 0 && version != SCHEMA_VERSION &&
            sqlite3_exec(idx->db,
                         "DROP TABLE IF EXISTS attempts; DROP TABLE IF EXISTS events;"
                         " DROP TABLE IF EXISTS positions; DROP TABLE IF EXISTS meta;",
                         NULL, NULL, NULL) == SQLITE_OK)
                version = 0;
        if (version == 0 &&
            sqlite3_exec(idx->db, CONSOLE_INDEX_SCHEMA, NULL, NULL, NULL) != SQLITE_OK)
                console_index_err(idx, "schema", errstr, errstr_size);
        else if (version != SCHEMA_VERSION && version != 0)
                console_index_err(idx, "schema", errstr, errstr_size);
        else if (sqlite3_exec(idx->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
                return 0;
        else
                console_index_err(idx, "schema", errstr, errstr_size);
        sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
}

static void drop_positions(console_index_t *idx)
{
        size_t i;

        for (i = 0; i < idx->npos; i++)
                free(idx->pos[i].topic);
        idx->npos = 0;
}

/* Writes the positions applied since the last flush. */
static int flush_positions(console_index_t *idx, char *errstr, size_t errstr_size)
{
        sqlite3_stmt *st = idx->st[IX_POS_SET];
        size_t i;

        for (i = 0; i < idx->npos; i++) {
                if (sqlite3_bind_text(st, 1, idx->pos[i].topic, -1, SQLITE_STATIC) ||
                    sqlite3_bind_int(st, 2, idx->pos[i].partition) ||
                    sqlite3_bind_int64(st, 3, idx->pos[i].next))
                        return console_index_err(idx, "position", errstr, errstr_size);
                if (run(idx, st, "position", errstr, errstr_size))
                        return -1;
        }
        drop_positions(idx);
        return 0;
}

console_index_t *console_index_open(const char *path, int readonly, char *errstr,
                                    size_t errstr_size)
{
        console_index_t *idx = calloc(1, sizeof(*idx));
        int flags = SQLITE_OPEN_NOMUTEX |
                    (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        char what[64];
        int i;

        if (!idx) {
                snprintf(errstr, errstr_size, "index: open: out of memory");
                return NULL;
        }
        if (sqlite3_open_v2(path, &idx->db, flags, NULL) != SQLITE_OK) {
                snprintf(errstr, errstr_size, "index: open %s: %s", path,
                         idx->db ? sqlite3_errmsg(idx->db) : "out of memory");
                goto fail;
        }
        sqlite3_busy_timeout(idx->db, BUSY_MS);
        if (sqlite3_exec(idx->db, readonly ? reader_pragmas : writer_pragmas, NULL, NULL, NULL) !=
            SQLITE_OK) {
                console_index_err(idx, "pragmas", errstr, errstr_size);
                goto fail;
        }
        if (!readonly && schema(idx, errstr, errstr_size))
                goto fail;
        for (i = 0; i < IX_NSTMT; i++) {
                if (readonly && stmts[i].write)
                        continue;
                if (sqlite3_prepare_v3(idx->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
                                       &idx->st[i], NULL) != SQLITE_OK) {
                        snprintf(what, sizeof(what), "prepare %d", i);
                        console_index_err(idx, what, errstr, errstr_size);
                        goto fail;
                }
        }
        return idx;
fail:
        console_index_close(idx);
        return NULL;
}

void console_index_close(console_index_t *idx)
{
        int i;

        if (!idx)
                return;
        for (i = 0; i < IX_NSTMT; i++)
                sqlite3_finalize(idx->st[i]);
        sqlite3_close_v2(idx->db);
        drop_positions(idx);
        free(idx->pos);
        free(idx);
}

int console_index_begin(console_index_t *idx, char *errstr, size_t errstr_size)
{
        sqlite3_stmt *st = stmt(idx, IX_BEGIN, "begin", errstr, errstr_size);

        return st ? run(idx, st, "begin", errstr, errstr_size) : -1;
}

/* A commit that fails rolls the batch back, so that rows and positions still agree and the
 * follower resumes from the positions last committed. */
int console_index_commit(console_index_t *idx, char *errstr, size_t errstr_size)
{
        if (!flush_positions(idx, errstr, errstr_size) &&
            !run(idx, idx->st[IX_COMMIT], "commit", errstr, errstr_size))
                return 0;
        drop_positions(idx);
        if (!sqlite3_get_autocommit(idx->db))
                run(idx, idx->st[IX_ROLLBACK], "rollback", NULL, 0);
        return -1;
}

/* The tie breaker's order of topic kinds (console_topic_kind_t): events, attempts, retry, DLQ. */
static const int kind_order[] = {0, 1, 2, 3};

/* Where topic's partition resumes, written at once outside a transaction, else at commit. */
static int set_position(console_index_t *idx, const char *topic, int32_t partition, int64_t next,
                        char *errstr, size_t errstr_size)
{
        console_index_pos_t *p = NULL, *grown;
        size_t i;

        if (!stmt(idx, IX_POS_SET, "position", errstr, errstr_size))
                return -1;
        for (i = 0; i < idx->npos && !p; i++)
                if (idx->pos[i].partition == partition && !strcmp(idx->pos[i].topic, topic))
                        p = &idx->pos[i];
        if (!p) {
                if (idx->npos == idx->pos_cap) {
                        grown = realloc(idx->pos, (idx->pos_cap * 2 + 8) * sizeof(*grown));
                        if (!grown)
                                goto oom;
                        idx->pos = grown;
                        idx->pos_cap = idx->pos_cap * 2 + 8;
                }
                p = &idx->pos[idx->npos];
                if (!(p->topic = strdup(topic)))
                        goto oom;
                p->partition = partition;
                p->next = next;
                idx->npos++;
        } else if (next > p->next) {
                p->next = next;
        }
        return sqlite3_get_autocommit(idx->db) ? flush_positions(idx, errstr, errstr_size) : 0;
oom:
        snprintf(errstr, errstr_size, "index: position: out of memory");
        return -1;
}

static void put_int(val_t *v, int64_t num)
{
        *v = (val_t){.num = num, .is_int = 1};
}

/* s, or NULL when it is empty */
static void put_text(val_t *v, const char *s)
{
        *v = (val_t){.text = *s ? s : NULL};
}

/* v, or NULL when it is not positive */
static void put_pos(val_t *v, int64_t num)
{
        *v = (val_t){.num = num, .is_int = num > 0};
}

/* Runs st with the values of v its parameters name. */
static int run_vals(console_index_t *idx, sqlite3_stmt *st, const val_t *v, char *errstr,
                    size_t errstr_size)
{
        int i, n = sqlite3_bind_parameter_count(st), rc = SQLITE_OK;

        for (i = 1; i <= n && i < P_N && rc == SQLITE_OK; i++)
                rc = v[i].is_int ? sqlite3_bind_int64(st, i, v[i].num)
                     : v[i].text ? sqlite3_bind_text(st, i, v[i].text, -1, SQLITE_STATIC)
                                 : sqlite3_bind_null(st, i);
        if (rc != SQLITE_OK)
                return console_index_err(idx, "event", errstr, errstr_size);
        return run(idx, st, "event", errstr, errstr_size);
}

/* An event row as apply compares records with it. */
typedef struct cur {
        int64_t row, time_ms, first_seen_ms, state_ts, tie, last_at, last_n, ev_offset;
        int has_event, rank, has_last, ev_partition;
        char ev_topic[256];
} cur_t;

/* Reads rec's row into c. Returns 1 when there is one, 0 when not, -1 with errstr. */
static int lookup(console_index_t *idx, const console_rec_t *rec, cur_t *c, char *errstr,
                  size_t errstr_size)
{
        sqlite3_stmt *st = idx->st[IX_LOOKUP];
        int rc;

        if (sqlite3_bind_text(st, 1, rec->env_id, -1, SQLITE_STATIC) ||
            sqlite3_bind_text(st, 2, rec->instance_id, -1, SQLITE_STATIC))
                return console_index_err(idx, "lookup", errstr, errstr_size);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                c->row = sqlite3_column_int64(st, 0);
                c->has_event = sqlite3_column_int(st, 1);
                c->time_ms = sqlite3_column_int64(st, 2);
                c->first_seen_ms = sqlite3_column_int64(st, 3);
                c->state_ts = sqlite3_column_int64(st, 4);
                c->rank = sqlite3_column_int(st, 5);
                c->tie = sqlite3_column_int64(st, 6);
                c->has_last = sqlite3_column_type(st, 7) != SQLITE_NULL;
                c->last_at = sqlite3_column_int64(st, 7);
                c->last_n = sqlite3_column_int64(st, 8);
                snprintf(c->ev_topic, sizeof(c->ev_topic), "%s",
                         c->has_event ? (const char *)sqlite3_column_text(st, 9) : "");
                c->ev_partition = sqlite3_column_int(st, 10);
                c->ev_offset = sqlite3_column_int64(st, 11);
        } else if (rc != SQLITE_DONE) {
                console_index_err(idx, "lookup", errstr, errstr_size);
        }
        sqlite3_reset(st);
        return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Adds the attempt row of v (P_ROW set). Returns 1 when added, 0 when it was there, or -1. */
static int add_attempt(console_index_t *idx, const val_t *v, char *errstr, size_t errstr_size)
{
        if (run_vals(idx, idx->st[IX_ATTEMPT], v, errstr, errstr_size))
                return -1;
        return sqlite3_changes(idx->db) > 0;
}

/* The values of rec (all but P_ROW and the attempt's, which apply sets). */
static void rec_vals(const console_rec_t *rec, val_t *v)
{
        int is_event = rec->kind == CONSOLE_TOPIC_EVENTS, i;
        const char *reason = rec->reason;
        const char *fields[] = {rec->object_type, rec->object_id, rec->event_type, rec->type,
                                rec->origin};

        if (!*reason && (rec->state == CONSOLE_DEAD || rec->state == CONSOLE_SKIPPED))
                reason = rec->error;
        memset(v, 0, P_N * sizeof(*v));
        put_text(&v[P_INST], rec->instance_id);
        put_text(&v[P_ENV], rec->env_id);
        put_int(&v[P_HAS_EVENT], is_event);
        if (is_event) {
                for (i = 0; i < 5; i++)
                        put_text(&v[P_OBJECT_TYPE + i], fields[i]);
                put_text(&v[P_EV_TOPIC], rec->topic);
                put_int(&v[P_EV_PART], rec->partition);
                put_int(&v[P_EV_OFFSET], rec->offset);
        }
        put_int(&v[P_TIME], is_event && rec->event_time_ms ? rec->event_time_ms : rec->ts_ms);
        put_int(&v[P_FIRST_SEEN], rec->ts_ms);
        put_int(&v[P_STATE], rec->state);
        put_int(&v[P_STATE_TS], rec->ts_ms);
        put_int(&v[P_RANK], rec->state);
        put_int(&v[P_TIE],
                (int64_t)kind_order[rec->kind & 3] << 56 | (rec->offset & ((1LL << 56) - 1)));
        put_pos(&v[P_DUE], rec->next_due_ms);
        put_text(&v[P_REASON], reason);
        put_int(&v[P_ADDED], 0);
}

/* Applies rec (its values v) to the existing row c: only the statements whose columns change,
 * so that an update rewrites no index entry it need not. */
static int update(console_index_t *idx, const console_rec_t *rec, const cur_t *c, val_t *v,
                  int added, char *errstr, size_t errstr_size)
{
        int64_t ts = rec->ts_ms, tie = v[P_TIE].num, time_ms = v[P_TIME].num;
        int rank = (int)rec->state, is_event = rec->kind == CONSOLE_TOPIC_EVENTS, wins, e, latest,
            cmp;

        /* the row keeps the first event record by position (the event written twice) */
        cmp = is_event && c->has_event ? strcmp(rec->topic, c->ev_topic) : 0;
        e = is_event &&
            (!c->has_event || cmp < 0 ||
             (!cmp && (rec->partition < c->ev_partition ||
                       (rec->partition == c->ev_partition && rec->offset <= c->ev_offset))));
        if (e && run_vals(idx, idx->st[IX_U_EVENT], v, errstr, errstr_size))
                return -1;
        if (!e && ((!c->has_event && time_ms < c->time_ms) || ts < c->first_seen_ms)) {
                put_int(&v[P_TIME], !c->has_event && time_ms < c->time_ms ? time_ms : c->time_ms);
                put_int(&v[P_FIRST_SEEN], ts < c->first_seen_ms ? ts : c->first_seen_ms);
                if (run_vals(idx, idx->st[IX_U_TIMES], v, errstr, errstr_size))
                        return -1;
        }
        wins = ts > c->state_ts ||
               (ts == c->state_ts && (rank > c->rank || (rank == c->rank && tie >= c->tie)));
        if (wins && run_vals(idx, idx->st[rank == c->rank ? IX_U_STATE_TS : IX_U_STATE], v, errstr,
                             errstr_size))
                return -1;
        if (!added)
                return 0;
        latest = !c->has_last || v[P_LAST_AT].num > c->last_at ||
                 (v[P_LAST_AT].num == c->last_at && v[P_LAST_N].num >= c->last_n);
        return run_vals(idx, idx->st[latest ? IX_U_ATT_LAST : IX_U_ATT], v, errstr, errstr_size);
}

int console_index_apply(console_index_t *idx, const console_rec_t *rec, char *errstr,
                        size_t errstr_size)
{
        int64_t at_ms = rec->at_ms ? rec->at_ms : rec->ts_ms;
        int is_attempt = rec->kind == CONSOLE_TOPIC_DELIVERIES, found, added = 0;
        val_t v[P_N];
        cur_t c;

        if (!stmt(idx, IX_INSERT, "apply", errstr, errstr_size))
                return -1;
        if (!rec->topic) {
                snprintf(errstr, errstr_size, "index: apply: a record without a topic");
                return -1;
        }
        rec_vals(rec, v);
        if (is_attempt) {
                put_pos(&v[P_LAST_STATUS], rec->status);
                put_text(&v[P_LAST_ERROR], rec->error);
                put_int(&v[P_LAST_AT], at_ms);
                put_int(&v[P_LAST_N], rec->attempt);
                put_text(&v[P_TOPIC], rec->topic);
                put_int(&v[P_PARTITION], rec->partition);
                put_int(&v[P_OFFSET], rec->offset);
                put_int(&v[P_DURATION], rec->duration_ms);
                put_text(&v[P_OUTCOME], rec->outcome);
                put_text(&v[P_URL], rec->url);
                put_text(&v[P_REPLAY], rec->replay);
        }
        if ((found = lookup(idx, rec, &c, errstr, errstr_size)) < 0)
                return -1;
        if (!found) {
                put_int(&v[P_ADDED], is_attempt);
                if (run_vals(idx, idx->st[IX_INSERT], v, errstr, errstr_size))
                        return -1;
                put_int(&v[P_ROW], sqlite3_last_insert_rowid(idx->db));
                if (is_attempt && add_attempt(idx, v, errstr, errstr_size) < 0)
                        return -1;
        } else {
                put_int(&v[P_ROW], c.row);
                /* an attempt seen before has been applied whole: only its position is left */
                if (is_attempt && (added = add_attempt(idx, v, errstr, errstr_size)) < 0)
                        return -1;
                if ((!is_attempt || added) && update(idx, rec, &c, v, added, errstr, errstr_size))
                        return -1;
        }
        return set_position(idx, rec->topic, rec->partition, rec->offset + 1, errstr, errstr_size);
}

int console_index_skip(console_index_t *idx, const char *topic, int32_t partition, int64_t next,
                       char *errstr, size_t errstr_size)
{
        return set_position(idx, topic, partition, next, errstr, errstr_size);
}

/* Deletes up to PRUNE_CHUNK old events and their attempts. Returns the number deleted, -1. */
static long prune_chunk(console_index_t *idx, int64_t before_ms, char *errstr, size_t errstr_size)
{
        int i;

        for (i = IX_PRUNE_AT; i <= IX_PRUNE_EV; i++)
                if (sqlite3_bind_int64(idx->st[i], 1, before_ms) ||
                    sqlite3_bind_int(idx->st[i], 2, PRUNE_CHUNK) ||
                    run(idx, idx->st[i], "prune", errstr, errstr_size))
                        return -1;
        return (long)sqlite3_changes(idx->db);
}

/* In chunks of their own transactions, so that the writer never holds the lock long; inside
 * the caller's transaction when one is open. */
long console_index_prune(console_index_t *idx, int64_t before_ms, char *errstr, size_t errstr_size)
{
        long total = 0, n;
        int own;

        if (!stmt(idx, IX_PRUNE_EV, "prune", errstr, errstr_size))
                return -1;
        do {
                own = sqlite3_get_autocommit(idx->db);
                if (own && console_index_begin(idx, errstr, errstr_size))
                        return -1;
                n = prune_chunk(idx, before_ms, errstr, errstr_size);
                if (n < 0) {
                        if (own && !sqlite3_get_autocommit(idx->db))
                                run(idx, idx->st[IX_ROLLBACK], "rollback", NULL, 0);
                        return -1;
                }
                if (own && console_index_commit(idx, errstr, errstr_size))
                        return -1;
                total += n;
        } while (n == PRUNE_CHUNK);
        return total;
}
