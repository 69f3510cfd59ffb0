/* console index: the JSON views of the events API, list (one filtered page, newest first) and
 * get (one event and its deliveries). */
#include "index_impl.h"

#include <stdio.h>
#include <string.h>

#include "json_time.h"

static json_object *text_or_null(sqlite3_stmt *st, int col)
{
        if (sqlite3_column_type(st, col) == SQLITE_NULL)
                return NULL;
        return json_object_new_string((const char *)sqlite3_column_text(st, col));
}

static json_object *int_or_null(sqlite3_stmt *st, int col)
{
        if (sqlite3_column_type(st, col) == SQLITE_NULL)
                return NULL;
        return json_object_new_int64(sqlite3_column_int64(st, col));
}

static json_object *time_or_null(sqlite3_stmt *st, int col)
{
        if (sqlite3_column_type(st, col) == SQLITE_NULL)
                return NULL;
        return console_json_time(sqlite3_column_int64(st, col));
}

/* The event object of the current row of st (CONSOLE_INDEX_EVENT_COLS), or NULL when out of
 * memory. The caller owns it. */
static json_object *event_json(sqlite3_stmt *st)
{
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "id", text_or_null(st, 2));
        json_object_object_add(o, "instanceId", text_or_null(st, 1));
        json_object_object_add(o, "eventDate", time_or_null(st, 9));
        json_object_object_add(
            o, "status", json_object_new_string(console_state_name(sqlite3_column_int(st, 10))));
        json_object_object_add(o, "objectType", text_or_null(st, 4));
        json_object_object_add(o, "objectId", text_or_null(st, 5));
        json_object_object_add(o, "eventType", text_or_null(st, 6));
        json_object_object_add(o, "type", text_or_null(st, 7));
        json_object_object_add(o, "origin", text_or_null(st, 8));
        json_object_object_add(o, "attempts", json_object_new_int64(sqlite3_column_int64(st, 13)));
        json_object_object_add(o, "lastStatus", int_or_null(st, 14));
        json_object_object_add(o, "lastError", text_or_null(st, 15));
        json_object_object_add(o, "nextDue", time_or_null(st, 11));
        json_object_object_add(o, "reason", text_or_null(st, 12));
        json_object_object_add(o, "topic", text_or_null(st, 16));
        json_object_object_add(o, "partition", int_or_null(st, 17));
        json_object_object_add(o, "offset", int_or_null(st, 18));
        return o;
}

static int page_size(const console_filter_t *f)
{
        if (f->page_size <= 0)
                return CONSOLE_PAGE_DEFAULT;
        return f->page_size > CONSOLE_PAGE_MAX ? CONSOLE_PAGE_MAX : f->page_size;
}

/* The SQL of f: only the conditions f has, every value a bound parameter. */
static void build(console_query_t *q, const console_filter_t *f, int limit)
{
        console_query_start(q, "SELECT " CONSOLE_INDEX_EVENT_COLS " FROM events WHERE 1");
        console_query_where(q, f);
        if (f->has_cursor) {
                /* the plain bound first, so that the planner can take it as an index range */
                console_query_sql(q, " AND event_time_ms <= ? AND (event_time_ms, row) < (?, ?)");
                console_query_num(q, f->cursor_time_ms);
                console_query_num(q, f->cursor_time_ms);
                console_query_num(q, f->cursor_row);
        }
        console_query_sql(q, " ORDER BY event_time_ms DESC, row DESC LIMIT ?");
        console_query_num(q, limit);
}

int console_index_list(console_index_t *idx, const console_filter_t *f, json_object **out,
                       char *next, char *errstr, size_t errstr_size)
{
        console_query_t q;
        sqlite3_stmt *st = NULL;
        json_object *arr = NULL, *o;
        int size = page_size(f), n = 0, rc, ret = -1;
        int64_t last_time = 0, last_row = 0;

        *out = NULL;
        next[0] = '\0';
        build(&q, f, size + 1);
        if (console_query_prepare(idx, &q, &st, "list", errstr, errstr_size))
                goto done;
        if (!(arr = json_object_new_array()))
                goto oom;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == size) {
                        /* the extra row: there is a next page, after the page's last row */
                        if (console_cursor_format(last_time, last_row, next, CONSOLE_CURSOR_MAX)) {
                                snprintf(errstr, errstr_size, "index: list: cursor too long");
                                goto done;
                        }
                        break;
                }
                if (!(o = event_json(st)) || json_object_array_add(arr, o)) {
                        json_object_put(o);
                        goto oom;
                }
                last_row = sqlite3_column_int64(st, 0);
                last_time = sqlite3_column_int64(st, 9);
                n++;
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
                console_index_err(idx, "list", errstr, errstr_size);
                goto done;
        }
        *out = arr;
        arr = NULL;
        ret = 0;
        goto done;
oom:
        snprintf(errstr, errstr_size, "index: list: out of memory");
done:
        if (ret)
                next[0] = '\0';
        json_object_put(arr);
        sqlite3_finalize(st);
        return ret;
}

static json_object *delivery_json(sqlite3_stmt *st)
{
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "attempt", json_object_new_int64(sqlite3_column_int64(st, 0)));
        json_object_object_add(o, "at", console_json_time(sqlite3_column_int64(st, 1)));
        json_object_object_add(o, "status", int_or_null(st, 2));
        json_object_object_add(o, "error", text_or_null(st, 3));
        json_object_object_add(o, "durationMs", json_object_new_int64(sqlite3_column_int64(st, 4)));
        json_object_object_add(o, "outcome", text_or_null(st, 5));
        json_object_object_add(o, "nextDue", time_or_null(st, 6));
        json_object_object_add(o, "url", text_or_null(st, 7));
        json_object_object_add(o, "replay", text_or_null(st, 8));
        return o;
}

/* The deliveries of the event row, oldest first, added to ev. Returns 0 or -1. */
static int deliveries(console_index_t *idx, int64_t row, json_object *ev, char *errstr,
                      size_t errstr_size)
{
        sqlite3_stmt *st = idx->st[IX_GET_ATTEMPTS];
        json_object *arr = json_object_new_array(), *o;
        int rc, ret = -1;

        if (!arr) {
                snprintf(errstr, errstr_size, "index: get: out of memory");
                return -1;
        }
        if (sqlite3_bind_int64(st, 1, row)) {
                console_index_err(idx, "get", errstr, errstr_size);
                goto done;
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (!(o = delivery_json(st)) || json_object_array_add(arr, o)) {
                        json_object_put(o);
                        snprintf(errstr, errstr_size, "index: get: out of memory");
                        goto done;
                }
        }
        if (rc != SQLITE_DONE) {
                console_index_err(idx, "get", errstr, errstr_size);
                goto done;
        }
        json_object_object_add(ev, "deliveries", arr);
        arr = NULL;
        ret = 0;
done:
        sqlite3_reset(st);
        json_object_put(arr);
        return ret;
}

/* get without its read transaction: returns 1, 0 or -1 as console_index_get. */
static int get(console_index_t *idx, const char *instance_id, const char *env_id, json_object **out,
               char *errstr, size_t errstr_size)
{
        int by_env = !instance_id || !*instance_id;
        sqlite3_stmt *st = idx->st[by_env ? IX_GET_ENV : IX_GET_ID];
        json_object *ev = NULL;
        int rc, ret = -1;

        if (sqlite3_bind_text(st, 1, env_id, -1, SQLITE_STATIC) ||
            (!by_env && sqlite3_bind_text(st, 2, instance_id, -1, SQLITE_STATIC))) {
                console_index_err(idx, "get", errstr, errstr_size);
                goto done;
        }
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
                ret = 0;
                goto done;
        }
        if (rc != SQLITE_ROW) {
                console_index_err(idx, "get", errstr, errstr_size);
                goto done;
        }
        if (!(ev = event_json(st))) {
                snprintf(errstr, errstr_size, "index: get: out of memory");
                goto done;
        }
        if (deliveries(idx, sqlite3_column_int64(st, 0), ev, errstr, errstr_size))
                goto done;
        *out = ev;
        ev = NULL;
        ret = 1;
done:
        sqlite3_reset(st);
        json_object_put(ev);
        return ret;
}

/* The event and its attempts read from one snapshot: inside a transaction of its own unless
 * the caller has one open. */
int console_index_get(console_index_t *idx, const char *instance_id, const char *env_id,
                      json_object **out, char *errstr, size_t errstr_size)
{
        int own = sqlite3_get_autocommit(idx->db), ret;

        *out = NULL;
        if (own && sqlite3_step(idx->st[IX_BEGIN_READ]) != SQLITE_DONE) {
                console_index_err(idx, "get", errstr, errstr_size);
                sqlite3_reset(idx->st[IX_BEGIN_READ]);
                return -1;
        }
        if (own)
                sqlite3_reset(idx->st[IX_BEGIN_READ]);
        ret = get(idx, instance_id, env_id, out, errstr, errstr_size);
        if (own) {
                /* it only read: ending it any way ends the snapshot */
                sqlite3_step(idx->st[IX_ROLLBACK]);
                sqlite3_reset(idx->st[IX_ROLLBACK]);
        }
        return ret;
}

/* The reads of index.h that are no views: positions and counts. */
int64_t console_index_position(console_index_t *idx, const char *topic, int32_t partition)
{
        sqlite3_stmt *st = idx->st[IX_POS_GET];
        int64_t next = -1;
        size_t i;

        if (sqlite3_bind_text(st, 1, topic, -1, SQLITE_STATIC) ||
            sqlite3_bind_int(st, 2, partition))
                return -1;
        if (sqlite3_step(st) == SQLITE_ROW)
                next = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        for (i = 0; i < idx->npos; i++)
                if (idx->pos[i].partition == partition && !strcmp(idx->pos[i].topic, topic) &&
                    idx->pos[i].next > next)
                        next = idx->pos[i].next;
        return next;
}

static int count(console_index_t *idx, int i, int64_t *out)
{
        sqlite3_stmt *st = idx->st[i];
        int rc = sqlite3_step(st);

        if (rc == SQLITE_ROW)
                *out = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return rc == SQLITE_ROW ? 0 : -1;
}

int console_index_count(console_index_t *idx, int64_t *events, int64_t *attempts)
{
        if (events && count(idx, IX_COUNT_EV, events))
                return -1;
        if (attempts && count(idx, IX_COUNT_AT, attempts))
                return -1;
        return 0;
}
