/* console index: the SQLite database (WAL) in --data-dir that the console builds from Kafka: one
 * row per event, one per attempt, each event's current state, and the Kafka position each
 * followed partition was read to. A view only: Kafka is the source of truth, and a deleted
 * database is rebuilt from the topics (docs/console.md).
 *
 * An event is keyed by (instance id, envelope id). Its state is that of the record with the
 * latest (timestamp, rank) applied to it, rank being console_state_t's order, so records of
 * different topics may be applied in any order and give the same state. An event row may be
 * made by an attempt, retry or DLQ record before its closeio.events record is read; it then
 * has no object fields until that record comes (has_event 0).
 *
 * Threads: a console_index_t is one SQLite connection and belongs to one thread at a time.
 * The follower opens the one writer; each API worker opens a reader (WAL lets them read while
 * the writer writes). */
#ifndef CONSOLE_INDEX_H
#define CONSOLE_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "cb_envelope.h"
#include "cb_instance.h"
#include "filter.h"
#include "record.h"

typedef struct console_index console_index_t;

/* Opens (creating it and its schema when missing) the database at path. readonly: a reader,
 * which never writes and does not create the schema (it waits up to 5 s for a lock).
 * Returns NULL with errstr set (SQLite's message) when it cannot. */
console_index_t *console_index_open(const char *path, int readonly, char *errstr,
                                    size_t errstr_size);

/* The Kafka cluster id the rows were read from, into out ("" when none is stored). Returns 0,
 * or -1 with errstr set (index_meta.c). */
int console_index_cluster(console_index_t *idx, char *out, size_t out_size, char *errstr,
                          size_t errstr_size);

/* Empties the index (events, attempts, positions) and stores cluster_id as where what comes
 * next is read from: for a database whose rows came from another cluster (its positions mean
 * nothing there). Returns 0, or -1 with errstr set. */
int console_index_reset(console_index_t *idx, const char *cluster_id, char *errstr,
                        size_t errstr_size);

/* Closes idx. NULL is a no-op. */
void console_index_close(console_index_t *idx);

/* Starts and commits a write transaction: the follower applies one batch of records inside
 * one, so that rows and positions always agree. Return 0, or -1 with errstr set. */
int console_index_begin(console_index_t *idx, char *errstr, size_t errstr_size);
int console_index_commit(console_index_t *idx, char *errstr, size_t errstr_size);

/* Applies rec (borrowed): inserts or updates its event row (the state rule above), adds an
 * attempt row for an attempt record (once per Kafka position: applying the same record twice
 * changes nothing), and stores rec's position + 1 as where its topic and partition resume.
 * Returns 0, or -1 with errstr set. */
int console_index_apply(console_index_t *idx, const console_rec_t *rec, char *errstr,
                        size_t errstr_size);

/* Stores where topic's partition resumes (next offset) without a record: for records that
 * decode to nothing (console_rec_decode failed). Returns 0, or -1 with errstr set. */
int console_index_skip(console_index_t *idx, const char *topic, int32_t partition, int64_t next,
                       char *errstr, size_t errstr_size);

/* The offset topic's partition resumes at, or -1 when none is stored. */
int64_t console_index_position(console_index_t *idx, const char *topic, int32_t partition);

/* Deletes events (and their attempts) first seen before before_ms. Returns the number of events
 * deleted, or -1 with errstr set. */
long console_index_prune(console_index_t *idx, int64_t before_ms, char *errstr, size_t errstr_size);

/* The number of event rows and of attempt rows (either pointer may be NULL). Returns 0 or -1. */
int console_index_count(console_index_t *idx, int64_t *events, int64_t *attempts);

/* One page of events matching f, newest first (filter.h), as a new JSON array of event objects
 * the caller owns (*out), and the cursor of the page's last row in next (next[0] = '\0' when
 * there is no further page: fewer than f->page_size rows matched, or the page ended exactly
 * at the last row). next needs CONSOLE_CURSOR_MAX bytes. An event object:
 *   {"id": envelope id, "instanceId": "20931", "eventDate": RFC 3339 event time (ms; the first
 *    record's time until the event record is read), "status": state name,
 *    "objectType", "objectId", "eventType", "type", "origin" (null until the event record is
 *    read), "attempts": number of attempt rows, "lastStatus": HTTP status of the latest
 *    attempt or null, "lastError": its error or null, "nextDue": RFC 3339 or null (retrying),
 *    "reason": why it is dead or skipped, or null, "topic", "partition", "offset": where the
 *    event record is on closeio.events (null until it is read)}
 * Returns 0, or -1 with errstr set. */
int console_index_list(console_index_t *idx, const console_filter_t *f, json_object **out,
                       char *next, char *errstr, size_t errstr_size);

/* The event env_id of instance_id ("" or NULL: of any instance; the lowest instance id when
 * several have it): a new event object as above the caller owns (*out), with one more member,
 * "deliveries": every attempt, oldest first, each
 *   {"attempt": n, "at": RFC 3339, "status": n or null, "error": text or null,
 *    "durationMs": n, "outcome": text, "nextDue": RFC 3339 or null, "url": text,
 *    "replay": the id of the replay that asked for it, or null}.
 * Returns 1 when found, 0 when not (*out NULL), -1 with errstr set on a database error. */
int console_index_get(console_index_t *idx, const char *instance_id, const char *env_id,
                      json_object **out, char *errstr, size_t errstr_size);

/* Where an event stands in the order replay tasks walk the index (event time, then instance id,
 * then envelope id), the same on every replica. */
typedef struct console_index_key {
        int64_t time_ms;
        char instance_id[CB_INSTANCE_ID_MAX];
        char env_id[CB_ENVELOPE_ID_MAX];
} console_index_key_t;

/* An event a task is to send again, and where its record is on closeio.events. */
typedef struct console_index_hit {
        console_index_key_t key;
        int has_event; /* 0: its closeio.events record is not indexed (topic "") */
        char topic[256];
        int32_t partition;
        int64_t offset;
} console_index_hit_t;

/* The number of events f matches (its cursor and page size aside) into *n (index_task.c).
 * Returns 0, or -1 with errstr set. */
int console_index_count_matching(console_index_t *idx, const console_filter_t *f, int64_t *n,
                                 char *errstr, size_t errstr_size);

/* Up to max events matching f that come after `after` (NULL: from the first) in the order
 * above, into out[0..n). Returns n, or -1 with errstr set. */
int console_index_next_matching(console_index_t *idx, const console_filter_t *f,
                                const console_index_key_t *after, console_index_hit_t *out, int max,
                                char *errstr, size_t errstr_size);

/* The number of events that have a delivered attempt led to by replay (a replay or task id)
 * into *n. Returns 0, or -1 with errstr set. */
int console_index_replay_delivered(console_index_t *idx, const char *replay, int64_t *n,
                                   char *errstr, size_t errstr_size);

#endif
