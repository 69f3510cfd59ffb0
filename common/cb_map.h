/* cb map: uthash (Debian uthash-dev, header only), the project's hash maps (common/cb_table.c,
 * publish/keys.c, lookup.c, breaker.c; the poller's are still json-c's lh_table), without its
 * default of exit() on a failed allocation: an add that cannot allocate leaves the element out
 * of the table and sets map_add_failed, which the caller clears before the add and checks
 * after. Include it from .c files only (each gets its own flag); a table is used by one thread
 * at a time (cb_table.c adds under its write lock). */
#ifndef CB_MAP_H
#define CB_MAP_H

static int map_add_failed;
#define HASH_NONFATAL_OOM        1
#define uthash_nonfatal_oom(obj) (map_add_failed = 1)
#include <uthash.h>

#endif
