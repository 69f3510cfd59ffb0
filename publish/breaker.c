#include "breaker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_map.h"
#include "cb_url.h"

typedef enum { CLOSED = 0, OPEN, HALF_OPEN } state_t;

typedef struct breaker {
        UT_hash_handle hh;
        char *dest; /* the key, owned */
        state_t state;
        int failures; /* in a row */
        int64_t opened_ms;
        int probe_out; /* HALF_OPEN: the probe is in flight */
} breaker_t;

struct publish_breakers {
        int threshold;
        int64_t cooldown_ms;
        breaker_t *map; /* by dest */
        size_t open;
};

publish_breakers_t *publish_breakers_new(int threshold, int64_t cooldown_ms)
{
        publish_breakers_t *b = calloc(1, sizeof(*b));

        if (!b)
                return NULL;
        b->threshold = threshold;
        b->cooldown_ms = cooldown_ms;
        return b;
}

void publish_breakers_destroy(publish_breakers_t *b)
{
        breaker_t *br, *tmp;

        if (!b)
                return;
        HASH_ITER(hh, b->map, br, tmp)
        {
                HASH_DEL(b->map, br);
                free(br->dest);
                free(br);
        }
        free(b);
}

static breaker_t *get(publish_breakers_t *b, const char *dest, int create)
{
        breaker_t *br;
        size_t len = strlen(dest);

        HASH_FIND(hh, b->map, dest, len, br);
        if (br || !create)
                return br;
        br = calloc(1, sizeof(*br));
        if (!br || !(br->dest = strdup(dest))) {
                free(br);
                return NULL;
        }
        map_add_failed = 0;
        HASH_ADD_KEYPTR(hh, b->map, br->dest, len, br);
        if (map_add_failed) {
                free(br->dest);
                free(br);
                return NULL;
        }
        return br;
}

int publish_breaker_allow(publish_breakers_t *b, const char *dest, int64_t now_ms)
{
        breaker_t *br = b->threshold > 0 ? get(b, dest, 0) : NULL;

        if (!br || br->state == CLOSED)
                return 1;
        if (br->state == OPEN && now_ms - br->opened_ms >= b->cooldown_ms) {
                br->state = HALF_OPEN;
                br->probe_out = 0;
        }
        if (br->state == HALF_OPEN && !br->probe_out) {
                br->probe_out = 1;
                return 1;
        }
        return 0;
}

void publish_breaker_result(publish_breakers_t *b, const char *dest, int success, int64_t now_ms)
{
        breaker_t *br;

        if (b->threshold <= 0)
                return;
        br = get(b, dest, !success);
        if (!br)
                return;
        if (success) {
                if (br->state != CLOSED)
                        b->open--;
                br->state = CLOSED;
                br->failures = 0;
                br->probe_out = 0;
                return;
        }
        br->failures++;
        if (br->state == HALF_OPEN || (br->state == CLOSED && br->failures >= b->threshold)) {
                if (br->state == CLOSED)
                        b->open++;
                br->state = OPEN;
                br->opened_ms = now_ms;
                br->probe_out = 0;
        }
}

size_t publish_breakers_open(const publish_breakers_t *b)
{
        return b->open;
}

int publish_breaker_dest(const char *url, char *out, size_t out_size)
{
        const char *host, *end;
        int scheme = cb_url_split(url, &host, &end), https, n;
        size_t host_len;

        if (scheme < 0)
                return -1;
        https = scheme == 5 && !strncmp(url, "https", 5);
        host_len = (size_t)(end - host);
        /* add the default port when none is given, so both spellings share a breaker */
        if (memchr(host, ':', host_len) && host[host_len - 1] != ']')
                n = snprintf(out, out_size, "%.*s://%.*s", scheme, url, (int)host_len, host);
        else
                n = snprintf(out, out_size, "%.*s://%.*s:%d", scheme, url, (int)host_len, host,
                             https ? 443 : 80);
        return n > 0 && (size_t)n < out_size ? 0 : -1;
}
