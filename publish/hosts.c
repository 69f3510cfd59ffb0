#include "hosts.h"

#include <stdlib.h>
#include <string.h>

#include "cb_map.h"

typedef struct host {
        UT_hash_handle hh;
        size_t active;
        publish_job_t *head, *tail; /* waiting, linked by next */
        char key[];
} host_t;

struct publish_hosts {
        host_t *map;
        size_t limit, waiting, active;
};

publish_hosts_t *publish_hosts_new(size_t limit)
{
        publish_hosts_t *h = calloc(1, sizeof(*h));

        if (h)
                h->limit = limit ? limit : 1;
        return h;
}

void publish_hosts_destroy(publish_hosts_t *h)
{
        host_t *e, *tmp;

        if (!h)
                return;
        HASH_ITER(hh, h->map, e, tmp)
        {
                HASH_DEL(h->map, e);
                free(e);
        }
        free(h);
}

/* The entry of key, made when missing; NULL when out of memory. */
static host_t *entry(publish_hosts_t *h, const char *key)
{
        host_t *e;
        size_t n = strlen(key);

        HASH_FIND(hh, h->map, key, n, e);
        if (e)
                return e;
        e = calloc(1, sizeof(*e) + n + 1);
        if (!e)
                return NULL;
        memcpy(e->key, key, n + 1);
        map_add_failed = 0;
        HASH_ADD(hh, h->map, key[0], n, e);
        if (map_add_failed) {
                free(e);
                return NULL;
        }
        return e;
}

int publish_hosts_admit(publish_hosts_t *h, publish_job_t *job)
{
        host_t *e = job->dest ? entry(h, job->dest) : NULL;

        job->host = e;
        if (!e)
                return 1;
        if (e->active < h->limit) {
                e->active++;
                h->active++;
                return 1;
        }
        job->next = NULL;
        if (e->tail)
                e->tail->next = job;
        else
                e->head = job;
        e->tail = job;
        h->waiting++;
        return 0;
}

publish_job_t *publish_hosts_release(publish_hosts_t *h, publish_job_t *job)
{
        host_t *e = job->host;
        publish_job_t *next;

        job->host = NULL;
        if (!e)
                return NULL;
        next = e->head;
        if (next) { /* it takes job's place: the count stays */
                e->head = next->next;
                if (!e->head)
                        e->tail = NULL;
                next->next = NULL;
                h->waiting--;
                return next;
        }
        e->active--;
        h->active--;
        if (!e->active) { /* nothing left of it: a destination seen once is not kept for ever */
                HASH_DEL(h->map, e);
                free(e);
        }
        return NULL;
}

publish_job_t *publish_hosts_take_all(publish_hosts_t *h)
{
        publish_job_t *all = NULL, **tail = &all;
        host_t *e, *tmp;

        HASH_ITER(hh, h->map, e, tmp)
        {
                if (!e->head)
                        continue;
                *tail = e->head;
                tail = &e->tail->next;
                e->head = e->tail = NULL;
        }
        h->waiting = 0;
        return all;
}

size_t publish_hosts_waiting(const publish_hosts_t *h)
{
        return h->waiting;
}

size_t publish_hosts_active(const publish_hosts_t *h)
{
        return h->active;
}
