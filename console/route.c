#include "route.h"

#include <string.h>

#define API_PREFIX "/elements/api-v2"

/* 1 when s (len bytes) may be an envelope id: printable ASCII without '/'. */
static int env_id_ok(const char *s, size_t len)
{
        size_t i;

        if (len == 0 || len >= CB_ENVELOPE_ID_MAX)
                return 0;
        for (i = 0; i < len; i++)
                if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '/')
                        return 0;
        return 1;
}

int console_route_parse(const char *path, console_route_t *r)
{
        const char *seg[6];
        size_t len[6], n = 0;
        const char *p;

        memset(r, 0, sizeof(*r));
        if (!strncmp(path, API_PREFIX "/", strlen(API_PREFIX) + 1))
                path += strlen(API_PREFIX);
        for (p = path; *p == '/' && n < 6;) {
                p++;
                seg[n] = p;
                len[n] = strcspn(p, "/");
                p += len[n];
                n++;
        }
        if (*p || n < 2 || len[0] != 9 || strncmp(seg[0], "instances", 9))
                return 0;
        /* one event's .../redeliver: the rest of the path names the event */
        if (n >= 4 && len[n - 1] == 9 && !strncmp(seg[n - 1], "redeliver", 9)) {
                r->redeliver = 1;
                n--;
                if (n == 3 && !(len[1] == 6 && !strncmp(seg[1], "events", 6)))
                        return 0; /* /instances/{id}/events/redeliver: a filter's (not yet) */
        }
        if (len[1] == 6 && !strncmp(seg[1], "events", 6)) {
                if (n == 2)
                        return 1;
                if (n != 3)
                        return 0;
                r->one = 1;
                if (!env_id_ok(seg[2], len[2]))
                        return -1;
                memcpy(r->env_id, seg[2], len[2]);
                return 1;
        }
        if (n < 3 || n > 4 || len[2] != 6 || strncmp(seg[2], "events", 6))
                return 0;
        if (len[1] >= sizeof(r->instance_id))
                return -1;
        memcpy(r->instance_id, seg[1], len[1]);
        if (!cb_instance_id_valid(r->instance_id))
                return -1;
        if (n == 4) {
                r->one = 1;
                if (!env_id_ok(seg[3], len[3]))
                        return -1;
                memcpy(r->env_id, seg[3], len[3]);
        }
        return 1;
}
