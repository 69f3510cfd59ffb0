/* ingest poller: polls the Close Event Log of every polling instance this replica is given,
 * and publishes what is new with origin "polling" (docs/architecture.md §6).
 *
 * Which replica polls which instance follows Kafka's consumer group assignment of the
 * instances topic's partitions (group poller-group-id): an instance is polled by the member
 * that holds the partition its record is on. Each poll's envelopes and the instance's new poll
 * state go to Kafka in one transaction, so a crash between them publishes nothing twice and
 * loses nothing. Instances added, changed or deleted through the API start, change or stop
 * their polling on the next round, without a restart.
 *
 * Up to poll-workers instances are walked at once, and at most poll-per-key of them with the
 * same API key (so no more requests at once per key, from one replica); their transactions take
 * turns on the one transactional producer.
 *
 * Threads: a scheduler, which alone touches the assignment consumer and hands out walks, and
 * poll-workers workers, each with its own libcurl handle (poller_impl.h says who locks what). */
#ifndef INGEST_POLLER_H
#define INGEST_POLLER_H

#include <stddef.h>

struct ingest;
typedef struct ingest_poller ingest_poller_t;

/* Creates the transactional producer and the assignment consumer, and starts the thread.
 * Borrows ing. Returns NULL with errstr set. */
ingest_poller_t *ingest_poller_new(struct ingest *ing, char *errstr, size_t errstr_size);

/* Stops the threads (walks in progress stop at their next request, or finish their
 * transaction) and frees the poller.
 * NULL is a no-op. */
void ingest_poller_destroy(ingest_poller_t *p);

/* 1 once the transactional producer hit a fatal error (ingest must exit), else 0. */
int ingest_poller_fatal(ingest_poller_t *p);

#endif
