#include "cb_turns.h"

#include <stdlib.h>
#include <string.h>

#include "cb_map.h"

typedef struct entry {
        UT_hash_handle hh;
        size_t going;
        cb_turn_t *head, *tail; /* waiting, linked by next */
        char key[];
} entry_t;

struct cb_turns {
        entry_t *map;
        size_t limit, waiting, going;
};

cb_turns_t *cb_turns_new(size_t limit)
{
        cb_turns_t *t = calloc(1, sizeof(*t));

        if (t)
                t->limit = limit ? limit : 1;
        return t;
}

void cb_turns_destroy(cb_turns_t *t)
{
        entry_t *e, *tmp;

        if (!t)
                return;
        HASH_ITER(hh, t->map, e, tmp)
        {
                HASH_DEL(t->map, e);
                free(e);
        }
        free(t);
}

/* The entry of key, made when missing; NULL when out of memory. */
static entry_t *entry(cb_turns_t *t, const char *key)
{
        entry_t *e;
        size_t n = strlen(key);

        HASH_FIND(hh, t->map, key, n, e);
        if (e)
                return e;
        e = calloc(1, sizeof(*e) + n + 1);
        if (!e)
                return NULL;
        memcpy(e->key, key, n + 1);
        map_add_failed = 0;
        HASH_ADD(hh, t->map, key[0], n, e);
        if (map_add_failed) {
                free(e);
                return NULL;
        }
        return e;
}

int cb_turns_admit(cb_turns_t *t, const char *key, cb_turn_t *turn)
{
        entry_t *e;

        *turn = (cb_turn_t){0};
        if (!key)
                return 1;
        if (!(e = entry(t, key)))
                return -1;
        turn->entry = e;
        if (e->going < t->limit) {
                e->going++;
                t->going++;
                turn->going = 1;
                return 1;
        }
        if (e->tail)
                e->tail->next = turn;
        else
                e->head = turn;
        e->tail = turn;
        t->waiting++;
        return 0;
}

cb_turn_t *cb_turns_release(cb_turns_t *t, cb_turn_t *turn)
{
        entry_t *e = turn->entry;
        cb_turn_t *next;

        if (!e || !turn->going)
                return NULL;
        *turn = (cb_turn_t){0};
        if ((next = e->head)) { /* it takes the ended turn's place: the count stays */
                e->head = next->next;
                if (!e->head)
                        e->tail = NULL;
                next->next = NULL;
                next->going = 1;
                t->waiting--;
                return next;
        }
        e->going--;
        t->going--;
        if (!e->going) { /* nothing left of it: a key seen once is not kept for ever */
                HASH_DEL(t->map, e);
                free(e);
        }
        return NULL;
}

cb_turn_t *cb_turns_take_waiting(cb_turns_t *t)
{
        cb_turn_t *all = NULL, **tail = &all, *turn;
        entry_t *e, *tmp;

        HASH_ITER(hh, t->map, e, tmp)
        {
                for (turn = e->head; turn; turn = turn->next) {
                        turn->entry = NULL;
                        *tail = turn;
                        tail = &turn->next;
                }
                e->head = e->tail = NULL;
        }
        *tail = NULL;
        t->waiting = 0;
        return all;
}

size_t cb_turns_keys(const cb_turns_t *t)
{
        return HASH_COUNT(t->map);
}

size_t cb_turns_waiting(const cb_turns_t *t)
{
        return t->waiting;
}

size_t cb_turns_going(const cb_turns_t *t)
{
        return t->going;
}
