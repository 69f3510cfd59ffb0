/* console index stats: see index_stats.h. Two statements, prepared per call (a page asks now
 * and then, not per event): one pass over the instance's events of the day by the
 * (instance_id, event_time_ms) index, and the latest attempt of the event attempted last. */
#include "index_stats.h"

#include <stdio.h>
#include <string.h>

#include "index_impl.h"

static const char by_hour_sql[] =
    "SELECT min((event_time_ms - ?2) / 3600000, 23), state, count(*) FROM events"
    " WHERE instance_id = ?1 AND event_time_ms >= ?2 GROUP BY 1, 2";

static const char last_sql[] =
    "SELECT e.env_id, a.at_ms, a.status, a.outcome, a.error FROM events e"
    " JOIN attempts a ON a.event_row = e.row"
    " WHERE e.row = (SELECT row FROM events WHERE instance_id = ?1 AND event_time_ms >= ?2"
    " AND last_attempt_at_ms IS NOT NULL ORDER BY last_attempt_at_ms DESC LIMIT 1)"
    " ORDER BY a.at_ms DESC, a.attempt DESC LIMIT 1";

static void copy_text(sqlite3_stmt *st, int col, char *out, size_t out_size)
{
        const unsigned char *s = sqlite3_column_text(st, col);

        snprintf(out, out_size, "%s", s ? (const char *)s : "");
}

/* Prepares sql with ?1 instance_id and ?2 since_ms. Returns 0, or -1 with errstr set. */
static int prepare(console_index_t *idx, const char *sql, const char *instance_id, int64_t since_ms,
                   sqlite3_stmt **st, char *errstr, size_t errstr_size)
{
        if (sqlite3_prepare_v2(idx->db, sql, -1, st, NULL) != SQLITE_OK)
                return console_index_err(idx, "stats", errstr, errstr_size);
        sqlite3_bind_text(*st, 1, instance_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(*st, 2, since_ms);
        return 0;
}

static int by_hour(console_index_t *idx, const char *instance_id, int64_t now_ms,
                   console_instance_stats_t *out, char *errstr, size_t errstr_size)
{
        int64_t since = now_ms - (int64_t)CONSOLE_STATS_HOURS * CONSOLE_STATS_HOUR_MS, n;
        sqlite3_stmt *st;
        int rc, hour, state;

        if (prepare(idx, by_hour_sql, instance_id, since, &st, errstr, errstr_size))
                return -1;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                hour = sqlite3_column_int(st, 0);
                state = sqlite3_column_int(st, 1);
                n = sqlite3_column_int64(st, 2);
                if (hour < 0 || hour >= CONSOLE_STATS_HOURS || state < 0 ||
                    state >= CONSOLE_STATS_NSTATES)
                        continue;
                out->day[state] += n;
                if (hour == CONSOLE_STATS_HOURS - 1)
                        out->hour[state] += n;
                if (state == CONSOLE_DELIVERED)
                        out->delivered[hour] += n;
                else if (state == CONSOLE_RETRYING || state == CONSOLE_DEAD)
                        out->failing[hour] += n;
        }
        if (rc != SQLITE_DONE)
                console_index_err(idx, "stats", errstr, errstr_size);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : -1;
}

static int last_attempt(console_index_t *idx, const char *instance_id, int64_t now_ms,
                        console_instance_stats_t *out, char *errstr, size_t errstr_size)
{
        int64_t since = now_ms - (int64_t)CONSOLE_STATS_HOURS * CONSOLE_STATS_HOUR_MS;
        sqlite3_stmt *st;
        int rc;

        if (prepare(idx, last_sql, instance_id, since, &st, errstr, errstr_size))
                return -1;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                copy_text(st, 0, out->last_env_id, sizeof(out->last_env_id));
                out->last_at_ms = sqlite3_column_int64(st, 1);
                out->last_status = sqlite3_column_int(st, 2);
                copy_text(st, 3, out->last_outcome, sizeof(out->last_outcome));
                copy_text(st, 4, out->last_error, sizeof(out->last_error));
        } else if (rc != SQLITE_DONE) {
                console_index_err(idx, "stats", errstr, errstr_size);
        }
        sqlite3_finalize(st);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int console_index_instance_stats(console_index_t *idx, const char *instance_id, int64_t now_ms,
                                 console_instance_stats_t *out, char *errstr, size_t errstr_size)
{
        memset(out, 0, sizeof(*out));
        out->last_at_ms = -1;
        if (by_hour(idx, instance_id, now_ms, out, errstr, errstr_size) ||
            last_attempt(idx, instance_id, now_ms, out, errstr, errstr_size))
                return -1;
        return 0;
}
