/* console index stats: see index_stats.h. Two of the reader's persistent statements
 * (index_impl.h: IX_STATS_BY_HOUR, one pass over the instance's events of the day by the
 * (instance_id, event_time_ms) index; IX_STATS_LAST, the latest attempt of the event attempted
 * last), bound and reset per instance: a summary of many instances prepares nothing. */
#include "index_stats.h"

#include <stdio.h>
#include <string.h>

#include "index_impl.h"

static void copy_text(sqlite3_stmt *st, int col, char *out, size_t out_size)
{
        const unsigned char *s = sqlite3_column_text(st, col);

        snprintf(out, out_size, "%s", s ? (const char *)s : "");
}

/* Statement which of idx with ?1 instance_id and ?2 since_ms bound. */
static sqlite3_stmt *bound(console_index_t *idx, int which, const char *instance_id,
                           int64_t since_ms)
{
        sqlite3_stmt *st = idx->st[which];

        sqlite3_bind_text(st, 1, instance_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, since_ms);
        return st;
}

/* Resets st; returns 0 when rc is the end of its rows, else -1 with errstr set. */
static int done(console_index_t *idx, sqlite3_stmt *st, int rc, char *errstr, size_t errstr_size)
{
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
                console_index_err(idx, "stats", errstr, errstr_size);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static int by_hour(console_index_t *idx, const char *instance_id, int64_t since,
                   console_instance_stats_t *out, char *errstr, size_t errstr_size)
{
        sqlite3_stmt *st = bound(idx, IX_STATS_BY_HOUR, instance_id, since);
        int rc, hour, state;
        int64_t n;

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
        return done(idx, st, rc, errstr, errstr_size);
}

static int last_attempt(console_index_t *idx, const char *instance_id, int64_t since,
                        console_instance_stats_t *out, char *errstr, size_t errstr_size)
{
        sqlite3_stmt *st = bound(idx, IX_STATS_LAST, instance_id, since);
        int rc = sqlite3_step(st);

        if (rc == SQLITE_ROW) {
                copy_text(st, 0, out->last_env_id, sizeof(out->last_env_id));
                out->last_at_ms = sqlite3_column_int64(st, 1);
                out->last_status = sqlite3_column_int(st, 2);
                copy_text(st, 3, out->last_outcome, sizeof(out->last_outcome));
                copy_text(st, 4, out->last_error, sizeof(out->last_error));
        }
        return done(idx, st, rc, errstr, errstr_size);
}

int console_index_instance_stats(console_index_t *idx, const char *instance_id, int64_t now_ms,
                                 console_instance_stats_t *out, char *errstr, size_t errstr_size)
{
        int64_t since = now_ms - (int64_t)CONSOLE_STATS_HOURS * CONSOLE_STATS_HOUR_MS;

        memset(out, 0, sizeof(*out));
        out->last_at_ms = -1;
        if (by_hour(idx, instance_id, since, out, errstr, errstr_size) ||
            last_attempt(idx, instance_id, since, out, errstr, errstr_size))
                return -1;
        return 0;
}
