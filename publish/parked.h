/* publish parked: retry-topic items held until they are due. Each retry topic has one delay,
 * so what follows a held item on its partition is due later: the partition stays paused while
 * anything of it is held, and nothing behind it is fetched meanwhile. Pure bookkeeping, one
 * thread: the caller pauses and resumes partitions as the results say. Held items are owned
 * here until taken. */
#ifndef PUBLISH_PARKED_H
#define PUBLISH_PARKED_H

#include <stdint.h>

#include "item.h"

typedef struct publish_parked publish_parked_t;

/* Returns NULL when out of memory. */
publish_parked_t *publish_parked_new(void);

/* Frees every held item and the table. */
void publish_parked_destroy(publish_parked_t *p);

/* Holds it, of topic/partition, until it->due_ms, behind what that partition holds already.
 * Returns 1 when the partition held nothing before (pause it), 0 when it did, or -1 when out
 * of memory (not held: the caller still owns it). */
int publish_parked_hold(publish_parked_t *p, const char *topic, int32_t partition,
                        publish_item_t *it);

/* Takes the first held item due at now (the caller owns it), or NULL when none is. *topic
 * (borrowed from p until publish_parked_clear) and *partition name its partition; *empty is
 * 1 when that partition holds nothing more (resume it). */
publish_item_t *publish_parked_take_due(publish_parked_t *p, int64_t now, const char **topic,
                                        int32_t *partition, int *empty);

/* Milliseconds from now until the next held item is due (0 when one is), at most max. */
int64_t publish_parked_wait(const publish_parked_t *p, int64_t now, int64_t max);

/* Frees every held item and forgets the partitions; resume (when not NULL) is called for each
 * partition that held something, before it is forgotten. */
void publish_parked_clear(publish_parked_t *p,
                          void (*resume)(void *opaque, const char *topic, int32_t partition),
                          void *opaque);

#endif
