/* console index: the SQL of a filter (filter.h), built for list (index_query.c) and the replay
 * tasks' queries (index_task.c): only the conditions the filter has, every value a bound
 * parameter. */
#include "index_impl.h"

#include <stdio.h>
#include <string.h>

void console_query_start(console_query_t *q, const char *select)
{
        q->len = 0;
        q->nargs = 0;
        q->sql[0] = '\0';
        console_query_sql(q, select);
}

void console_query_sql(console_query_t *q, const char *s)
{
        size_t n = strlen(s);

        /* the fixed fragments of the callers never come near CONSOLE_QUERY_SQL */
        if (q->len + n < sizeof(q->sql)) {
                memcpy(q->sql + q->len, s, n + 1);
                q->len += n;
        }
}

void console_query_text(console_query_t *q, const char *s)
{
        if (q->nargs == CONSOLE_QUERY_ARGS)
                return;
        q->args[q->nargs].text = s;
        q->args[q->nargs++].num = 0;
}

void console_query_num(console_query_t *q, int64_t v)
{
        if (q->nargs == CONSOLE_QUERY_ARGS)
                return;
        q->args[q->nargs].text = NULL;
        q->args[q->nargs++].num = v;
}

/* Adds "AND column = ?" for a non-empty s. */
static void add_match(console_query_t *q, const char *column, const char *s)
{
        if (!*s)
                return;
        console_query_sql(q, " AND ");
        console_query_sql(q, column);
        console_query_sql(q, " = ?");
        console_query_text(q, s);
}

void console_query_where(console_query_t *q, const console_filter_t *f)
{
        int s, first = 1;

        add_match(q, "instance_id", f->instance_id);
        if (f->states) {
                console_query_sql(q, " AND state IN (");
                for (s = CONSOLE_RECEIVED; s <= CONSOLE_SKIPPED; s++) {
                        if (!(f->states & (1u << s)))
                                continue;
                        console_query_sql(q, first ? "?" : ", ?");
                        console_query_num(q, s);
                        first = 0;
                }
                /* only unknown states asked for: none matches */
                console_query_sql(q, first ? "NULL)" : ")");
        }
        if (f->since_ms != INT64_MIN) {
                console_query_sql(q, " AND event_time_ms >= ?");
                console_query_num(q, f->since_ms);
        }
        if (f->until_ms != INT64_MAX) {
                console_query_sql(q, " AND event_time_ms < ?");
                console_query_num(q, f->until_ms);
        }
        add_match(q, "object_type", f->object_type);
        add_match(q, "object_id", f->object_id);
        add_match(q, "event_type", f->event_type);
        add_match(q, "origin", f->origin);
}

int console_query_prepare(console_index_t *idx, const console_query_t *q, sqlite3_stmt **st,
                          const char *what, char *errstr, size_t errstr_size)
{
        int i, rc;

        *st = NULL;
        if (q->nargs == CONSOLE_QUERY_ARGS || q->len + 1 >= sizeof(q->sql)) {
                snprintf(errstr, errstr_size, "index: %s: query too long", what);
                return -1;
        }
        if (sqlite3_prepare_v2(idx->db, q->sql, -1, st, NULL) != SQLITE_OK)
                goto fail;
        for (i = 0; i < q->nargs; i++) {
                rc = q->args[i].text
                         ? sqlite3_bind_text(*st, i + 1, q->args[i].text, -1, SQLITE_STATIC)
                         : sqlite3_bind_int64(*st, i + 1, q->args[i].num);
                if (rc != SQLITE_OK)
                        goto fail;
        }
        return 0;
fail:
        console_index_err(idx, what, errstr, errstr_size);
        sqlite3_finalize(*st);
        *st = NULL;
        return -1;
}
