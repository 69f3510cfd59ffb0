#include "cb_close.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_time.h"

/* Longest model, action or Close event id accepted (Close's are a few dozen characters). */
#define NAME_MAX_LEN 64
/* Longest object id accepted. */
#define ID_MAX_LEN 256

/* The string member key of obj, or NULL when absent, not a string, or holding a NUL (which
 * would cut it short, so that two different ids read as one). */
static const char *get_str(json_object *obj, const char *key)
{
        json_object *v;
        const char *s;

        if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        s = json_object_get_string(v);
        return strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

/* 1 when s is set, not empty and at most max bytes. */
static int sized(const char *s, size_t max)
{
        return s && *s && strlen(s) <= max;
}

static int64_t get_date(json_object *obj, const char *key)
{
        int64_t us;
        const char *s = get_str(obj, key);

        return s && !cb_time_parse(s, &us) ? us : 0;
}

const char *cb_close_object_type(const char *model)
{
        static const struct {
                const char *prefix;
                const char *ce;
        } map[] = {{"lead", "leads"},
                   {"contact", "contacts"},
                   {"opportunity", "opportunities"},
                   {"task", "tasks"},
                   {"activity", "activities"}};
        size_t i, n;

        for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
                n = strlen(map[i].prefix);
                if (!strncmp(model, map[i].prefix, n) && (model[n] == '\0' || model[n] == '.'))
                        return map[i].ce;
        }
        return model;
}

/* Cloud Elements' eventType for a Close action (past tense). Merges were UPDATED. */
static const char *event_type_of(const char *action)
{
        if (!strcmp(action, "created"))
                return "CREATED";
        if (!strcmp(action, "updated") || !strcmp(action, "merged"))
                return "UPDATED";
        if (!strcmp(action, "deleted"))
                return "DELETED";
        return "UNKNOWN";
}

static int parse_legacy(json_object *body, cb_close_event_t *ev, char *errstr, size_t errstr_size)
{
        static const struct {
                const char *verb, *action;
        } verbs[] = {{"create", "created"},
                     {"update", "updated"},
                     {"delete", "deleted"},
                     {"merge", "merged"}};
        json_object *data;
        const char *event;
        size_t i;

        ev->model = get_str(body, "model");
        event = get_str(body, "event");
        if (!sized(ev->model, NAME_MAX_LEN) || !sized(event, NAME_MAX_LEN)) {
                snprintf(errstr, errstr_size,
                         "legacy payload needs string fields \"model\" and \"event\" (up to %d "
                         "characters)",
                         NAME_MAX_LEN);
                return -1;
        }
        if (!json_object_object_get_ex(body, "data", &data) ||
            !json_object_is_type(data, json_type_object)) {
                snprintf(errstr, errstr_size, "legacy payload needs an object \"data\"");
                return -1;
        }
        ev->action = event;
        for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                if (!strcmp(event, verbs[i].verb))
                        ev->action = verbs[i].action;
        ev->event_type = ev->action == event ? "UNKNOWN" : event_type_of(ev->action);
        ev->object_type = cb_close_object_type(ev->model);

        if (!strcmp(ev->action, "merged")) {
                ev->merge_source = get_str(data, "source_id");
                ev->merge_destination = get_str(data, "destination_id");
                if (!sized(ev->merge_source, ID_MAX_LEN) ||
                    !sized(ev->merge_destination, ID_MAX_LEN)) {
                        snprintf(errstr, errstr_size,
                                 "legacy merge needs \"data.source_id\" and "
                                 "\"data.destination_id\"");
                        return -1;
                }
                ev->object_id = ev->merge_source;
        } else {
                ev->object_id = get_str(data, "id");
                if (!sized(ev->object_id, ID_MAX_LEN)) {
                        snprintf(errstr, errstr_size,
                                 "legacy payload needs \"data.id\" (up to %d characters)",
                                 ID_MAX_LEN);
                        return -1;
                }
        }
        ev->date_us = get_date(data, "date_updated");
        return 0;
}

static int parse_modern(json_object *body, json_object *event, cb_close_event_t *ev, char *errstr,
                        size_t errstr_size)
{
        json_object *meta;

        (void)body;
        ev->close_id = get_str(event, "id");
        ev->model = get_str(event, "object_type");
        ev->action = get_str(event, "action");
        ev->object_id = get_str(event, "object_id");
        if (!sized(ev->close_id, NAME_MAX_LEN) || !sized(ev->model, NAME_MAX_LEN) ||
            !sized(ev->action, NAME_MAX_LEN) || !sized(ev->object_id, ID_MAX_LEN)) {
                snprintf(errstr, errstr_size,
                         "event payload needs string fields \"event.id\", \"event.object_type\", "
                         "\"event.action\" (up to %d characters) and \"event.object_id\" (up "
                         "to %d)",
                         NAME_MAX_LEN, ID_MAX_LEN);
                return -1;
        }
        if (strchr(ev->close_id, '.') || strchr(ev->close_id, ' ')) {
                snprintf(errstr, errstr_size, "\"event.id\" may not contain '.' or spaces");
                return -1;
        }
        ev->event_type = event_type_of(ev->action);
        ev->object_type = cb_close_object_type(ev->model);
        ev->date_us = get_date(event, "date_updated");
        if (!ev->date_us)
                ev->date_us = get_date(event, "date_created");
        if (json_object_object_get_ex(event, "meta", &meta) &&
            json_object_is_type(meta, json_type_object)) {
                ev->merge_source = get_str(meta, "merge_source_lead_id");
                ev->merge_destination = get_str(meta, "merge_destination_lead_id");
                /* ids that could not key an event are no merge ids */
                if (!sized(ev->merge_source, ID_MAX_LEN))
                        ev->merge_source = NULL;
                if (!sized(ev->merge_destination, ID_MAX_LEN))
                        ev->merge_destination = NULL;
        }
        /* Cloud Elements keyed a merge on the lead merged away. */
        if (!strcmp(ev->action, "merged") && ev->merge_source)
                ev->object_id = ev->merge_source;
        return 0;
}

int cb_close_parse_webhook(json_object *body, cb_close_event_t *ev, char *errstr,
                           size_t errstr_size)
{
        json_object *event;

        memset(ev, 0, sizeof(*ev));
        if (!json_object_is_type(body, json_type_object)) {
                snprintf(errstr, errstr_size, "payload must be a JSON object");
                return -1;
        }
        ev->raw = body;
        if (json_object_object_get_ex(body, "event", &event) &&
            json_object_is_type(event, json_type_object))
                return parse_modern(body, event, ev, errstr, errstr_size);
        if (json_object_object_get_ex(body, "model", NULL))
                return parse_legacy(body, ev, errstr, errstr_size);
        snprintf(errstr, errstr_size,
                 "unknown payload shape: expected {\"model\",\"event\",\"data\"} or "
                 "{\"subscription_id\",\"event\":{...}}");
        return -1;
}

const char *cb_close_model_of(const char *resource)
{
        static const struct {
                const char *resource, *model;
        } map[] = {{"accounts", "lead"},    {"leads", "lead"},
                   {"contacts", "contact"}, {"opportunities", "opportunity"},
                   {"tasks", "task"},       {"activities", "activity"}};
        size_t i;

        for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (!strcmp(resource, map[i].resource))
                        return map[i].model;
        return resource;
}

void cb_close_events_free(cb_close_event_t *events, size_t n)
{
        size_t i;

        if (!events)
                return;
        for (i = 0; i < n; i++)
                json_object_put(events[i].raw);
        free(events);
}

/* The raw of one polled object: {"objectType": type, type: [obj]}. Returns a new object. */
static json_object *polling_raw(const char *type, json_object *obj)
{
        json_object *raw = json_object_new_object(), *list = json_object_new_array();

        if (!raw || !list ||
            json_object_object_add(raw, "objectType", json_object_new_string(type)) ||
            json_object_array_add(list, json_object_get(obj))) {
                json_object_put(raw);
                json_object_put(list);
                return NULL;
        }
        json_object_object_add(raw, type, list);
        return raw;
}

int cb_close_parse_polling(json_object *body, cb_close_event_t **events, size_t *n, char *errstr,
                           size_t errstr_size)
{
        json_object *objects, *obj;
        cb_close_event_t *evs = NULL, *ev;
        const char *type;
        int64_t created;
        size_t i, count;

        *events = NULL;
        *n = 0;
        type = json_object_is_type(body, json_type_object) ? get_str(body, "objectType") : NULL;
        if (!sized(type, NAME_MAX_LEN)) {
                snprintf(errstr, errstr_size,
                         "polling results need {\"objectType\": NAME, NAME: [objects]}");
                return -1;
        }
        if (!json_object_object_get_ex(body, type, &objects) ||
            !json_object_is_type(objects, json_type_array)) {
                snprintf(errstr, errstr_size, "polling results need an array \"%.64s\"", type);
                return -1;
        }
        count = json_object_array_length(objects);
        evs = calloc(count ? count : 1, sizeof(*evs));
        if (!evs) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        for (i = 0; i < count; i++) {
                ev = &evs[i];
                obj = json_object_array_get_idx(objects, i);
                ev->object_id =
                    json_object_is_type(obj, json_type_object) ? get_str(obj, "id") : NULL;
                if (!sized(ev->object_id, ID_MAX_LEN)) {
                        snprintf(errstr, errstr_size,
                                 "polling result %zu is not an object with a string \"id\"", i);
                        goto fail;
                }
                ev->model = cb_close_model_of(type);
                ev->object_type = cb_close_object_type(ev->model);
                ev->date_us = get_date(obj, "date_updated");
                created = get_date(obj, "date_created");
                ev->action = created && created == ev->date_us ? "created" : "updated";
                ev->event_type = event_type_of(ev->action);
                ev->raw = polling_raw(type, obj);
                if (!ev->raw) {
                        snprintf(errstr, errstr_size, "out of memory");
                        goto fail;
                }
        }
        *events = evs;
        *n = count;
        return 0;
fail:
        cb_close_events_free(evs, count);
        return -1;
}
