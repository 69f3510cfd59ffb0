/* cb_time: Close's timestamps, normalised to UTC. */
#ifndef CB_TIME_H
#define CB_TIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Parses an ISO 8601 / RFC 3339 date-time as Close writes them: "2017-05-18T21:55:26.451000+00:00"
 * (object dates, with offset), "2019-01-15T12:48:23.395000" (event dates, no zone: taken as UTC),
 * or with "Z". Fractions beyond microseconds are cut. Writes microseconds since the epoch (UTC)
 * to *us. Returns 0, or -1 when s is not such a date: also a day the month does not have, or
 * an instant outside years 0000-9999 in UTC (which RFC 3339 cannot write). Borrows s. */
int cb_time_parse(const char *s, int64_t *us);

/* Writes us (microseconds since the epoch) as RFC 3339 UTC with milliseconds,
 * "2017-05-18T21:55:26.451Z", into out (at least 25 bytes). Returns 0 or -1. */
int cb_time_format_ms(int64_t us, char *out, size_t out_size);

/* Writes us as RFC 3339 UTC with microseconds, "2017-05-18T21:55:26.451000Z", into out (at
 * least 28 bytes). Returns 0 or -1. */
int cb_time_format_us(int64_t us, char *out, size_t out_size);

/* Writes us the way Close's API takes dates: UTC with microseconds and no zone,
 * "2019-01-15T12:48:23.395000", into out (at least 27 bytes). Returns 0 or -1. */
int cb_time_format_close(int64_t us, char *out, size_t out_size);

/* Writes us as the compact digits "20190115124823395000" (UTC, microseconds), used inside
 * envelope ids (which may not contain '.'). out needs 21 bytes. Returns 0 or -1. */
int cb_time_format_compact(int64_t us, char *out, size_t out_size);

/* Sets *deadline to timeout_ms from now on CLOCK_REALTIME, for pthread_cond_timedwait. */
void cb_time_deadline(struct timespec *deadline, int timeout_ms);

/* Microseconds since the epoch now (CLOCK_REALTIME). */
int64_t cb_time_now_us(void);

/* Milliseconds since the epoch now (CLOCK_REALTIME). */
int64_t cb_time_now_ms(void);

#endif
