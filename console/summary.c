/* console summary: see summary.h. */
#include "summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_base64.h"
#include "index_stats.h"
#include "json_time.h"
#include "record.h"

/* {"received": n, "retrying": n, ...} of counts (console_state_t order). */
static json_object *by_state(const int64_t *counts)
{
        json_object *o = json_object_new_object();
        int s;

        for (s = 0; o && s < CONSOLE_STATS_NSTATES; s++)
                json_object_object_add(o, console_state_name((console_state_t)s),
                                       json_object_new_int64(counts[s]));
        return o;
}

static json_object *series(const int64_t *v)
{
        json_object *a = json_object_new_array_ext(CONSOLE_STATS_HOURS);
        int i;

        for (i = 0; a && i < CONSOLE_STATS_HOURS; i++)
                json_object_array_add(a, json_object_new_int64(v[i]));
        return a;
}

/* The latest attempt, or NULL (JSON null) when the day had none. */
static json_object *last_attempt(const console_instance_stats_t *st)
{
        json_object *o;

        if (st->last_at_ms < 0 || !(o = json_object_new_object()))
                return NULL;
        json_object_object_add(o, "at", console_json_time(st->last_at_ms));
        json_object_object_add(o, "status",
                               st->last_status ? json_object_new_int(st->last_status) : NULL);
        json_object_object_add(o, "outcome", json_object_new_string(st->last_outcome));
        json_object_object_add(o, "error",
                               st->last_error[0] ? json_object_new_string(st->last_error) : NULL);
        json_object_object_add(o, "eventId", json_object_new_string(st->last_env_id));
        return o;
}

/* One instance's entry, or NULL with errstr set. */
static json_object *entry(const cb_instance_t *inst, console_index_t *idx, int64_t now_ms,
                          char *errstr, size_t errstr_size)
{
        const char *mode = cb_instance_config(inst, "event.vendor.type");
        console_instance_stats_t st;
        char b64[64], path[96];
        json_object *o, *hourly;

        if (console_index_instance_stats(idx, inst->id, now_ms, &st, errstr, errstr_size))
                return NULL;
        if (cb_base64_encode((const unsigned char *)inst->id, strlen(inst->id), b64, sizeof(b64)) <
            0)
                b64[0] = '\0';
        snprintf(path, sizeof(path), "/events/closeio/%s", b64);
        if (!(o = json_object_new_object()) || !(hourly = json_object_new_object())) {
                json_object_put(o);
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        json_object_object_add(o, "id", json_object_new_string(inst->id));
        json_object_object_add(o, "name", json_object_new_string(inst->name));
        json_object_object_add(
            o, "mode",
            json_object_new_string(mode && !strcmp(mode, "polling") ? "polling" : "webhook"));
        json_object_object_add(o, "disabled", json_object_new_boolean(inst->disabled));
        json_object_object_add(o, "notifications", json_object_new_boolean(inst->notify_enabled));
        json_object_object_add(o, "webhookPath", json_object_new_string(path));
        json_object_object_add(o, "lastHour", by_state(st.hour));
        json_object_object_add(o, "lastDay", by_state(st.day));
        json_object_object_add(o, "lastAttempt", last_attempt(&st));
        json_object_object_add(
            o, "breaker",
            st.last_at_ms < 0 ? NULL
                              : json_object_new_string(
                                    strcmp(st.last_outcome, "breaker-open") ? "closed" : "open"));
        json_object_object_add(
            hourly, "start",
            console_json_time(now_ms - (int64_t)CONSOLE_STATS_HOURS * CONSOLE_STATS_HOUR_MS));
        json_object_object_add(hourly, "delivered", series(st.delivered));
        json_object_object_add(hourly, "failing", series(st.failing));
        json_object_object_add(o, "hourly", hourly);
        return o;
}

json_object *console_summary_json(cb_table_t *table, console_index_t *idx, const char *only_id,
                                  int64_t now_ms, char *errstr, size_t errstr_size)
{
        json_object *list = json_object_new_array(), *e;
        cb_instance_t **all = NULL, *one = NULL;
        long n, i;

        if (!list) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        if (only_id[0]) {
                one = cb_table_get(table, only_id);
                all = &one;
                n = one ? 1 : 0;
        } else if ((n = cb_table_snapshot(table, &all)) < 0) {
                json_object_put(list);
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        for (i = 0; i < n; i++) {
                if (list && !(e = entry(all[i], idx, now_ms, errstr, errstr_size))) {
                        json_object_put(list);
                        list = NULL;
                }
                if (list)
                        json_object_array_add(list, e);
                cb_instance_release(all[i]);
        }
        if (!only_id[0])
                free(all);
        return list;
}
