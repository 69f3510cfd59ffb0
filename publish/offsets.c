#include "offsets.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
        int64_t offset;
        int done;
} entry_t;

/* One partition: a ring of the offsets taken, oldest first. */
typedef struct part {
        char *topic;
        int32_t partition;
        entry_t *ring;
        size_t cap, head, len;
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

int publish_offsets_track(publish_offsets_t *o, const char *topic, int32_t partition,
                          int64_t offset)
{
        part_t *p = find(o, topic, partition), *parts;
        entry_t *ring;
        size_t i;

        if (!p) {
                parts = realloc(o->parts, (o->nparts + 1) * sizeof(*parts));
                if (!parts)
                        return -1;
                o->parts = parts;
                p = &o->parts[o->nparts];
                memset(p, 0, sizeof(*p));
                p->topic = strdup(topic);
                if (!p->topic)
                        return -1;
                p->partition = partition;
                o->nparts++;
        }
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
        *at(p, p->len) = (entry_t){offset, 0};
        p->len++;
        o->pending++;
        return 0;
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
        while (p->len && at(p, 0)->done) {
                commit = at(p, 0)->offset + 1;
                p->head = (p->head + 1) % p->cap;
                p->len--;
        }
        return commit;
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
