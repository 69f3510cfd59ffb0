/* console json_time: a time as the console's JSON views show it (RFC 3339, milliseconds, UTC),
 * for index_query.c and task.c. Header only: no state. */
#ifndef CONSOLE_JSON_TIME_H
#define CONSOLE_JSON_TIME_H

#include <stdint.h>
#include <json-c/json.h>

#include "cb_time.h"

/* A new JSON string of the time ms (milliseconds since 1970), or NULL (JSON null) for one
 * cb_time_format_ms cannot write or whose microseconds do not fit in an int64. */
static inline json_object *console_json_time(int64_t ms)
{
        char buf[40];

        if (ms > INT64_MAX / 1000 || ms < INT64_MIN / 1000 ||
            cb_time_format_ms(ms * 1000, buf, sizeof(buf)))
                return NULL;
        return json_object_new_string(buf);
}

#endif
