/* console index stats: what the web page shows of an instance (docs/console.md §6): its events
 * of the last hour and day by state, per hour of the last day delivered and failing, and the
 * latest attempt. Read on an API worker's reader (index.h), as the lists are. */
#ifndef CONSOLE_INDEX_STATS_H
#define CONSOLE_INDEX_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "index.h"
#include "record.h"

#define CONSOLE_STATS_NSTATES 5 /* console_state_t's */
#define CONSOLE_STATS_HOURS   24
#define CONSOLE_STATS_HOUR_MS 3600000 /* IX_STATS_BY_HOUR (index_impl.h) spells both out */

typedef struct console_instance_stats {
        /* events by state (console_state_t) whose event time is within the last hour / day */
        int64_t hour[CONSOLE_STATS_NSTATES], day[CONSOLE_STATS_NSTATES];
        /* per hour of the last day, oldest first (the last one ends now): events delivered,
           and events retrying or dead */
        int64_t delivered[CONSOLE_STATS_HOURS], failing[CONSOLE_STATS_HOURS];
        /* the latest attempt of an event of the last day: at_ms -1 when none */
        int64_t last_at_ms;
        int last_status; /* its HTTP status; 0: no answer */
        char last_outcome[32];
        char last_error[256];
        char last_env_id[128];
} console_instance_stats_t;

/* Fills out for instance_id (borrowed) as of now_ms. Returns 0, or -1 with errstr set. */
int console_index_instance_stats(console_index_t *idx, const char *instance_id, int64_t now_ms,
                                 console_instance_stats_t *out, char *errstr, size_t errstr_size);

#endif
