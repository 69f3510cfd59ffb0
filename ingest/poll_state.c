#include "poll_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cb_json.h"
#include "cb_time.h"

void ingest_poll_state_init(ingest_poll_state_t *st, int64_t start_us)
{
        memset(st, 0, sizeof(*st));
        st->from_us = start_us;
}

void ingest_poll_state_fini(ingest_poll_state_t *st)
{
        size_t i;

        for (i = 0; i < st->nseen; i++)
                free(st->seen[i]);
        free(st->seen);
        memset(st, 0, sizeof(*st));
}

/* Appends a copy of key to st->seen, duplicates and order aside (settle sorts them out).
 * Returns 0, or -1 when out of memory. */
static int push_seen(ingest_poll_state_t *st, const char *key)
{
        char **more, *copy;

        if (st->nseen == st->cap) {
                more = realloc(st->seen, (st->cap ? st->cap * 2 : 16) * sizeof(*more));
                if (!more)
                        return -1;
                st->seen = more;
                st->cap = st->cap ? st->cap * 2 : 16;
        }
        copy = strdup(key);
        if (!copy)
                return -1;
        st->seen[st->nseen++] = copy;
        return 0;
}

static int cmp_keys(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts st->seen and drops its duplicates: a busy account has thousands of events in the
 * overlap window, and each is looked up once a poll. */
static void settle(ingest_poll_state_t *st)
{
        size_t i, n = 0;

        if (st->nseen)
                qsort(st->seen, st->nseen, sizeof(*st->seen), cmp_keys);
        for (i = 0; i < st->nseen; i++) {
                if (n && !strcmp(st->seen[n - 1], st->seen[i]))
                        free(st->seen[i]);
                else
                        st->seen[n++] = st->seen[i];
        }
        st->nseen = n;
}

int ingest_poll_state_copy(ingest_poll_state_t *dst, const ingest_poll_state_t *src)
{
        size_t i;

        ingest_poll_state_init(dst, src->from_us);
        for (i = 0; i < src->nseen; i++) {
                if (push_seen(dst, src->seen[i])) {
                        ingest_poll_state_fini(dst);
                        return -1;
                }
        }
        return 0; /* src is settled, and so is its copy */
}

/* The date part (µs) of a seen key. */
static int64_t seen_date(const char *key)
{
        const char *at = strrchr(key, '@');

        return at ? strtoll(at + 1, NULL, 10) : 0;
}

int ingest_poll_state_parse(ingest_poll_state_t *st, const char *text, size_t len,
                            int64_t fallback_us)
{
        json_object *root, *from, *seen, *key;
        char err[128];
        size_t i, n;
        int64_t us;

        ingest_poll_state_init(st, fallback_us);
        root = cb_json_parse(text, len, err, sizeof(err));
        if (!json_object_object_get_ex(root, "from", &from) ||
            cb_time_parse(json_object_get_string(from), &us) ||
            !json_object_object_get_ex(root, "seen", &seen) ||
            !json_object_is_type(seen, json_type_array)) {
                json_object_put(root);
                return -1;
        }
        st->from_us = us;
        n = json_object_array_length(seen);
        for (i = 0; i < n; i++) {
                /* a null key would be a NULL string */
                key = json_object_array_get_idx(seen, i);
                if (!json_object_is_type(key, json_type_string) ||
                    push_seen(st, json_object_get_string(key))) {
                        json_object_put(root);
                        ingest_poll_state_fini(st);
                        ingest_poll_state_init(st, fallback_us);
                        return -1;
                }
        }
        json_object_put(root);
        settle(st);
        return 0;
}

char *ingest_poll_state_format(const ingest_poll_state_t *st)
{
        json_object *root = json_object_new_object(), *seen = json_object_new_array();
        char from[40], *out = NULL;
        size_t i;

        /* microseconds matter here: write them all */
        if (!root || !seen || cb_time_format_us(st->from_us, from, sizeof(from))) {
                json_object_put(seen);
                goto done;
        }
        json_object_object_add(root, "from", json_object_new_string(from));
        for (i = 0; i < st->nseen; i++)
                json_object_array_add(seen, json_object_new_string(st->seen[i]));
        json_object_object_add(root, "seen", seen);
        out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
done:
        json_object_put(root);
        return out;
}

int ingest_poll_state_is_new(const ingest_poll_state_t *st, const char *id, int64_t date_us)
{
        char key[160];
        const char *k = key;

        snprintf(key, sizeof(key), "%s@%lld", id, (long long)date_us);
        return !st->nseen || !bsearch(&k, st->seen, st->nseen, sizeof(*st->seen), cmp_keys);
}

int ingest_poll_state_advance(ingest_poll_state_t *st, const char *const *ids, const int64_t *dates,
                              size_t n, int64_t now_us, int64_t overlap_us)
{
        ingest_poll_state_t next;
        int64_t newest = st->from_us, from;
        char key[160];
        size_t i;

        for (i = 0; i < n; i++)
                if (dates[i] > newest)
                        newest = dates[i];
        from = newest < now_us - overlap_us ? newest : now_us - overlap_us;
        if (from < st->from_us)
                from = st->from_us;
        ingest_poll_state_init(&next, from);
        for (i = 0; i < st->nseen; i++)
                if (seen_date(st->seen[i]) >= from && push_seen(&next, st->seen[i]))
                        goto fail;
        for (i = 0; i < n; i++) {
                if (dates[i] < from)
                        continue;
                snprintf(key, sizeof(key), "%s@%lld", ids[i], (long long)dates[i]);
                if (push_seen(&next, key))
                        goto fail;
        }
        settle(&next);
        ingest_poll_state_fini(st);
        *st = next;
        return 0;
fail:
        ingest_poll_state_fini(&next);
        return -1;
}
