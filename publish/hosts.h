/* publish hosts: the delivery engine's admission per destination (deliver.c).
 *
 * Plain HTTP/1.1 carries one request per connection at a time, so transfers to a destination
 * beyond --max-host-connections only wait in libcurl's pending list, which libcurl walks on
 * every pass: at 256 in flight over 32 connections that doubled libcurl's CPU per request
 * (bench/publish: 56-62 us against 32 us at 32 over 32). Jobs beyond the limit wait here
 * instead, oldest first, and go as their destination's transfers end.
 *
 * Only jobs with a dest key are counted (deliver.c gives one to plain http:// jobs; over TLS,
 * HTTP/2 can carry many at once, and libcurl decides). The engine's thread only. */
#ifndef PUBLISH_HOSTS_H
#define PUBLISH_HOSTS_H

#include <stddef.h>

#include "deliver.h"

typedef struct publish_hosts publish_hosts_t;

/* At most limit (>= 1) counted transfers per destination. NULL when out of memory. */
publish_hosts_t *publish_hosts_new(size_t limit);

/* Frees it; jobs still waiting are not freed (take them first). NULL is a no-op. */
void publish_hosts_destroy(publish_hosts_t *h);

/* 1: job may start now (counted against its destination when it has a dest key; when memory
 * for a new destination runs out, it starts uncounted); 0: it waits, held here until
 * publish_hosts_release hands it back. */
int publish_hosts_admit(publish_hosts_t *h, publish_job_t *job);

/* job (admitted with 1) has ended: its destination's count drops. Returns the oldest job of the
 * same destination waiting, now counted and to be started, or NULL. Uncounted jobs: NULL. */
publish_job_t *publish_hosts_release(publish_hosts_t *h, publish_job_t *job);

/* Every job still waiting, as a list linked by next, oldest of each destination first (at
 * shutdown: they come back without a transfer). */
publish_job_t *publish_hosts_take_all(publish_hosts_t *h);

/* Jobs waiting, and transfers counted, over every destination. */
size_t publish_hosts_waiting(const publish_hosts_t *h);
size_t publish_hosts_active(const publish_hosts_t *h);

#endif
