/* What the two unit tests of the console index share: a database in a temporary directory,
 * records made by hand, and readers of the JSON views. Include once, from a test file. */
#ifndef FIXTURE_CONSOLE_INDEX_H
#define FIXTURE_CONSOLE_INDEX_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "index.h"

#define T0       1764547200000LL        /* 2025-12-01T00:00:00Z */
#define ERR      errstr, sizeof(errstr) /* every call's error buffer */
#define OK(call) assert_int_equal((call), 0)

static char dir[64], errstr[512];
static char next[CONSOLE_CURSOR_MAX]; /* the cursor of the page ids_of listed last */
static int ndb;

static __attribute__((unused)) int setup(void **state)
{
        (void)state;
        strcpy(dir, "/tmp/test_console_index.XXXXXX");
        return mkdtemp(dir) ? 0 : -1;
}

static __attribute__((unused)) int rm_one(const char *path, const struct stat *sb, int flag,
                                          struct FTW *ftw)
{
        (void)sb, (void)flag, (void)ftw;
        return remove(path);
}

static __attribute__((unused)) int teardown(void **state)
{
        (void)state;
        return nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* A fresh database path in the temporary directory (static). */
static __attribute__((unused)) const char *db_path(void)
{
        static char path[128];

        snprintf(path, sizeof(path), "%s/index%d.db", dir, ndb++);
        return path;
}

static __attribute__((unused)) console_index_t *open_new(void)
{
        console_index_t *idx = console_index_open(db_path(), 0, ERR);

        if (!idx)
                fail_msg("open: %s", errstr);
        return idx;
}

static __attribute__((unused)) console_rec_t base(console_topic_kind_t kind, const char *topic,
                                                  const char *inst, const char *env, int64_t ts,
                                                  int64_t offset, console_state_t state)
{
        console_rec_t r = {.kind = kind,
                           .topic = topic,
                           .offset = offset,
                           .ts_ms = ts,
                           .at_ms = ts,
                           .state = state};

        snprintf(r.instance_id, sizeof(r.instance_id), "%s", inst);
        snprintf(r.env_id, sizeof(r.env_id), "%s", env);
        return r;
}

/* The closeio.events record of an event of time_ms, written 5 ms later. */
static __attribute__((unused)) console_rec_t ev_rec(const char *inst, const char *env,
                                                    int64_t time_ms, int64_t offset)
{
        console_rec_t r = base(CONSOLE_TOPIC_EVENTS, "closeio.events", inst, env, time_ms + 5,
                               offset, CONSOLE_RECEIVED);

        strcpy(r.object_type, "leads");
        strcpy(r.object_id, "lead_a");
        strcpy(r.event_type, "CREATED");
        strcpy(r.type, "com.close.lead.created");
        strcpy(r.origin, "webhook");
        r.event_time_ms = time_ms;
        return r;
}

/* An attempt record written at ts (the attempt at ts - 2), due again a minute later on retry. */
static __attribute__((unused)) console_rec_t at_rec(const char *inst, const char *env, int64_t ts,
                                                    int64_t offset, int attempt,
                                                    const char *outcome, int status,
                                                    const char *error)
{
        console_state_t state = !strcmp(outcome, "delivered") ? CONSOLE_DELIVERED
                                : !strcmp(outcome, "dead")    ? CONSOLE_DEAD
                                : !strcmp(outcome, "skipped") ? CONSOLE_SKIPPED
                                                              : CONSOLE_RETRYING;
        console_rec_t r =
            base(CONSOLE_TOPIC_DELIVERIES, "closeio.deliveries", inst, env, ts, offset, state);

        r.at_ms = ts - 2;
        r.attempt = attempt;
        r.status = status;
        snprintf(r.error, sizeof(r.error), "%s", error);
        snprintf(r.outcome, sizeof(r.outcome), "%s", outcome);
        r.duration_ms = 10 * attempt;
        strcpy(r.url, "https://example.com/hook");
        if (state == CONSOLE_RETRYING)
                r.next_due_ms = ts + 60000;
        return r;
}

static __attribute__((unused)) void apply(console_index_t *idx, const console_rec_t *r)
{
        if (console_index_apply(idx, r, ERR))
                fail_msg("apply: %s", errstr);
}

static __attribute__((unused)) json_object *get_ok(console_index_t *idx, const char *inst,
                                                   const char *env)
{
        json_object *o = NULL;

        assert_int_equal(console_index_get(idx, inst, env, &o, ERR), 1);
        assert_non_null(o);
        return o;
}

/* The member k of o as text ("null" for a JSON null, "(absent)" when missing). */
static __attribute__((unused)) const char *member(json_object *o, const char *k)
{
        json_object *v;

        if (!json_object_object_get_ex(o, k, &v))
                return "(absent)";
        return v ? json_object_get_string(v) : "null";
}

/* Fails unless each member named of o is the text given: key, text, ..., NULL. */
static __attribute__((unused)) void expect(json_object *o, ...)
{
        const char *k, *want;
        va_list ap;

        va_start(ap, o);
        while ((k = va_arg(ap, const char *))) {
                want = va_arg(ap, const char *);
                if (strcmp(member(o, k), want))
                        fail_msg("%s: \"%s\", not \"%s\"", k, member(o, k), want);
        }
        va_end(ap);
}

/* The number of event rows (what 0) or attempt rows (1). */
static __attribute__((unused)) int64_t count_of(console_index_t *idx, int what)
{
        int64_t n[2] = {-1, -1};

        OK(console_index_count(idx, &n[0], &n[1]));
        return n[what];
}

static __attribute__((unused)) void filter_all(console_filter_t *f)
{
        memset(f, 0, sizeof(*f));
        f->since_ms = INT64_MIN;
        f->until_ms = INT64_MAX;
        f->page_size = CONSOLE_PAGE_DEFAULT;
}

/* The ids of one page of f, comma-separated (static); its cursor in next. */
static __attribute__((unused)) char *ids_of(console_index_t *idx, const console_filter_t *f)
{
        static char ids[8192];
        json_object *arr = NULL;
        size_t i, len = 0;

        if (console_index_list(idx, f, &arr, next, ERR))
                fail_msg("list: %s", errstr);
        ids[0] = '\0';
        for (i = 0; i < json_object_array_length(arr); i++)
                len += snprintf(ids + len, sizeof(ids) - len, "%s%s", i ? "," : "",
                                member(json_object_array_get_idx(arr, i), "id"));
        json_object_put(arr);
        return ids;
}

#endif
