/* console task: a replay task (POST .../events/redeliver with a filter) as it is kept on the
 * compacted tasks topic, closeio.console.tasks (docs/console.md §5). Pure: no I/O, fuzzed by
 * tests/fuzz/fuzz_console_task.c.
 *
 * A task's record is keyed by its id and holds the whole task, so that compaction keeps what
 * matters: the filter as it was given (its parameters, parsed again with filter.h when the task
 * is read), the time bound taken when it was made (a task never chases events that come after
 * it), how far it got (the last event it produced, in an order every replica's index agrees on:
 * event time, instance id, envelope id) and its counts. The replica that runs it writes each
 * new state in the same Kafka transaction as the replays it produced (task_run.h), so the state
 * read back after a crash names exactly the replays that were written.
 *
 * A cancel request is a record of its own, keyed "<id>/cancel" on the same partition (so
 * compaction does not drop the task for it), with the value {"cancel": "<id>"}. */
#ifndef CONSOLE_TASK_H
#define CONSOLE_TASK_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "cb_envelope.h"
#include "cb_instance.h"
#include "filter.h"

/* Room for a task id, NUL included ("tk_" and 16 hex digits). */
#define CONSOLE_TASK_ID_MAX 20
/* A filter has at most this many parameters (filter.h, without the paging ones). */
#define CONSOLE_TASK_PARAMS_MAX    8
#define CONSOLE_TASK_VALUE_MAX     160
#define CONSOLE_TASK_CANCEL_SUFFIX "/cancel"

typedef enum console_task_state {
        CONSOLE_TASK_RUNNING = 0,
        CONSOLE_TASK_DONE,
        CONSOLE_TASK_CANCELLED,
        CONSOLE_TASK_NSTATES
} console_task_state_t;

typedef struct console_task_param {
        char name[16];
        char value[CONSOLE_TASK_VALUE_MAX];
} console_task_param_t;

typedef struct console_task {
        char id[CONSOLE_TASK_ID_MAX];
        char instance_id[CB_INSTANCE_ID_MAX]; /* "" for every instance */
        console_task_param_t params[CONSOLE_TASK_PARAMS_MAX];
        int nparams;
        int64_t created_ms;
        int64_t until_ms; /* events before this time only: the filter's until or created_ms */
        console_task_state_t state;
        int64_t seq; /* 0 for the record that made it, then one more per state written */
        int64_t updated_ms;
        int64_t matched;     /* events the filter matched when the task started; -1 until then */
        int64_t produced;    /* replays written */
        int64_t unavailable; /* matched events whose record is no longer on closeio.events */
        int has_cursor;      /* the events up to (cursor_time_ms, cursor_instance, cursor_env)
                                are done */
        int64_t cursor_time_ms;
        char cursor_instance[CB_INSTANCE_ID_MAX];
        char cursor_env[CB_ENVELOPE_ID_MAX];
        int cancel; /* a cancel request was read (not in the record: its own record says it) */
} console_task_t;

/* "running", "done" or "cancelled"; "unknown" for any other value. Static. */
const char *console_task_state_name(console_task_state_t s);

/* Writes a new random task id into out. Returns 0, or -1 when no random bytes came. */
int console_task_id(char *out, size_t out_size);

/* 1 when s has the form of a task id ("tk_" and 16 lowercase hex digits), else 0. */
int console_task_id_valid(const char *s);

/* The partition of the tasks topic (of partitions, > 0) that id's records go to. */
int32_t console_task_partition(const char *id, int32_t partitions);

/* Starts t as a new task of instance_id ("" for all) made at now_ms: a new id, no params,
 * running. Returns 0, or -1 when no random bytes came. */
int console_task_init(console_task_t *t, const char *instance_id, int64_t now_ms);

/* Adds the parameter name=value (borrowed, copied) to t after checking it with filter.h on f
 * (the filter being built from the same parameters): pageSize and nextPage are refused, as is
 * a value longer than CONSOLE_TASK_VALUE_MAX - 1. Returns 0, or -1 with errstr set (fit for a
 * 400 answer). */
int console_task_add_param(console_task_t *t, console_filter_t *f, const char *name,
                           const char *value, char *errstr, size_t errstr_size);

/* The filter t's parameters give, for its instance and before its until_ms, into *f. Returns 0,
 * or -1 with errstr set (a record whose parameters no longer parse). */
int console_task_filter(const console_task_t *t, console_filter_t *f, char *errstr,
                        size_t errstr_size);

/* The record's value of t: a new NUL-terminated JSON text (the caller frees it), or NULL when
 * out of memory. */
char *console_task_encode(const console_task_t *t);

/* Reads a record (key and value, borrowed, not NUL-terminated) of the tasks topic. Returns 1
 * with *t filled for a task's state; 2 for a cancel request, with only t->id set (and
 * t->cancel 1); -1 with errstr set when the record is neither (it is then skipped). */
int console_task_decode(const char *key, size_t key_len, const char *value, size_t value_len,
                        console_task_t *t, char *errstr, size_t errstr_size);

/* The API's view of t: a new JSON object the caller owns, or NULL when out of memory.
 * delivered: the replays that reached their receiver so far (-1: unknown, shown as null).
 *   {"id", "instanceId" (null for all), "status", "filter": {parameter: value},
 *    "until", "created", "updated" (RFC 3339), "matched" (null until counted), "produced",
 *    "unavailable", "delivered", "cancelRequested"} */
json_object *console_task_json(const console_task_t *t, int64_t delivered);

#endif
