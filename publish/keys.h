/* publish keys: per-key ordering. Events of one Close object (one key: instance id and
 * subject) are never in flight at once: the first of a key is being delivered, the others
 * wait behind it in arrival order. Pure bookkeeping, one thread; items stay owned by the
 * caller (the queue only links them through their next field while they wait). */
#ifndef PUBLISH_KEYS_H
#define PUBLISH_KEYS_H

#include <stddef.h>

#include "item.h"

typedef struct publish_keys publish_keys_t;

/* Returns NULL when out of memory. */
publish_keys_t *publish_keys_new(void);

/* Frees the table; items still queued are not freed (their holders free them). */
void publish_keys_destroy(publish_keys_t *k);

/* Queues it (it->key set) behind the others of its key. Returns 1 when it is the first of its
 * key (deliver it now), 0 when it waits, -1 when out of memory (deliver it now, unguarded). */
int publish_keys_add(publish_keys_t *k, publish_item_t *it);

/* it's attempt is over (call before it may be freed): when it was the first of its key, the
 * next of that key is first now and returned (deliver it), else NULL. Unknown items: NULL. */
publish_item_t *publish_keys_release(publish_keys_t *k, publish_item_t *it);

/* Keys with an item in flight or waiting. */
size_t publish_keys_count(const publish_keys_t *k);

#endif
