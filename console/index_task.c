/* console index: the queries of the replay tasks (task_run.c): how many events a filter
 * matches, the next events after a task's cursor, and how many of a replay's events were
 * delivered. */
#include "index_impl.h"

#include <stdio.h>
#include <string.h>

int console_index_count_matching(console_index_t *idx, const console_filter_t *f, int64_t *n,
                                 char *errstr, size_t errstr_size)
{
        console_query_t q;
        sqlite3_stmt *st;
        int rc;

        console_query_start(&q, "SELECT count(*) FROM events WHERE 1");
        console_query_where(&q, f);
        if (console_query_prepare(idx, &q, &st, "count", errstr, errstr_size))
                return -1;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *n = sqlite3_column_int64(st, 0);
        else
                console_index_err(idx, "count", errstr, errstr_size);
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : -1;
}

static void copy_text(sqlite3_stmt *st, int col, char *out, size_t out_size)
{
        const unsigned char *s = sqlite3_column_text(st, col);

        snprintf(out, out_size, "%s", s ? (const char *)s : "");
}

int console_index_next_matching(console_index_t *idx, const console_filter_t *f,
                                const console_index_key_t *after, console_index_hit_t *out, int max,
                                char *errstr, size_t errstr_size)
{
        console_query_t q;
        sqlite3_stmt *st;
        int rc, n = 0;

        console_query_start(&q, "SELECT event_time_ms, instance_id, env_id, ev_topic,"
                                " ev_partition, ev_offset FROM events WHERE 1");
        console_query_where(&q, f);
        if (after) {
                /* the plain bound first, so that the planner can take it as an index range */
                console_query_sql(&q, " AND event_time_ms >= ?"
                                      " AND (event_time_ms, instance_id, env_id) > (?, ?, ?)");
                console_query_num(&q, after->time_ms);
                console_query_num(&q, after->time_ms);
                console_query_text(&q, after->instance_id);
                console_query_text(&q, after->env_id);
        }
        console_query_sql(&q, " ORDER BY event_time_ms, instance_id, env_id LIMIT ?");
        console_query_num(&q, max);
        if (console_query_prepare(idx, &q, &st, "next", errstr, errstr_size))
                return -1;
        while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                console_index_hit_t *h = &out[n++];

                h->key.time_ms = sqlite3_column_int64(st, 0);
                copy_text(st, 1, h->key.instance_id, sizeof(h->key.instance_id));
                copy_text(st, 2, h->key.env_id, sizeof(h->key.env_id));
                h->has_event = sqlite3_column_type(st, 3) != SQLITE_NULL;
                copy_text(st, 3, h->topic, sizeof(h->topic));
                h->partition = sqlite3_column_int(st, 4);
                h->offset = sqlite3_column_int64(st, 5);
        }
        if (n < max && rc != SQLITE_DONE) {
                console_index_err(idx, "next", errstr, errstr_size);
                n = -1;
        }
        sqlite3_finalize(st);
        return n;
}

int console_index_replay_delivered(console_index_t *idx, const char *replay, int64_t *n,
                                   char *errstr, size_t errstr_size)
{
        sqlite3_stmt *st = idx->st[IX_REPLAY_DELIVERED];
        int rc = -1;

        if (sqlite3_bind_text(st, 1, replay, -1, SQLITE_STATIC) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW) {
                *n = sqlite3_column_int64(st, 0);
                rc = 0;
        } else {
                console_index_err(idx, "delivered", errstr, errstr_size);
        }
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return rc;
}
