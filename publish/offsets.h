/* publish offsets: which offset of each partition may be committed.
 *
 * Deliveries finish out of order; a partition's offset may only move past a message once it
 * and every message before it reached a final state (delivered, moved on to a retry topic or
 * the dead-letter topic and acknowledged there, or skipped). Pure bookkeeping, one thread. */
#ifndef PUBLISH_OFFSETS_H
#define PUBLISH_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

typedef struct publish_offsets publish_offsets_t;

publish_offsets_t *publish_offsets_new(void);
void publish_offsets_destroy(publish_offsets_t *o);

/* Records offset of topic/partition as taken and not final. Offsets of a partition must come
 * in increasing order (as a consumer reads them). Returns 0, or -1 when out of memory. */
int publish_offsets_track(publish_offsets_t *o, const char *topic, int32_t partition,
                          int64_t offset);

/* Marks offset final. Returns the offset to commit now (one past the last of the final prefix)
 * when that moved, else -1 (also for an offset not tracked, e.g. after a revoke). */
int64_t publish_offsets_done(publish_offsets_t *o, const char *topic, int32_t partition,
                             int64_t offset);

/* Forgets a partition (revoked or lost): later publish_offsets_done calls for it return -1. */
void publish_offsets_forget(publish_offsets_t *o, const char *topic, int32_t partition);

/* Messages taken and not yet final, over all partitions. */
size_t publish_offsets_pending(const publish_offsets_t *o);

#endif
