/* console errf: the one way the console's pure parsers (filter.c, record.c) write a message into
 * a caller's errstr buffer. Header only: no state. */
#ifndef CONSOLE_ERRF_H
#define CONSOLE_ERRF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Formats fmt into errstr (errstr_size bytes; NULL or 0: nothing written). Returns -1, so that
 * a parser can `return console_errf(...)`. */
static inline int console_errf(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline int console_errf(char *errstr, size_t errstr_size, const char *fmt, ...)
{
        va_list ap;

        if (errstr && errstr_size) {
                va_start(ap, fmt);
                vsnprintf(errstr, errstr_size, fmt, ap);
                va_end(ap);
        }
        return -1;
}

#endif
