/* cb retry after: how long an HTTP answer's Retry-After asks to wait (RFC 9110 §10.2.3:
 * delta-seconds or an HTTP-date). One reader for every process: publish's receivers and
 * ingest's polls of Close, whose rate-limit answers may carry a decimal ("1.5"), which is taken
 * as it is rather than refused. */
#ifndef CB_RETRY_AFTER_H
#define CB_RETRY_AFTER_H

#include <stdint.h>
#include <time.h>

/* Milliseconds from now (epoch seconds) that value asks for, rounded up: seconds (a decimal
 * fraction allowed, whitespace around it) or an HTTP date (0 when past). Returns -1 when value
 * is NULL, negative or neither. */
int64_t cb_retry_after_ms(const char *value, time_t now);

#endif
