/* cb map: uthash (Debian uthash-dev, header only), the project's hash maps (common/cb_table.c,
 * ingest/poller.c, poll_stored.c, cb_turns.c, publish/lookup.c, breaker.c), without its default of
 * exit() on a failed allocation: an add that cannot allocate leaves the element out of the
 * table and sets map_add_failed, which the caller clears before the add and checks after. Every
 * .c file that includes it, itself or through a header, gets a flag of its own, and every thread
 * its own copy of it: one file's tables may be used by several threads at once (cb_turns: the
 * consume loop's per-key ordering and the delivery engine's admission; a shared flag there was a
 * data race ThreadSanitizer found). A table itself is used by one thread at a time (cb_table.c
 * and the poller add under their locks). */
#ifndef CB_MAP_H
#define CB_MAP_H

static __thread int map_add_failed __attribute__((unused));
#define HASH_NONFATAL_OOM        1
#define uthash_nonfatal_oom(obj) (map_add_failed = 1)
#include <uthash.h>

#endif
