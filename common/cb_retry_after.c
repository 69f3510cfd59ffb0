#include "cb_retry_after.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <curl/curl.h>

/* a day: longer waits are taken as a day (what any caller caps them to anyway) */
#define MAX_MS 86400000.0

int64_t cb_retry_after_ms(const char *value, time_t now)
{
        char *end;
        double v;
        time_t t;

        if (!value)
                return -1;
        while (isspace((unsigned char)*value))
                value++;
        if (isdigit((unsigned char)*value)) {
                errno = 0;
                v = strtod(value, &end);
                while (isspace((unsigned char)*end))
                        end++;
                if (errno || *end || !isfinite(v))
                        return -1;
                v = ceil(v * 1000);
                return (int64_t)(v > MAX_MS ? MAX_MS : v);
        }
        if (!*value)
                return -1;
        t = curl_getdate(value, NULL);
        if (t == (time_t)-1)
                return -1;
        if (t <= now)
                return 0;
        return (double)(t - now) * 1000 > MAX_MS ? (int64_t)MAX_MS : (int64_t)(t - now) * 1000;
}
