/* cb_log: one line per event on stderr, JSON (default) or text.
 *
 * Thread-safe: each line is formatted into a local buffer and written with one write(2), so
 * lines from different threads never interleave. Never log payloads or secrets. */
#ifndef CB_LOG_H
#define CB_LOG_H

#include <stdarg.h>

typedef enum { CB_LOG_DEBUG = 0, CB_LOG_INFO, CB_LOG_WARN, CB_LOG_ERROR } cb_log_level_t;

/* Sets the process name written on every line ("ingest", "publish"), the format ("json" or
 * "text") and the lowest level written ("debug", "info", "warn", "error").
 * Returns 0, or -1 when format or level is not one of those words. Borrows proc (it must live
 * as long as the process). Call once, before starting threads. */
int cb_log_init(const char *proc, const char *format, const char *level);

/* Writes one line at level. fmt is printf-style; the result is the line's "msg". */
void cb_log(cb_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cb_logv(cb_log_level_t level, const char *fmt, va_list ap);

/* The same with fields: kv holds "key", "value" pairs, NULL-terminated (use CB_KV), written as
 * JSON members next to "msg" (JSON) or as key=value after it (text). Values are escaped. */
void cb_log_kv(cb_log_level_t level, const char *const *kv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define CB_KV(...) ((const char *const[]){__VA_ARGS__, NULL})

#define cb_log_debug(...) cb_log(CB_LOG_DEBUG, __VA_ARGS__)
#define cb_log_info(...)  cb_log(CB_LOG_INFO, __VA_ARGS__)
#define cb_log_warn(...)  cb_log(CB_LOG_WARN, __VA_ARGS__)
#define cb_log_error(...) cb_log(CB_LOG_ERROR, __VA_ARGS__)

#endif
