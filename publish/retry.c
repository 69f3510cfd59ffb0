#include "retry.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

int publish_ladder_parse(const char *spec, publish_ladder_t *ladder, char *errstr,
                         size_t errstr_size)
{
        const char *p = spec;
        char *end;
        long v, unit;

        ladder->steps = 0;
        while (*p) {
                while (*p == ' ' || *p == ',')
                        p++;
                if (!*p)
                        break;
                errno = 0;
                v = strtol(p, &end, 10);
                switch (*end) {
                case 's':
                        unit = 1;
                        break;
                case 'm':
                        unit = 60;
                        break;
                case 'h':
                        unit = 3600;
                        break;
                case 'd':
                        unit = 86400;
                        break;
                default:
                        unit = 0;
                }
                if (errno || end == p || v <= 0 || !unit || v > 365L * 86400 / unit ||
                    (end[1] && end[1] != ',' && end[1] != ' ')) {
                        snprintf(errstr, errstr_size,
                                 "retry delay \"%.*s\" is not a number with s, m, h or d",
                                 (int)strcspn(p, ","), p);
                        return -1;
                }
                if (ladder->steps == PUBLISH_LADDER_MAX) {
                        snprintf(errstr, errstr_size, "more than %d retry steps",
                                 PUBLISH_LADDER_MAX);
                        return -1;
                }
                ladder->delay_s[ladder->steps++] = v * unit;
                p = end + 1;
        }
        return 0;
}

void publish_ladder_topic(const publish_ladder_t *ladder, size_t step, const char *events_topic,
                          char *out, size_t out_size)
{
        long s = ladder->delay_s[step];

        if (s % 86400 == 0)
                snprintf(out, out_size, "%s.retry.%ldd", events_topic, s / 86400);
        else if (s % 3600 == 0)
                snprintf(out, out_size, "%s.retry.%ldh", events_topic, s / 3600);
        else if (s % 60 == 0)
                snprintf(out, out_size, "%s.retry.%ldm", events_topic, s / 60);
        else
                snprintf(out, out_size, "%s.retry.%lds", events_topic, s);
}

publish_decision_t publish_retry_decide(const publish_ladder_t *ladder, int attempt, long status,
                                        int refused, long retry_after_s, long retry_after_max_s,
                                        int64_t now_ms)
{
        publish_decision_t d = {PUBLISH_DELIVERED, 0, 0, NULL};
        long delay;

        if (status >= 200 && status < 300)
                return d;
        d.outcome = PUBLISH_DEAD;
        if (refused) {
                d.reason = "destination address not allowed";
                return d;
        }
        if (status == 410) {
                d.reason = "410 Gone: the receiver asked to stop";
                return d;
        }
        if (attempt < 1 || (size_t)attempt > ladder->steps) {
                d.reason = "retries exhausted";
                return d;
        }
        d.outcome = PUBLISH_RETRY;
        d.step = (size_t)attempt - 1;
        delay = ladder->delay_s[d.step];
        if (retry_after_s > retry_after_max_s)
                retry_after_s = retry_after_max_s;
        if (retry_after_s > delay)
                delay = retry_after_s;
        d.due_ms = now_ms + (int64_t)delay * 1000;
        return d;
}
