#include "close_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_json.h"
#include "cb_time.h"

/* Longest model, action or Close event id accepted (Close's are a few dozen characters). */
#define NAME_MAX_LEN 64
/* Longest object id accepted. */
#define ID_MAX_LEN 256

/* The member key of obj, or NULL when obj is not an object or has none. Of duplicate members
 * the last, as json-c (which publish and many consumers read payloads with) takes it. */
static yyjson_val *member(yyjson_val *obj, const char *key)
{
        yyjson_val *k, *found = NULL;
        size_t len = strlen(key);
        yyjson_obj_iter it;

        if (!yyjson_obj_iter_init(obj, &it))
                return NULL;
        while ((k = yyjson_obj_iter_next(&it)))
                if (yyjson_equals_strn(k, key, len))
                        found = yyjson_obj_iter_get_val(k);
        return found;
}

/* The string member key of obj, or NULL when absent, not a string, or holding a NUL (which
 * would cut it short, so that two different ids read as one). */
static const char *get_str(yyjson_val *obj, const char *key)
{
        yyjson_val *v = member(obj, key);
        const char *s = yyjson_get_str(v);

        return s && strlen(s) == yyjson_get_len(v) ? s : NULL;
}

/* 1 when s is set, not empty and at most max bytes. */
static int sized(const char *s, size_t max)
{
        return s && *s && strlen(s) <= max;
}

static int64_t get_date(yyjson_val *obj, const char *key)
{
        int64_t us;
        const char *s = get_str(obj, key);

        return s && !cb_time_parse(s, &us) ? us : 0;
}

const char *ingest_close_object_type(const char *model)
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

static int parse_legacy(yyjson_val *body, ingest_close_event_t *ev, char *errstr,
                        size_t errstr_size)
{
        static const struct {
                const char *verb, *action;
        } verbs[] = {{"create", "created"},
                     {"update", "updated"},
                     {"delete", "deleted"},
                     {"merge", "merged"}};
        yyjson_val *data;
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
        data = member(body, "data");
        if (!yyjson_is_obj(data)) {
                snprintf(errstr, errstr_size, "legacy payload needs an object \"data\"");
                return -1;
        }
        ev->action = event;
        for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                if (!strcmp(event, verbs[i].verb))
                        ev->action = verbs[i].action;
        ev->event_type = ev->action == event ? "UNKNOWN" : event_type_of(ev->action);
        ev->object_type = ingest_close_object_type(ev->model);

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

static int parse_modern(yyjson_val *event, ingest_close_event_t *ev, char *errstr,
                        size_t errstr_size)
{
        yyjson_val *meta = member(event, "meta");

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
        ev->object_type = ingest_close_object_type(ev->model);
        ev->date_us = get_date(event, "date_updated");
        if (!ev->date_us)
                ev->date_us = get_date(event, "date_created");
        if (yyjson_is_obj(meta)) {
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

/* Reads the form of body (parsed, borrowed) into ev. Returns 0, or -1 with errstr. */
static int parse_form(yyjson_val *body, ingest_close_event_t *ev, char *errstr, size_t errstr_size)
{
        yyjson_val *event;

        if (!yyjson_is_obj(body)) {
                snprintf(errstr, errstr_size, "payload must be a JSON object");
                return -1;
        }
        event = member(body, "event");
        if (yyjson_is_obj(event))
                return parse_modern(event, ev, errstr, errstr_size);
        if (member(body, "model"))
                return parse_legacy(body, ev, errstr, errstr_size);
        snprintf(errstr, errstr_size,
                 "unknown payload shape: expected {\"model\",\"event\",\"data\"} or "
                 "{\"subscription_id\",\"event\":{...}}");
        return -1;
}

int ingest_close_parse_webhook(const char *buf, size_t len, ingest_close_event_t *ev, char *errstr,
                               size_t errstr_size)
{
        yyjson_doc *doc = cb_json_read(buf, len, CB_JSON_PAYLOAD_DEPTH, errstr, errstr_size);

        memset(ev, 0, sizeof(*ev));
        if (!doc)
                return -1;
        if (parse_form(yyjson_doc_get_root(doc), ev, errstr, errstr_size)) {
                yyjson_doc_free(doc);
                memset(ev, 0, sizeof(*ev));
                return -1;
        }
        ev->doc = doc;
        ev->raw_text = buf;
        ev->raw_len = len;
        return 0;
}

void ingest_close_event_fini(ingest_close_event_t *ev)
{
        yyjson_doc_free(ev->doc);
        free(ev->buf);
        memset(ev, 0, sizeof(*ev));
}

const char *ingest_close_model_of(const char *resource)
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

void ingest_close_events_free(ingest_close_event_t *events, size_t n)
{
        size_t i;

        if (!events)
                return;
        for (i = 0; i < n; i++)
                ingest_close_event_fini(&events[i]);
        free(events);
}

/* Writes doc with root as JSON text (malloc'd, NUL-terminated, its length in *len) and frees
 * doc. Returns NULL when root is NULL (building it ran out of memory) or out of memory. */
static char *write_root(yyjson_mut_doc *doc, yyjson_mut_val *root, size_t *len)
{
        char *text = NULL;

        if (root) {
                yyjson_mut_doc_set_root(doc, root);
                text = yyjson_mut_write(doc, YYJSON_WRITE_NOFLAG, len);
        }
        yyjson_mut_doc_free(doc);
        return text;
}

/* The raw of a polled object obj of resource type, {"objectType":type,type:[obj]}, as JSON text
 * (see write_root), or NULL when out of memory. */
static char *polling_raw(const char *type, yyjson_val *obj, size_t *len)
{
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_val *raw = yyjson_mut_obj(doc), *list = yyjson_mut_arr(doc);

        if (!yyjson_mut_obj_add_str(doc, raw, "objectType", type) ||
            !yyjson_mut_arr_append(list, yyjson_val_mut_copy(doc, obj)) ||
            !yyjson_mut_obj_add_val(doc, raw, type, list))
                raw = NULL;
        return write_root(doc, raw, len);
}

int ingest_close_parse_log_event(yyjson_val *entry, ingest_close_event_t *ev, char *errstr,
                                 size_t errstr_size)
{
        yyjson_mut_doc *doc;
        yyjson_mut_val *raw;

        memset(ev, 0, sizeof(*ev));
        if (!yyjson_is_obj(entry)) {
                snprintf(errstr, errstr_size, "an Event Log entry must be a JSON object");
                return -1;
        }
        /* its raw, {"event": entry}, nests one level deeper and must stay a payload's depth */
        if (cb_json_nests_deeper_than(entry, CB_JSON_PAYLOAD_DEPTH - 1)) {
                snprintf(errstr, errstr_size, "nested more than %d levels deep",
                         CB_JSON_PAYLOAD_DEPTH - 1);
                return -1;
        }
        if (parse_modern(entry, ev, errstr, errstr_size)) {
                memset(ev, 0, sizeof(*ev));
                return -1;
        }
        doc = yyjson_mut_doc_new(NULL);
        raw = yyjson_mut_obj(doc);
        if (!yyjson_mut_obj_add_val(doc, raw, "event", yyjson_val_mut_copy(doc, entry)))
                raw = NULL;
        ev->buf = write_root(doc, raw, &ev->raw_len);
        if (!ev->buf) {
                snprintf(errstr, errstr_size, "out of memory");
                memset(ev, 0, sizeof(*ev));
                return -1;
        }
        ev->raw_text = ev->buf;
        return 0;
}

/* Gives ev its own copies of what it borrowed from the polling doc: ev->buf holds the raw text
 * (see polling_raw), then the object's id, then type. Returns 0, or -1 when out of memory. */
static int polling_own(ingest_close_event_t *ev, const char *type, yyjson_val *obj)
{
        size_t raw_len, id_len = strlen(ev->object_id), type_len = strlen(type);
        char *text = polling_raw(type, obj, &raw_len), *buf;

        buf = text ? realloc(text, raw_len + 1 + id_len + 1 + type_len + 1) : NULL;
        if (!buf) {
                free(text);
                return -1;
        }
        ev->buf = buf;
        ev->raw_text = buf;
        ev->raw_len = raw_len;
        ev->object_id = memcpy(buf + raw_len + 1, ev->object_id, id_len + 1);
        /* objectType is the resource as pushed ("accounts"), as Cloud Elements' poller gave it */
        ev->object_type = memcpy(buf + raw_len + 1 + id_len + 1, type, type_len + 1);
        ev->model = ingest_close_model_of(ev->object_type);
        return 0;
}

/* 1 when claimed, a body's "instance_id" (absent, a string or an integer), names instance_id. */
static int same_instance(yyjson_val *claimed, const char *instance_id)
{
        char num[24];

        if (!claimed)
                return 1;
        if (yyjson_is_str(claimed))
                return !strcmp(yyjson_get_str(claimed), instance_id);
        if (yyjson_is_uint(claimed))
                snprintf(num, sizeof(num), "%llu", (unsigned long long)yyjson_get_uint(claimed));
        else if (yyjson_is_sint(claimed))
                snprintf(num, sizeof(num), "%lld", (long long)yyjson_get_sint(claimed));
        else
                return 0;
        return !strcmp(num, instance_id);
}

int ingest_close_parse_polling(const char *buf, size_t len, const char *instance_id,
                               ingest_close_event_t **events, size_t *n, char *errstr,
                               size_t errstr_size)
{
        yyjson_doc *doc = cb_json_read(buf, len, CB_JSON_PAYLOAD_DEPTH, errstr, errstr_size);
        yyjson_val *body = yyjson_doc_get_root(doc), *objects, *obj;
        ingest_close_event_t *evs = NULL, *ev;
        const char *type;
        int64_t created;
        size_t i, count = 0;

        *events = NULL;
        *n = 0;
        if (!doc)
                return -1;
        if (yyjson_is_obj(body) && !same_instance(member(body, "instance_id"), instance_id)) {
                snprintf(errstr, errstr_size, "instance_id differs from the URL's instance");
                goto fail;
        }
        type = get_str(body, "objectType");
        if (!sized(type, NAME_MAX_LEN)) {
                snprintf(errstr, errstr_size,
                         "polling results need {\"objectType\": NAME, NAME: [objects]}");
                goto fail;
        }
        objects = member(body, type);
        if (!yyjson_is_arr(objects)) {
                snprintf(errstr, errstr_size, "polling results need an array \"%.64s\"", type);
                goto fail;
        }
        count = yyjson_arr_size(objects);
        evs = calloc(count ? count : 1, sizeof(*evs));
        if (!evs) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        yyjson_arr_foreach(objects, i, count, obj)
        {
                ev = &evs[i];
                ev->object_id = get_str(obj, "id");
                if (!sized(ev->object_id, ID_MAX_LEN)) {
                        snprintf(errstr, errstr_size,
                                 "polling result %zu is not an object with a string \"id\"", i);
                        goto fail;
                }
                ev->date_us = get_date(obj, "date_updated");
                created = get_date(obj, "date_created");
                ev->action = created && created == ev->date_us ? "created" : "updated";
                ev->event_type = event_type_of(ev->action);
                if (polling_own(ev, type, obj)) {
                        snprintf(errstr, errstr_size, "out of memory");
                        goto fail;
                }
        }
        yyjson_doc_free(doc);
        *events = evs;
        *n = count;
        return 0;
fail:
        ingest_close_events_free(evs, count);
        yyjson_doc_free(doc);
        return -1;
}
