#include "task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_time.h"
#include "errf.h"
#include "produce.h"

static const char *const state_names[CONSOLE_TASK_NSTATES] = {
    [CONSOLE_TASK_RUNNING] = "running",
    [CONSOLE_TASK_DONE] = "done",
    [CONSOLE_TASK_CANCELLED] = "cancelled",
};

const char *console_task_state_name(console_task_state_t s)
{
        return (unsigned)s < CONSOLE_TASK_NSTATES ? state_names[s] : "unknown";
}

int console_task_id(char *out, size_t out_size)
{
        return console_random_id("tk_", out, out_size);
}

int console_task_id_valid(const char *s)
{
        size_t i;

        if (strncmp(s, "tk_", 3) || strlen(s) != CONSOLE_TASK_ID_MAX - 1)
                return 0;
        for (i = 3; s[i]; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return 0;
        return 1;
}

int32_t console_task_partition(const char *id, int32_t partitions)
{
        uint32_t h = 2166136261u; /* FNV-1a: the same on every replica, unlike a seeded hash */

        for (; *id; id++)
                h = (h ^ (unsigned char)*id) * 16777619u;
        return partitions > 0 ? (int32_t)(h % (uint32_t)partitions) : 0;
}

int console_task_init(console_task_t *t, const char *instance_id, int64_t now_ms)
{
        memset(t, 0, sizeof(*t));
        if (console_task_id(t->id, sizeof(t->id)))
                return -1;
        snprintf(t->instance_id, sizeof(t->instance_id), "%s", instance_id);
        t->created_ms = t->updated_ms = now_ms;
        t->until_ms = now_ms;
        t->matched = -1;
        return 0;
}

int console_task_add_param(console_task_t *t, console_filter_t *f, const char *name,
                           const char *value, char *errstr, size_t errstr_size)
{
        console_task_param_t *p;

        if (!strcmp(name, "pageSize") || !strcmp(name, "nextPage"))
                return console_errf(errstr, errstr_size,
                                    "%s: a task takes every matching event, not a page", name);
        if (strlen(value) >= CONSOLE_TASK_VALUE_MAX)
                return console_errf(errstr, errstr_size, "%s: longer than %d bytes", name,
                                    CONSOLE_TASK_VALUE_MAX - 1);
        if (console_filter_set(f, name, value, errstr, errstr_size))
                return -1;
        if (t->nparams == CONSOLE_TASK_PARAMS_MAX) /* filter.h refuses a repeated one first */
                return console_errf(errstr, errstr_size, "too many parameters");
        p = &t->params[t->nparams++];
        snprintf(p->name, sizeof(p->name), "%s", name);
        snprintf(p->value, sizeof(p->value), "%s", value);
        return 0;
}

int console_task_filter(const console_task_t *t, console_filter_t *f, char *errstr,
                        size_t errstr_size)
{
        int i;

        console_filter_init(f);
        for (i = 0; i < t->nparams; i++)
                if (console_filter_set(f, t->params[i].name, t->params[i].value, errstr,
                                       errstr_size))
                        return -1;
        if (console_filter_check(f, errstr, errstr_size))
                return -1;
        if (t->until_ms < f->until_ms)
                f->until_ms = t->until_ms;
        snprintf(f->instance_id, sizeof(f->instance_id), "%s", t->instance_id);
        return 0;
}

char *console_task_encode(const console_task_t *t)
{
        json_object *o = json_object_new_object(), *params = json_object_new_object(), *c;
        const char *text;
        char *out = NULL;
        int i;

        if (!o || !params)
                goto done;
        for (i = 0; i < t->nparams; i++)
                json_object_object_add(params, t->params[i].name,
                                       json_object_new_string(t->params[i].value));
        json_object_object_add(o, "id", json_object_new_string(t->id));
        json_object_object_add(o, "instanceId", json_object_new_string(t->instance_id));
        json_object_object_add(o, "params", json_object_get(params));
        json_object_object_add(o, "createdMs", json_object_new_int64(t->created_ms));
        json_object_object_add(o, "untilMs", json_object_new_int64(t->until_ms));
        json_object_object_add(o, "state",
                               json_object_new_string(console_task_state_name(t->state)));
        json_object_object_add(o, "seq", json_object_new_int64(t->seq));
        json_object_object_add(o, "updatedMs", json_object_new_int64(t->updated_ms));
        json_object_object_add(o, "matched", json_object_new_int64(t->matched));
        json_object_object_add(o, "produced", json_object_new_int64(t->produced));
        json_object_object_add(o, "unavailable", json_object_new_int64(t->unavailable));
        if (t->has_cursor) {
                c = json_object_new_object();
                json_object_object_add(c, "timeMs", json_object_new_int64(t->cursor_time_ms));
                json_object_object_add(c, "instanceId", json_object_new_string(t->cursor_instance));
                json_object_object_add(c, "id", json_object_new_string(t->cursor_env));
                json_object_object_add(o, "cursor", c);
        }
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                     JSON_C_TO_STRING_NOSLASHESCAPE);
        if (text)
                out = strdup(text);
done:
        json_object_put(params);
        json_object_put(o);
        return out;
}

/* Copies the string member name of o into out (out_size bytes). Returns 0, or -1 when it is
 * missing, not a string or too long. */
static int get_str(json_object *o, const char *name, char *out, size_t out_size)
{
        json_object *v = json_object_object_get(o, name);
        const char *s;

        if (!json_object_is_type(v, json_type_string))
                return -1;
        s = json_object_get_string(v);
        if (strlen(s) >= out_size)
                return -1;
        memcpy(out, s, strlen(s) + 1);
        return 0;
}

static int get_int(json_object *o, const char *name, int64_t *out)
{
        json_object *v = json_object_object_get(o, name);

        if (!json_object_is_type(v, json_type_int))
                return -1;
        *out = json_object_get_int64(v);
        return 0;
}

/* 1 for a time a task may hold: from 1970 to the end of year 9999 (what RFC 3339 can write). */
static int time_ok(int64_t ms)
{
        return ms >= 0 && ms <= 253402300799999LL;
}

/* The task members of o into t. Returns 0, or -1 with what is wrong in errstr. */
static int decode_task(json_object *o, console_task_t *t, char *errstr, size_t errstr_size)
{
        char state[16];
        json_object *params = json_object_object_get(o, "params"), *c;
        int s;

        if (get_str(o, "id", t->id, sizeof(t->id)) || !console_task_id_valid(t->id))
                return console_errf(errstr, errstr_size, "task: no valid id");
        if (get_str(o, "instanceId", t->instance_id, sizeof(t->instance_id)) ||
            (t->instance_id[0] && !cb_instance_id_valid(t->instance_id)))
                return console_errf(errstr, errstr_size, "task %s: bad instanceId", t->id);
        if (!json_object_is_type(params, json_type_object))
                return console_errf(errstr, errstr_size, "task %s: no params", t->id);
        json_object_object_foreach(params, name, v)
        {
                console_task_param_t *p = &t->params[t->nparams];

                if (t->nparams == CONSOLE_TASK_PARAMS_MAX || strlen(name) >= sizeof(p->name) ||
                    !json_object_is_type(v, json_type_string) ||
                    strlen(json_object_get_string(v)) >= sizeof(p->value))
                        return console_errf(errstr, errstr_size, "task %s: bad params", t->id);
                memcpy(p->name, name, strlen(name) + 1);
                memcpy(p->value, json_object_get_string(v), strlen(json_object_get_string(v)) + 1);
                t->nparams++;
        }
        if (get_int(o, "createdMs", &t->created_ms) || get_int(o, "untilMs", &t->until_ms) ||
            get_int(o, "seq", &t->seq) || get_int(o, "updatedMs", &t->updated_ms) ||
            get_int(o, "matched", &t->matched) || get_int(o, "produced", &t->produced) ||
            get_int(o, "unavailable", &t->unavailable) || t->seq < 0 || t->matched < -1 ||
            t->produced < 0 || t->unavailable < 0 || !time_ok(t->created_ms) ||
            !time_ok(t->until_ms) || !time_ok(t->updated_ms))
                return console_errf(errstr, errstr_size, "task %s: bad counts or times", t->id);
        if (get_str(o, "state", state, sizeof(state)))
                return console_errf(errstr, errstr_size, "task %s: no state", t->id);
        for (s = 0; s < CONSOLE_TASK_NSTATES && strcmp(state, state_names[s]); s++)
                ;
        if (s == CONSOLE_TASK_NSTATES)
                return console_errf(errstr, errstr_size, "task %s: unknown state", t->id);
        t->state = (console_task_state_t)s;
        if ((c = json_object_object_get(o, "cursor"))) {
                if (get_int(c, "timeMs", &t->cursor_time_ms) ||
                    get_str(c, "instanceId", t->cursor_instance, sizeof(t->cursor_instance)) ||
                    get_str(c, "id", t->cursor_env, sizeof(t->cursor_env)))
                        return console_errf(errstr, errstr_size, "task %s: bad cursor", t->id);
                t->has_cursor = 1;
        }
        return 0;
}

int console_task_decode(const char *key, size_t key_len, const char *value, size_t value_len,
                        console_task_t *t, char *errstr, size_t errstr_size)
{
        size_t sfx = strlen(CONSOLE_TASK_CANCEL_SUFFIX);
        json_tokener *tok;
        json_object *o = NULL;
        char cancel[CONSOLE_TASK_ID_MAX];
        int rc = -1;

        memset(t, 0, sizeof(*t));
        if (!value || value_len == 0 || value_len > 65536)
                return console_errf(errstr, errstr_size, "task record: no value or too large");
        if (!(tok = json_tokener_new()))
                return console_errf(errstr, errstr_size, "out of memory");
        o = json_tokener_parse_ex(tok, value, (int)value_len);
        if (!o || json_tokener_get_error(tok) != json_tokener_success ||
            tok->char_offset != (int)value_len || !json_object_is_type(o, json_type_object)) {
                console_errf(errstr, errstr_size, "task record: not a JSON object");
        } else if (key && key_len > sfx &&
                   !memcmp(key + key_len - sfx, CONSOLE_TASK_CANCEL_SUFFIX, sfx)) {
                if (get_str(o, "cancel", cancel, sizeof(cancel)) ||
                    !console_task_id_valid(cancel) || key_len - sfx != strlen(cancel) ||
                    memcmp(key, cancel, key_len - sfx)) {
                        console_errf(errstr, errstr_size, "task record: a bad cancel request");
                } else {
                        memcpy(t->id, cancel, sizeof(cancel));
                        t->cancel = 1;
                        rc = 2;
                }
        } else if (!decode_task(o, t, errstr, errstr_size)) {
                if (key && (key_len != strlen(t->id) || memcmp(key, t->id, key_len)))
                        console_errf(errstr, errstr_size, "task %s: under another key", t->id);
                else
                        rc = 1;
        }
        json_object_put(o);
        json_tokener_free(tok);
        if (rc < 0)
                memset(t, 0, sizeof(*t));
        return rc;
}

json_object *console_task_json(const console_task_t *t, int64_t delivered)
{
        json_object *o = json_object_new_object(), *f = json_object_new_object();
        int i;

        if (!o || !f) {
                json_object_put(o);
                json_object_put(f);
                return NULL;
        }
        for (i = 0; i < t->nparams; i++)
                json_object_object_add(f, t->params[i].name,
                                       json_object_new_string(t->params[i].value));
        json_object_object_add(o, "id", json_object_new_string(t->id));
        json_object_object_add(o, "instanceId",
                               t->instance_id[0] ? json_object_new_string(t->instance_id) : NULL);
        json_object_object_add(o, "status",
                               json_object_new_string(console_task_state_name(t->state)));
        json_object_object_add(o, "filter", f);
        json_object_object_add(o, "until", console_json_time(t->until_ms));
        json_object_object_add(o, "created", console_json_time(t->created_ms));
        json_object_object_add(o, "updated", console_json_time(t->updated_ms));
        json_object_object_add(o, "matched",
                               t->matched < 0 ? NULL : json_object_new_int64(t->matched));
        json_object_object_add(o, "produced", json_object_new_int64(t->produced));
        json_object_object_add(o, "unavailable", json_object_new_int64(t->unavailable));
        json_object_object_add(o, "delivered",
                               delivered < 0 ? NULL : json_object_new_int64(delivered));
        json_object_object_add(o, "cancelRequested", json_object_new_boolean(t->cancel));
        return o;
}
