/* ingest poller internals, shared by poller.c (assignment, scheduling, worker threads),
 * poll_walk.c (one walk of one instance's Event Log and its transaction) and poll_stored.c (the
 * poll states as read from the state topic). Not for other files.
 *
 * Locking: lock guards sched, stored, every sched_t's busy flag and every worker's job. A
 * sched_t whose busy flag is set belongs to the worker walking it, which alone touches its
 * other fields until it clears the flag (under lock). txlock keeps one transaction at a time on
 * txp, which librdkafka requires. */
#ifndef INGEST_POLLER_IMPL_H
#define INGEST_POLLER_IMPL_H

#include <pthread.h>
#include <stdint.h>
#include <curl/curl.h>
#include <librdkafka/rdkafka.h>

#include "cb_instance.h"
#include "cb_map.h"
#include "cb_metrics.h"
#include "poll_state.h"
#include "poller.h"

/* One polled instance: when it is due, and where its polling stands. */
typedef struct ingest_sched {
        UT_hash_handle hh;
        char id[CB_INSTANCE_ID_MAX]; /* the instance's: the key of sched */
        int64_t next_ms;
        long backoff_ms;
        int have_state;
        int busy; /* a worker is walking it */
        ingest_poll_state_t state;
} ingest_sched_t;

/* An instance's poll state as last read from the state topic. */
typedef struct ingest_stored {
        UT_hash_handle hh;
        char id[CB_INSTANCE_ID_MAX]; /* the key of stored */
        char *json;                  /* owned */
} ingest_stored_t;

/* One worker thread and the job the scheduler gave it (inst NULL: none). */
typedef struct ingest_poll_worker {
        ingest_poller_t *p;
        pthread_t thread;
        int started;
        CURL *curl;          /* owned; only this worker uses it */
        cb_instance_t *inst; /* a reference the worker drops when the walk is over */
        ingest_sched_t *s;   /* borrowed from sched */
} ingest_poll_worker_t;

struct ingest_poller {
        struct ingest *ing;
        rd_kafka_t *txp;    /* transactional producer: envelopes + poll state */
        rd_kafka_t *assign; /* member of the poller group: which partitions are ours */
        pthread_t thread;   /* the scheduler: assignment and handing out walks */
        int thread_started;
        int run;   /* atomic: 0 once shutdown begins */
        int halt;  /* atomic: 1 while walks are to stop early (rebalance, shutdown) */
        int fatal; /* atomic */
        pthread_mutex_t lock;
        pthread_cond_t wake; /* a job was given, or run dropped */
        pthread_cond_t idle; /* a walk ended */
        pthread_mutex_t txlock;
        ingest_poll_worker_t *workers;
        size_t nworkers;
        long per_key; /* walks (so requests) at once per API key */
        int32_t *parts;
        size_t nparts;
        ingest_sched_t *sched;   /* by instance id (uthash: cb_map.h) */
        ingest_stored_t *stored; /* by instance id: read only once loaded */
        char topic_state[256];
        cb_metric_family_t *m_polls, *m_events;
};

/* Reads the whole compacted state topic (committed records only) into a new table of instance
 * id -> state JSON, which the caller owns (NULL: empty, also when the topic cannot be read: polls
 * start afresh). Gives up when p->run drops. Takes no lock (poll_stored.c). */
ingest_stored_t *ingest_poll_stored_load(ingest_poller_t *p);

/* Empties *stored, freeing each entry. */
void ingest_poll_stored_clear(ingest_stored_t **stored);

/* Puts id -> json (n bytes, copied; NULL: a tombstone, which removes id) into *stored, in place
 * of what id had. Out of memory, id is left out: its polls start afresh, as without a stored
 * state. */
void ingest_poll_stored_put(ingest_stored_t **stored, const char *id, const char *json, size_t n);

/* Walks inst's Event Log with curl from its poll state, publishes what is new together with
 * the new state in one transaction, and sets s->next_ms for the next walk. Called by a worker
 * holding s (busy) and a reference to inst, without lock. */
void ingest_poll_walk(ingest_poller_t *p, CURL *curl, const cb_instance_t *inst, ingest_sched_t *s);

#endif
