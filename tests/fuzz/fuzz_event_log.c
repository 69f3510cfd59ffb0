/* Fuzz target: a page of Close's Event Log, as the poller walks it (ingest/poll_walk.c), on the
 * answer's bytes as they arrive.
 *
 *   ingest_close_page_parse (yyjson) -> ingest_close_parse_log_event per entry
 *     -> ingest_poll_state_is_new -> ingest_envelope_build
 *   then ingest_poll_state_advance over the page -> _format -> _parse
 *
 * and what the walk depends on: a page taken has a "data" array and no empty cursor; a failed
 * entry holds nothing; a taken one has a Close id, a raw that is {"event": entry} exactly, and
 * an envelope that publish reads back with the id the same event gets however it arrives; after
 * the advance, no event of the page at or after the new start is new any more (a second walk
 * of the same page publishes nothing twice), the start never moves back nor closer to now than
 * the overlap, and the state written to the state topic reads back as the same state. */
#include <stdlib.h>
#include <string.h>

#include "cb_json.h"
#include "close_api.h"
#include "close_event.h"
#include "envelope.h"
#include "fuzz.h"
#include "poll_state.h"

#define INSTANCE_ID "20931"
#define NOW_US      1495144526451000LL /* 2017-05-18T21:55:26.451Z */
#define OVERLAP_US  (600 * 1000000LL)
#define START_US    (NOW_US - 86400 * 1000000LL)

/* Checks that ev's raw, its own text, is {"event": entry} and nothing else. */
static void check_raw(const ingest_close_event_t *ev, yyjson_val *entry)
{
        char err[256];
        yyjson_doc *doc =
            cb_json_read(ev->raw_text, ev->raw_len, CB_JSON_MAX_DEPTH, err, sizeof(err));
        yyjson_val *root = yyjson_doc_get_root(doc);

        FUZZ_CHECK(doc != NULL && yyjson_obj_size(root) == 1);
        FUZZ_CHECK(yyjson_equals(yyjson_obj_get(root, "event"), entry));
        yyjson_doc_free(doc);
}

/* Builds ev's envelope and checks it as publish reads it. ev's id may be too long for an
 * envelope id (then the walk skips it); nothing else may fail. */
static void check_envelope(const ingest_close_event_t *ev)
{
        char err[256], id[CB_ENVELOPE_ID_MAX];
        ingest_envelope_t built;
        json_object *env;
        const char *env_id;

        if (ingest_envelope_build(&built, INSTANCE_ID, ev, "polling", NOW_US)) {
                FUZZ_CHECK(ingest_envelope_id(INSTANCE_ID, ev, id, sizeof(id)) != 0);
                return;
        }
        env = cb_json_parse(built.json, built.json_len, err, sizeof(err));
        FUZZ_CHECK(env != NULL);
        env_id = fuzz_envelope_attr(env, "id");
        FUZZ_CHECK(env_id && !strchr(env_id, '.'));
        FUZZ_CHECK(ingest_envelope_id(INSTANCE_ID, ev, id, sizeof(id)) == 0 && !strcmp(id, env_id));
        FUZZ_CHECK(!strcmp(fuzz_envelope_attr(env, "origin"), "polling"));
        json_object_put(env);
        ingest_envelope_fini(&built);
}

/* Checks that st, written as JSON, reads back as st. */
static void check_round_trip(const ingest_poll_state_t *st)
{
        char *json = ingest_poll_state_format(st);
        ingest_poll_state_t back;
        size_t i;

        FUZZ_CHECK(json != NULL);
        FUZZ_CHECK(ingest_poll_state_parse(&back, json, strlen(json), 0) == 0);
        FUZZ_CHECK(back.from_us == st->from_us && back.nseen == st->nseen);
        for (i = 0; i < st->nseen; i++)
                FUZZ_CHECK(!strcmp(back.seen[i], st->seen[i]));
        ingest_poll_state_fini(&back);
        free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char err[256];
        ingest_close_page_t page;
        ingest_poll_state_t st, next;
        ingest_close_event_t *evs;
        const char **ids;
        int64_t *dates, bound;
        size_t i, n, nids = 0;

        if (ingest_close_page_parse((const char *)data, size, &page, err, sizeof(err))) {
                FUZZ_CHECK(*err && !page.doc && !page.events && !page.cursor_next);
                return 0;
        }
        FUZZ_CHECK(yyjson_is_arr(page.events) && (!page.cursor_next || *page.cursor_next));
        n = yyjson_arr_size(page.events);
        evs = calloc(n + 1, sizeof(*evs));
        ids = calloc(n + 1, sizeof(*ids));
        dates = calloc(n + 1, sizeof(*dates));
        FUZZ_CHECK(evs && ids && dates);
        ingest_poll_state_init(&st, START_US);
        for (i = 0; i < n; i++) {
                yyjson_val *entry = yyjson_arr_get(page.events, i);
                ingest_close_event_t *ev = &evs[i];

                if (ingest_close_parse_log_event(entry, ev, err, sizeof(err))) {
                        FUZZ_CHECK(*err && !ev->buf && !ev->doc && !ev->raw_text);
                        continue;
                }
                FUZZ_CHECK(ev->close_id && *ev->close_id && ev->object_id && *ev->object_id);
                FUZZ_CHECK(ev->model && ev->action && ev->event_type && ev->object_type);
                check_raw(ev, entry);
                if (!ev->date_us)
                        continue; /* the walk skips it: no date to keep it by */
                ids[nids] = ev->close_id;
                dates[nids++] = ev->date_us;
                if (ingest_poll_state_is_new(&st, ev->close_id, ev->date_us))
                        check_envelope(ev);
        }
        FUZZ_CHECK(ingest_poll_state_copy(&next, &st) == 0);
        FUZZ_CHECK(ingest_poll_state_advance(&next, ids, dates, nids, NOW_US, OVERLAP_US) == 0);
        bound = NOW_US - OVERLAP_US > st.from_us ? NOW_US - OVERLAP_US : st.from_us;
        FUZZ_CHECK(next.from_us >= st.from_us && next.from_us <= bound);
        for (i = 0; i < nids; i++)
                FUZZ_CHECK(dates[i] < next.from_us ||
                           !ingest_poll_state_is_new(&next, ids[i], dates[i]));
        for (i = 1; i < next.nseen; i++)
                FUZZ_CHECK(strcmp(next.seen[i - 1], next.seen[i]) < 0);
        check_round_trip(&next);

        ingest_poll_state_fini(&next);
        ingest_poll_state_fini(&st);
        for (i = 0; i < n; i++)
                ingest_close_event_fini(&evs[i]);
        free(evs);
        free(ids);
        free(dates);
        yyjson_doc_free(page.doc);
        return 0;
}
