/* Fuzz target: the poll state record, a value of the closeio.poller.state topic, as the poller
 * reads it when it takes an instance over (ingest/poll_walk.c, ensure_state).
 *
 *   ingest_poll_state_parse (json-c) -> _format -> _parse
 *   then _copy and _advance with the events the state names, seen again a second later
 *
 * and what the walk depends on: a record refused leaves the fallback state, empty; one taken
 * holds its "seen" keys sorted without duplicates, every key of the form id@date that it holds
 * (as short as the walk writes them) is not new, it is written back as a record that reads as the
 * same state, and an advance keeps those sorting and start rules (never back, never closer to now
 * than the overlap) with every event it was given at or after the new start no longer new. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "poll_state.h"

#define FALLBACK_US 1495144526451000LL /* 2017-05-18T21:55:26.451Z */
#define OVERLAP_US  (600 * 1000000LL)

/* 1 when st holds each key once, in strcmp order. */
static int settled(const ingest_poll_state_t *st)
{
        size_t i;

        for (i = 1; i < st->nseen; i++)
                if (strcmp(st->seen[i - 1], st->seen[i]) >= 0)
                        return 0;
        return 1;
}

/* Splits key, "id@date" as the state writes it, into id (of at most size - 1 bytes) and date.
 * Returns 0, or -1 when key is not of that form (digits after its last '@', written back the
 * same by "%lld"). */
static int split_key(const char *key, char *id, size_t size, int64_t *date)
{
        const char *at = strrchr(key, '@');
        char *end, again[24];
        long long v;

        if (!at || (size_t)(at - key) >= size || at[1] < '0' || at[1] > '9')
                return -1;
        v = strtoll(at + 1, &end, 10);
        snprintf(again, sizeof(again), "%lld", v);
        if (*end || strcmp(again, at + 1))
                return -1;
        memcpy(id, key, (size_t)(at - key));
        id[at - key] = '\0';
        *date = v;
        return 0;
}

static void check_same(const ingest_poll_state_t *a, const ingest_poll_state_t *b)
{
        size_t i;

        FUZZ_CHECK(a->from_us == b->from_us && a->nseen == b->nseen);
        for (i = 0; i < a->nseen; i++)
                FUZZ_CHECK(!strcmp(a->seen[i], b->seen[i]));
}

/* Advances a copy of st over the events its keys name, each seen again one second later. */
static void check_advance(const ingest_poll_state_t *st)
{
        ingest_poll_state_t next;
        char **idbuf = calloc(st->nseen + 1, sizeof(*idbuf));
        const char **ids = calloc(st->nseen + 1, sizeof(*ids));
        int64_t *dates = calloc(st->nseen + 1, sizeof(*dates)), now, bound;
        size_t i, n = 0;

        FUZZ_CHECK(idbuf && ids && dates);
        for (i = 0; i < st->nseen; i++) {
                idbuf[n] = malloc(strlen(st->seen[i]) + 1);
                FUZZ_CHECK(idbuf[n]);
                if (split_key(st->seen[i], idbuf[n], strlen(st->seen[i]) + 1, &dates[n]) ||
                    dates[n] > INT64_MAX - 1000000) {
                        free(idbuf[n]);
                        continue;
                }
                ids[n] = idbuf[n];
                dates[n] += 1000000;
                n++;
        }
        now = st->from_us < INT64_MAX - 2 * OVERLAP_US ? st->from_us + 2 * OVERLAP_US : INT64_MAX;
        FUZZ_CHECK(ingest_poll_state_copy(&next, st) == 0);
        check_same(&next, st);
        FUZZ_CHECK(ingest_poll_state_advance(&next, ids, dates, n, now, OVERLAP_US) == 0);
        bound = now - OVERLAP_US > st->from_us ? now - OVERLAP_US : st->from_us;
        FUZZ_CHECK(next.from_us >= st->from_us && next.from_us <= bound);
        FUZZ_CHECK(settled(&next));
        for (i = 0; i < n; i++)
                FUZZ_CHECK(dates[i] < next.from_us ||
                           !ingest_poll_state_is_new(&next, ids[i], dates[i]));
        ingest_poll_state_fini(&next);
        for (i = 0; i < n; i++)
                free(idbuf[i]);
        free(idbuf);
        free(ids);
        free(dates);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        ingest_poll_state_t st, back;
        char id[160], *json;
        int64_t date;
        size_t i;

        if (ingest_poll_state_parse(&st, (const char *)data, size, FALLBACK_US)) {
                FUZZ_CHECK(st.from_us == FALLBACK_US && st.nseen == 0);
                ingest_poll_state_fini(&st);
                return 0;
        }
        FUZZ_CHECK(settled(&st));
        /* keys as the walk writes them: an event id of at most 64 bytes, '@', a date */
        for (i = 0; i < st.nseen; i++)
                if (strlen(st.seen[i]) < sizeof(id) &&
                    !split_key(st.seen[i], id, sizeof(id), &date))
                        FUZZ_CHECK(!ingest_poll_state_is_new(&st, id, date));
        /* the record the next transaction writes */
        json = ingest_poll_state_format(&st);
        FUZZ_CHECK(json != NULL);
        FUZZ_CHECK(ingest_poll_state_parse(&back, json, strlen(json), 0) == 0);
        check_same(&back, &st);
        ingest_poll_state_fini(&back);
        free(json);
        check_advance(&st);
        ingest_poll_state_fini(&st);
        return 0;
}
