/* publish breaker: a circuit breaker per destination (scheme://host:port).
 *
 * After `threshold` failures in a row a destination's breaker opens: each attempt of its events
 * fails at once, without a request, and counts as a failed attempt (consume.c, breaker_open):
 * they go on along the retry ladder and to the dead-letter topic after its last step. After
 * `cooldown_ms` one probe goes through; success closes the breaker, failure opens it again.
 * Pure bookkeeping with time passed in, one thread. */
#ifndef PUBLISH_BREAKER_H
#define PUBLISH_BREAKER_H

#include <stddef.h>
#include <stdint.h>

typedef struct publish_breakers publish_breakers_t;

/* Returns NULL when out of memory. threshold <= 0 turns breaking off. */
publish_breakers_t *publish_breakers_new(int threshold, int64_t cooldown_ms);
void publish_breakers_destroy(publish_breakers_t *b);

/* 1 when an attempt to dest may go now (closed, or the one probe of a cooled-down breaker),
 * 0 when the breaker is open. Borrows dest. */
int publish_breaker_allow(publish_breakers_t *b, const char *dest, int64_t now_ms);

/* Reports how an attempt to dest ended (success: 2xx). */
void publish_breaker_result(publish_breakers_t *b, const char *dest, int success, int64_t now_ms);

/* How many breakers are open now. */
size_t publish_breakers_open(const publish_breakers_t *b);

/* Writes the destination of url ("scheme://host:port", credentials and path dropped) into
 * out. Returns 0, or -1 when url has no scheme. */
int publish_breaker_dest(const char *url, char *out, size_t out_size);

#endif
