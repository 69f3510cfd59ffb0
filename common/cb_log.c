#include "cb_log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cb_json.h"

static const char *log_proc = "closebridge";
static int log_json = 1;
static cb_log_level_t log_min = CB_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int cb_log_init(const char *proc, const char *format, const char *level)
{
        int i;

        if (proc)
                log_proc = proc;
        if (format) {
                if (!strcmp(format, "json"))
                        log_json = 1;
                else if (!strcmp(format, "text"))
                        log_json = 0;
                else
                        return -1;
        }
        if (level) {
                for (i = 0; i < 4; i++)
                        if (!strcmp(level, level_names[i]))
                                break;
                if (i == 4)
                        return -1;
                log_min = (cb_log_level_t)i;
        }
        return 0;
}

/* Appends src to dst[*len..size) as JSON string content (without quotes), keeping 8 bytes free
 * for what closes the line. Truncates silently. */
static void append_json_escaped(char *dst, size_t size, size_t *len, const char *src)
{
        if (*len + 8 < size)
                *len += cb_json_escape(dst + *len, size - *len - 8, src);
}

static void logv_kv(cb_log_level_t level, const char *const *kv, const char *fmt, va_list ap);

void cb_logv(cb_log_level_t level, const char *fmt, va_list ap)
{
        logv_kv(level, NULL, fmt, ap);
}

static void logv_kv(cb_log_level_t level, const char *const *kv, const char *fmt, va_list ap)
{
        char msg[1024], line[2560], ts[64];
        struct timespec now;
        struct tm tm;
        size_t len = 0;
        ssize_t w;

        if (level < log_min)
                return;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        clock_gettime(CLOCK_REALTIME, &now);
        gmtime_r(&now.tv_sec, &tm);
        snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (long)(now.tv_nsec / 1000000) % 1000);

        if (log_json) {
                len = (size_t)snprintf(line, sizeof(line),
                                       "{\"ts\":\"%s\",\"level\":\"%s\",\"proc\":\"%s\",\"msg\":\"",
                                       ts, level_names[level], log_proc);
                append_json_escaped(line, sizeof(line), &len, msg);
                for (; kv && kv[0] && len + 8 < sizeof(line); kv += 2) {
                        len += (size_t)snprintf(line + len, sizeof(line) - len, "\",\"");
                        append_json_escaped(line, sizeof(line), &len, kv[0]);
                        len += (size_t)snprintf(line + len, sizeof(line) - len, "\":\"");
                        append_json_escaped(line, sizeof(line), &len, kv[1] ? kv[1] : "");
                }
                if (len < sizeof(line))
                        len += (size_t)snprintf(line + len, sizeof(line) - len, "\"}\n");
        } else {
                len = (size_t)snprintf(line, sizeof(line), "%s %-5s %s: %s", ts, level_names[level],
                                       log_proc, msg);
                for (; kv && kv[0] && len < sizeof(line); kv += 2)
                        len += (size_t)snprintf(line + len, sizeof(line) - len, " %s=%s", kv[0],
                                                kv[1] ? kv[1] : "");
                if (len < sizeof(line) - 1)
                        line[len++] = '\n';
        }
        if (len >= sizeof(line))
                len = sizeof(line) - 1;
        w = write(STDERR_FILENO, line, len);
        (void)w;
}

void cb_log(cb_log_level_t level, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        cb_logv(level, fmt, ap);
        va_end(ap);
}

void cb_log_kv(cb_log_level_t level, const char *const *kv, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        logv_kv(level, kv, fmt, ap);
        va_end(ap);
}
