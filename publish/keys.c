#include "keys.h"

#include <stdlib.h>
#include <string.h>

#include "cb_map.h"

typedef struct entry {
        UT_hash_handle hh;
        publish_item_t *head, *tail; /* head: in flight; the rest wait */
        char key[];
} entry_t;

struct publish_keys {
        entry_t *entries; /* uthash head */
};

publish_keys_t *publish_keys_new(void)
{
        return calloc(1, sizeof(publish_keys_t));
}

void publish_keys_destroy(publish_keys_t *k)
{
        entry_t *e, *tmp;

        if (!k)
                return;
        HASH_ITER(hh, k->entries, e, tmp)
        {
                HASH_DEL(k->entries, e);
                free(e);
        }
        free(k);
}

int publish_keys_add(publish_keys_t *k, publish_item_t *it)
{
        entry_t *e;
        size_t len = strlen(it->key);

        it->next = NULL;
        HASH_FIND(hh, k->entries, it->key, len, e);
        if (e) {
                e->tail->next = it;
                e->tail = it;
                return 0;
        }
        e = malloc(sizeof(*e) + len + 1);
        if (!e)
                return -1;
        memcpy(e->key, it->key, len + 1);
        e->head = e->tail = it;
        map_add_failed = 0;
        HASH_ADD_KEYPTR(hh, k->entries, e->key, len, e);
        if (map_add_failed) {
                free(e);
                return -1;
        }
        return 1;
}

publish_item_t *publish_keys_release(publish_keys_t *k, publish_item_t *it)
{
        entry_t *e;
        publish_item_t *next;

        if (!it->key)
                return NULL;
        HASH_FIND(hh, k->entries, it->key, strlen(it->key), e);
        if (!e || e->head != it)
                return NULL;
        next = it->next;
        it->next = NULL;
        e->head = next;
        if (!next) {
                HASH_DEL(k->entries, e);
                free(e);
        }
        return next;
}

size_t publish_keys_count(const publish_keys_t *k)
{
        return HASH_COUNT(k->entries);
}
