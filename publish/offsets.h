/* publish offsets: which offset of each partition may be committed.
 *
 * Deliveries finish out of order; a partition's offset may only move past a message once it
 * and every message before it reached a final state (delivered, moved on to a retry topic or
 * the dead-letter topic and acknowledged there, or skipped). Pure bookkeeping, one thread.
 *
 * What is final beyond that offset goes into the commit's metadata ("cb1" and offsets relative
 * to the committed one, in ranges: "cb1,0-5,9"), so a member that takes the partition over
 * after a crash skips what was delivered but not yet under the committed offset, instead of
 * delivering it again (the technique of Confluent's parallel consumer). */
#ifndef PUBLISH_OFFSETS_H
#define PUBLISH_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

typedef struct publish_offsets publish_offsets_t;

publish_offsets_t *publish_offsets_new(void);
void publish_offsets_destroy(publish_offsets_t *o);

/* The most a commit's metadata holds here: under the broker's offset.metadata.max.bytes (4096
 * by default); what does not fit is delivered again after a crash, as without metadata. */
#define PUBLISH_OFFSETS_META_MAX 3072

/* Records offset of topic/partition as taken. Offsets of a partition must come in increasing
 * order (as a consumer reads them). Returns 0 (not final), 1 when the partition's restored
 * metadata says it is final already (then it is tracked as final: nothing to do with it), or
 * -1 when out of memory. */
int publish_offsets_track(publish_offsets_t *o, const char *topic, int32_t partition,
                          int64_t offset);

/* Marks offset final. Returns the offset to commit now (one past the last of the final prefix)
 * when that moved, else -1 (also for an offset not tracked, e.g. after a revoke). */
int64_t publish_offsets_done(publish_offsets_t *o, const char *topic, int32_t partition,
                             int64_t offset);

/* Starts topic/partition from what its last owner committed: offset and metadata (NULL or
 * not ours: none). Call on assignment, before its messages are tracked. Returns 0, or -1 when
 * out of memory. */
int publish_offsets_restore(publish_offsets_t *o, const char *topic, int32_t partition,
                            int64_t offset, const char *meta, size_t meta_len);

/* Partitions tracked (the i of publish_offsets_position). */
size_t publish_offsets_count(const publish_offsets_t *o);

/* The i-th partition's position to commit: *topic (borrowed from o until it changes),
 * *partition, *offset and meta (NUL-terminated, at most PUBLISH_OFFSETS_META_MAX - 1 bytes
 * plus the NUL; meta_size must be PUBLISH_OFFSETS_META_MAX). Returns 1 when written, 0 when
 * there is nothing to commit: no position known yet, or, with changed_only, nothing changed
 * since it was last written. */
int publish_offsets_position(publish_offsets_t *o, size_t i, int changed_only, const char **topic,
                             int32_t *partition, int64_t *offset, char *meta, size_t meta_size);

/* Forgets a partition (revoked or lost): later publish_offsets_done calls for it return -1. */
void publish_offsets_forget(publish_offsets_t *o, const char *topic, int32_t partition);

/* Messages taken and not yet final, over all partitions. */
size_t publish_offsets_pending(const publish_offsets_t *o);

#endif
