#include "offsets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
        int64_t offset;
        int done;
} entry_t;

/* One partition: a ring of the offsets taken and not yet under the final prefix, oldest
 * first; where the final prefix ends; and the offsets its last owner had finished beyond what
 * it committed (from the metadata), not yet taken. */
typedef struct part {
        char *topic;
        int32_t partition;
        entry_t *ring;
        size_t cap, head, len;
        int64_t frontier; /* the next offset not final; -1: not known yet */
        int changed;      /* since the position was last written */
        int64_t *skip;    /* restored final offsets, increasing */
        size_t nskip, skip_at;
} part_t;

struct publish_offsets {
        part_t *parts;
        size_t nparts;
        size_t pending;
};

publish_offsets_t *publish_offsets_new(void)
{
        return calloc(1, sizeof(publish_offsets_t));
}

static void part_fini(part_t *p)
{
        free(p->topic);
        free(p->ring);
        free(p->skip);
}

void publish_offsets_destroy(publish_offsets_t *o)
{
        size_t i;

        if (!o)
                return;
        for (i = 0; i < o->nparts; i++)
                part_fini(&o->parts[i]);
        free(o->parts);
        free(o);
}

static part_t *find(const publish_offsets_t *o, const char *topic, int32_t partition)
{
        size_t i;

        for (i = 0; i < o->nparts; i++)
                if (o->parts[i].partition == partition && !strcmp(o->parts[i].topic, topic))
                        return &o->parts[i];
        return NULL;
}

static entry_t *at(part_t *p, size_t i)
{
        return &p->ring[(p->head + i) % p->cap];
}

/* The partition, added when missing. NULL when out of memory. */
static part_t *get(publish_offsets_t *o, const char *topic, int32_t partition)
{
        part_t *p = find(o, topic, partition), *parts;

        if (p)
                return p;
        parts = realloc(o->parts, (o->nparts + 1) * sizeof(*parts));
        if (!parts)
                return NULL;
        o->parts = parts;
        p = &o->parts[o->nparts];
        memset(p, 0, sizeof(*p));
        p->topic = strdup(topic);
        if (!p->topic)
                return NULL;
        p->partition = partition;
        p->frontier = -1;
        o->nparts++;
        return p;
}

int publish_offsets_track(publish_offsets_t *o, const char *topic, int32_t partition,
                          int64_t offset)
{
        part_t *p = get(o, topic, partition);
        entry_t *ring;
        size_t i;
        int final = 0;

        if (!p)
                return -1;
        if (p->len == p->cap) {
                ring = malloc((p->cap ? p->cap * 2 : 64) * sizeof(*ring));
                if (!ring)
                        return -1;
                for (i = 0; i < p->len; i++)
                        ring[i] = *at(p, i);
                free(p->ring);
                p->ring = ring;
                p->cap = p->cap ? p->cap * 2 : 64;
                p->head = 0;
        }
        while (p->skip_at < p->nskip && p->skip[p->skip_at] < offset)
                p->skip_at++;
        if (p->skip_at < p->nskip && p->skip[p->skip_at] == offset) {
                p->skip_at++;
                final = 1;
        }
        if (p->frontier < 0)
                p->frontier = offset;
        *at(p, p->len) = (entry_t){offset, 0};
        p->len++;
        o->pending++;
        if (final)
                publish_offsets_done(o, topic, partition, offset);
        return final;
}

int64_t publish_offsets_done(publish_offsets_t *o, const char *topic, int32_t partition,
                             int64_t offset)
{
        part_t *p = find(o, topic, partition);
        size_t lo = 0, hi, mid;
        int64_t commit = -1;

        if (!p || !p->len)
                return -1;
        /* offsets are increasing along the ring: binary search */
        hi = p->len;
        while (lo < hi) {
                mid = (lo + hi) / 2;
                if (at(p, mid)->offset < offset)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo == p->len || at(p, lo)->offset != offset || at(p, lo)->done)
                return -1;
        at(p, lo)->done = 1;
        o->pending--;
        p->changed = 1;
        while (p->len && at(p, 0)->done) {
                commit = at(p, 0)->offset + 1;
                p->head = (p->head + 1) % p->cap;
                p->len--;
        }
        if (commit >= 0)
                p->frontier = commit;
        return commit;
}

int publish_offsets_restore(publish_offsets_t *o, const char *topic, int32_t partition,
                            int64_t offset, const char *meta, size_t meta_len)
{
        part_t *p = get(o, topic, partition);
        char text[PUBLISH_OFFSETS_META_MAX], *s, *end;
        long long a, b;
        int64_t *skip;

        if (!p)
                return -1;
        p->frontier = offset >= 0 ? offset : -1;
        if (!meta || offset < 0 || meta_len < 3 || meta_len >= sizeof(text) ||
            memcmp(meta, "cb1", 3))
                return 0;
        memcpy(text, meta, meta_len);
        text[meta_len] = '\0';
        for (s = text + 3; *s == ',';) {
                a = strtoll(s + 1, &end, 10);
                b = *end == '-' ? strtoll(end + 1, &end, 10) : a;
                if (end == s + 1 || a < 0 || b < a || b - a > 1000000 ||
                    (p->nskip && offset + a <= p->skip[p->nskip - 1]))
                        break; /* not ours after all: what was read so far is good */
                skip = realloc(p->skip, (p->nskip + (size_t)(b - a) + 1) * sizeof(*skip));
                if (!skip)
                        return -1;
                p->skip = skip;
                for (; a <= b; a++)
                        p->skip[p->nskip++] = offset + a;
                s = end;
        }
        return 0;
}

size_t publish_offsets_count(const publish_offsets_t *o)
{
        return o->nparts;
}

/* Appends the range [a, b] (relative) to meta at *len, when it fits. Returns 0, or -1. */
static int put_range(char *meta, size_t size, size_t *len, int64_t a, int64_t b)
{
        int n = a == b
                    ? snprintf(meta + *len, size - *len, ",%lld", (long long)a)
                    : snprintf(meta + *len, size - *len, ",%lld-%lld", (long long)a, (long long)b);

        if (n < 0 || (size_t)n >= size - *len) {
                meta[*len] = '\0';
                return -1;
        }
        *len += (size_t)n;
        return 0;
}

int publish_offsets_position(publish_offsets_t *o, size_t i, int changed_only, const char **topic,
                             int32_t *partition, int64_t *offset, char *meta, size_t meta_size)
{
        part_t *p = &o->parts[i];
        int64_t off, lo = -1, hi = -1;
        size_t k, len = 3, n;
        int open, done; /* open: a range lo..hi is being extended */

        if (p->frontier < 0 || (changed_only && !p->changed))
                return 0;
        *topic = p->topic;
        *partition = p->partition;
        *offset = p->frontier;
        memcpy(meta, "cb1", 4);
        /* The final offsets beyond the frontier, as ranges of consecutive offsets: the ring's
           done ones, then the restored ones not taken yet (all beyond the ring). An offset
           missing from the ring (a transaction marker, a compacted record) ends a range: only
           what was seen final is said to be. */
        n = p->len + (p->nskip - p->skip_at);
        for (k = 0, open = 0; k < n; k++) {
                done = k >= p->len || at(p, k)->done;
                off = (k < p->len ? at(p, k)->offset : p->skip[p->skip_at + k - p->len]) -
                      p->frontier;
                if (open && done && off == hi + 1) {
                        hi = off;
                        continue;
                }
                if (open && put_range(meta, meta_size, &len, lo, hi))
                        break; /* full: the rest is delivered again after a crash */
                open = done;
                lo = hi = off;
        }
        if (open && k == n)
                put_range(meta, meta_size, &len, lo, hi);
        if (len == 3)
                meta[0] = '\0'; /* nothing beyond: no metadata */
        p->changed = 0;
        return 1;
}

void publish_offsets_forget(publish_offsets_t *o, const char *topic, int32_t partition)
{
        part_t *p = find(o, topic, partition);
        size_t i;

        if (!p)
                return;
        for (i = 0; i < p->len; i++)
                if (!at(p, i)->done)
                        o->pending--;
        part_fini(p);
        *p = o->parts[--o->nparts];
}

size_t publish_offsets_pending(const publish_offsets_t *o)
{
        return o->pending;
}
