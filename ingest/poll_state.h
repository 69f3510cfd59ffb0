/* ingest poll state: where polling an instance's Close Event Log stands, and which events it
 * already published (docs/architecture.md §6). Pure logic; the poller keeps one per instance
 * and stores it, as JSON, in the compacted closeio.poller.state topic in the same transaction
 * as the events.
 *
 * The Event Log lists events newest first by date_updated, and an event can come back with a
 * new date_updated when Close consolidates it (then it is published again). Each poll asks for
 * every event with date_updated >= from; an event is new unless (id, date_updated) was already
 * published. After a poll, `from` moves up to the newest date seen, but never closer to now
 * than the overlap window, so events that show up late are still found; the published set
 * keeps just what lies at or after the new `from`. */
#ifndef INGEST_POLL_STATE_H
#define INGEST_POLL_STATE_H

#include <stddef.h>
#include <stdint.h>

typedef struct ingest_poll_state {
        int64_t from_us; /* ask for date_updated >= this (µs, UTC) */
        char **seen;     /* "<event id>@<date_updated µs>" published at or after from_us, sorted
                            (strcmp) without duplicates */
        size_t nseen, cap;
} ingest_poll_state_t;

/* A state that starts at start_us (a new instance: now). */
void ingest_poll_state_init(ingest_poll_state_t *st, int64_t start_us);
void ingest_poll_state_fini(ingest_poll_state_t *st);

/* Makes dst (uninitialised) a copy of src. Returns 0, or -1 when out of memory. */
int ingest_poll_state_copy(ingest_poll_state_t *dst, const ingest_poll_state_t *src);

/* Reads a state from its JSON ({"from": "<RFC 3339>", "seen": [strings]}). Returns 0, or -1 when
 * text is not such JSON (st is then a state starting at fallback_us). */
int ingest_poll_state_parse(ingest_poll_state_t *st, const char *text, size_t len,
                            int64_t fallback_us);

/* The state as JSON: a new string the caller frees, or NULL when out of memory. */
char *ingest_poll_state_format(const ingest_poll_state_t *st);

/* 1 when the event (id, date_updated) was not published yet. */
int ingest_poll_state_is_new(const ingest_poll_state_t *st, const char *id, int64_t date_us);

/* Records that a poll's events were published (ids[i], dates[i] for i < n, new or not) and
 * moves from_us: up to the newest date, at most now_us - overlap_us, never down; then forgets
 * what lies before it. Returns 0, or -1 when out of memory (st unchanged then). */
int ingest_poll_state_advance(ingest_poll_state_t *st, const char *const *ids, const int64_t *dates,
                              size_t n, int64_t now_us, int64_t overlap_us);

#endif
