#include "route.h"

#include <string.h>

#define API_PREFIX "/elements/api-v2"
#define REDELIVER  "/redeliver"

int console_route_parse(const char *path, console_route_t *r)
{
        const char *p, *rest;
        size_t len;
        int ok = 1; /* -1 once the instance id is not one */

        memset(r, 0, sizeof(*r));
        if (!strcmp(path, "/console/api/instances")) {
                r->summary = 1;
                return 1;
        }
        if (!strncmp(path, API_PREFIX "/", strlen(API_PREFIX) + 1))
                path += strlen(API_PREFIX);
        if (!strncmp(path, "/tasks/", 7)) {
                r->task = 1;
                if (strlen(path + 7) >= sizeof(r->task_id) || !console_task_id_valid(path + 7))
                        return -1;
                memcpy(r->task_id, path + 7, strlen(path + 7) + 1);
                return 1;
        }
        if (strncmp(path, "/instances/", 11))
                return 0;
        p = path + 11;
        if (!strncmp(p, "events", 6) && (p[6] == '\0' || p[6] == '/')) {
                rest = p + 6;
        } else {
                len = strcspn(p, "/");
                if (strncmp(p + len, "/events", 7) || (p[len + 7] != '\0' && p[len + 7] != '/'))
                        return 0;
                /* a bad id is -1, but only once the rest says what the path is (the method
                   it takes) */
                if (len < sizeof(r->instance_id))
                        memcpy(r->instance_id, p, len);
                ok = len < sizeof(r->instance_id) && cb_instance_id_valid(r->instance_id) ? 1 : -1;
                rest = p + len + 7;
        }
        if (*rest == '\0')
                return ok; /* a list */
        rest++;
        /* .../events/redeliver: every event a filter matches, a replay task */
        if (!strcmp(rest, "redeliver")) {
                r->bulk = 1;
                return ok;
        }
        /* the rest is the envelope id, '/' and all: libmicrohttpd decoded %2F before we see it */
        len = strlen(rest);
        if (len >= strlen(REDELIVER) && !strcmp(rest + len - strlen(REDELIVER), REDELIVER)) {
                r->redeliver = 1;
                len -= strlen(REDELIVER);
        }
        r->one = 1;
        if (len == 0 || len >= sizeof(r->env_id))
                return -1;
        memcpy(r->env_id, rest, len);
        return ok;
}
