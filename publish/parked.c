#include "parked.h"

#include <stdlib.h>
#include <string.h>

typedef struct part {
        char *topic;
        int32_t partition;
        publish_item_t *head, *tail;
} part_t;

struct publish_parked {
        part_t *parts; /* few: one per assigned retry-topic partition ever held */
        size_t n;
};

publish_parked_t *publish_parked_new(void)
{
        return calloc(1, sizeof(publish_parked_t));
}

void publish_parked_destroy(publish_parked_t *p)
{
        if (!p)
                return;
        publish_parked_clear(p, NULL, NULL);
        free(p);
}

static part_t *part_of(publish_parked_t *p, const char *topic, int32_t partition)
{
        part_t *grown;
        size_t i;

        for (i = 0; i < p->n; i++)
                if (p->parts[i].partition == partition && !strcmp(p->parts[i].topic, topic))
                        return &p->parts[i];
        grown = realloc(p->parts, (p->n + 1) * sizeof(*grown));
        if (!grown)
                return NULL;
        p->parts = grown;
        memset(&grown[p->n], 0, sizeof(*grown));
        grown[p->n].topic = strdup(topic);
        grown[p->n].partition = partition;
        if (!grown[p->n].topic)
                return NULL;
        return &p->parts[p->n++];
}

int publish_parked_hold(publish_parked_t *p, const char *topic, int32_t partition,
                        publish_item_t *it)
{
        part_t *h = part_of(p, topic, partition);
        int first;

        if (!h)
                return -1;
        first = !h->head;
        it->next = NULL;
        if (h->tail)
                h->tail->next = it;
        else
                h->head = it;
        h->tail = it;
        return first;
}

publish_item_t *publish_parked_take_due(publish_parked_t *p, int64_t now, const char **topic,
                                        int32_t *partition, int *empty)
{
        publish_item_t *it;
        size_t i;

        for (i = 0; i < p->n; i++) {
                part_t *h = &p->parts[i];
                if (!(it = h->head) || it->due_ms > now)
                        continue;
                h->head = it->next;
                if (!h->head)
                        h->tail = NULL;
                it->next = NULL;
                *topic = h->topic;
                *partition = h->partition;
                *empty = !h->head;
                return it;
        }
        return NULL;
}

int64_t publish_parked_wait(const publish_parked_t *p, int64_t now, int64_t max)
{
        int64_t wait = max;
        size_t i;

        for (i = 0; i < p->n; i++)
                if (p->parts[i].head && p->parts[i].head->due_ms - now < wait)
                        wait = p->parts[i].head->due_ms - now;
        return wait > 0 ? wait : 0;
}

void publish_parked_clear(publish_parked_t *p,
                          void (*resume)(void *opaque, const char *topic, int32_t partition),
                          void *opaque)
{
        publish_item_t *it, *next;
        size_t i;

        for (i = 0; i < p->n; i++) {
                if (p->parts[i].head && resume)
                        resume(opaque, p->parts[i].topic, p->parts[i].partition);
                for (it = p->parts[i].head; it; it = next) {
                        next = it->next;
                        publish_item_free(it);
                }
                free(p->parts[i].topic);
        }
        free(p->parts);
        p->parts = NULL;
        p->n = 0;
}
