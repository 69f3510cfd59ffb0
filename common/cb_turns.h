/* cb turns: turns per key. At most `limit` holders of one key go at once; the others wait in
 * arrival order, and the end of a turn hands it to the oldest waiting holder of the same key.
 * Used for publish's per-key ordering (limit 1: one event of a Close object in flight at once,
 * publish/consume.c) and the delivery engine's admission per destination (limit
 * --max-host-connections, publish/deliver.c).
 *
 * Intrusive: the caller's struct embeds a cb_turn_t (CB_TURN_ENTRY gets the struct back), so
 * taking a turn allocates nothing but, for a key with nothing going, its entry (freed again
 * when its last turn ends). Holders stay the caller's. One thread at a time. */
#ifndef CB_TURNS_H
#define CB_TURNS_H

#include <stddef.h>

typedef struct cb_turn {
        struct cb_turn *next; /* while waiting, and in cb_turns_take_waiting's list */
        void *entry;          /* its key's entry while going (counted) or waiting */
        int going;            /* admitted and counted */
} cb_turn_t;

/* The struct of type whose member (a cb_turn_t) turn is. */
#define CB_TURN_ENTRY(turn, type, member) ((type *)((char *)(turn)-offsetof(type, member)))

typedef struct cb_turns cb_turns_t;

/* At most limit (0 is taken as 1) turns going per key. NULL when out of memory. */
cb_turns_t *cb_turns_new(size_t limit);

/* Frees it; holders still waiting are not freed (take them first). NULL is a no-op. */
void cb_turns_destroy(cb_turns_t *t);

/* Asks a turn for key (copied). Returns 1: go now (counted, until cb_turns_release); 0: it
 * waits, until cb_turns_release hands it back; -1: out of memory, go now uncounted. A NULL key
 * always goes at once, uncounted (returns 1). */
int cb_turns_admit(cb_turns_t *t, const char *key, cb_turn_t *turn);

/* turn has ended: when it was going, its key's oldest waiting turn goes now (counted) and is
 * returned, else NULL. A turn that was waiting, uncounted or never admitted: NULL, nothing
 * changes. */
cb_turn_t *cb_turns_release(cb_turns_t *t, cb_turn_t *turn);

/* Every waiting turn, oldest of each key first, linked by next (at shutdown: their holders
 * go back without a turn); they count as never admitted from then on. */
cb_turn_t *cb_turns_take_waiting(cb_turns_t *t);

/* Keys with a turn going or waiting; turns waiting; turns going (counted), over every key. */
size_t cb_turns_keys(const cb_turns_t *t);
size_t cb_turns_waiting(const cb_turns_t *t);
size_t cb_turns_going(const cb_turns_t *t);

#endif
