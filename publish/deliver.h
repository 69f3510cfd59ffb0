/* publish deliver: the delivery engine. One thread of its own drives a libcurl multi handle
 * with many attempts in flight; connections are kept alive and shared per host, HTTP/2 is used
 * where the receiver offers it (over TLS), redirects are never followed, only http and https
 * are spoken, no proxy is taken from the environment, the address actually dialled must pass
 * the SSRF policy, and the answer's body is read to its end and thrown away: only the status
 * and Retry-After are kept, and no size cap applies (the attempt's time-out bounds it).
 *
 * Threads: any one thread submits jobs and collects results; the engine's thread owns every
 * libcurl handle. Jobs cross over in two cb_queues; submitting wakes the engine, and results
 * going to an empty queue wake the collector's cb_wake (once per round of transfers). */
#ifndef PUBLISH_DELIVER_H
#define PUBLISH_DELIVER_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>

#include "cb_queue.h"
#include "cb_turns.h"
#include "cb_wake.h"
#include "ssrf.h"

/* One attempt: what to send, then how it went. */
typedef struct publish_job {
        struct publish_job *next; /* of the lists publish_engine_results returns */
        cb_qlink_t link;          /* the engine's queues' */
        /* in: owned by the job, freed by publish_job_free */
        char *url;
        char *body;
        size_t len;
        struct curl_slist *headers;
        void *opaque; /* the submitter's, untouched */
        /* the destination's key ("scheme://host:port"), borrowed until the job comes back, or
           NULL; plain http:// jobs with one wait their turn in the engine beyond
           max_host_connections (cb_turns.h) */
        const char *dest;
        /* out */
        long status;        /* HTTP status, or -1 for a transport error */
        int refused;        /* the SSRF policy refused the address */
        long retry_after_s; /* from Retry-After, or -1 */
        int64_t duration_ms;
        char error[CURL_ERROR_SIZE];
        /* the engine's */
        CURL *easy;
        int64_t started_ms;
        const publish_ssrf_t *ssrf;
        cb_turn_t turn; /* its turn at its destination (cb_turns.h) */
        struct publish_job *active_prev, *active_next;
} publish_job_t;

/* Frees a job and what it owns. NULL is a no-op. */
void publish_job_free(publish_job_t *job);

typedef struct publish_engine_conf {
        long timeout_ms;           /* per attempt, connection included */
        long max_host_connections; /* per destination */
        long max_total_connections;
        const char *user_agent;
        const char *proxy;          /* "" for none */
        const publish_ssrf_t *ssrf; /* borrowed for the engine's life */
        const cb_wake_t *wake;      /* signalled when results wait to be collected; borrowed for
                                       the engine's life; NULL: the collector polls */
} publish_engine_conf_t;

typedef struct publish_engine publish_engine_t;

/* Starts the engine's thread. Copies conf's strings. Returns NULL on failure. */
publish_engine_t *publish_engine_new(const publish_engine_conf_t *conf);

/* Stops the thread; attempts still in flight are abandoned and come back from
 * publish_engine_results with status -1. Frees nothing the caller has not collected: call
 * publish_engine_results after it and free those jobs. */
void publish_engine_stop(publish_engine_t *e);

/* Frees a stopped engine. NULL is a no-op. */
void publish_engine_destroy(publish_engine_t *e);

/* Hands job over (the engine owns it until it comes back from publish_engine_results); after
 * publish_engine_stop it comes back at once, failed. */
void publish_engine_submit(publish_engine_t *e, publish_job_t *job);

/* Takes every finished job, oldest first, as a list the caller owns; NULL when none. */
publish_job_t *publish_engine_results(publish_engine_t *e);

/* Jobs submitted and not yet collected. */
size_t publish_engine_pending(publish_engine_t *e);

#endif
