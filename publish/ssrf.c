#include "ssrf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cidr {
        int family;
        unsigned char addr[16];
        int bits;
} cidr_t;

struct publish_ssrf {
        cidr_t *allow;
        size_t n;
};

/* Non-public ranges (IANA special-purpose registries). */
static const char *const denied[] = {
    "0.0.0.0/8",       "10.0.0.0/8",     "100.64.0.0/10", "127.0.0.0/8",    "169.254.0.0/16",
    "172.16.0.0/12",   "192.0.0.0/24",   "192.0.2.0/24",  "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",   "240.0.0.0/4",    "::/128",
    "::1/128",         "fc00::/7",       "fe80::/10",     "ff00::/8",       "64:ff9b::/96",
    "100::/64",        "2001:db8::/32"};

static int parse_cidr(const char *text, size_t len, cidr_t *c)
{
        char buf[64], *slash;
        long bits;

        if (len == 0 || len >= sizeof(buf))
                return -1;
        memcpy(buf, text, len);
        buf[len] = '\0';
        slash = strchr(buf, '/');
        if (slash)
                *slash++ = '\0';
        memset(c, 0, sizeof(*c));
        if (inet_pton(AF_INET, buf, c->addr) == 1) {
                c->family = AF_INET;
                bits = 32;
        } else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
                c->family = AF_INET6;
                bits = 128;
        } else {
                return -1;
        }
        if (slash) {
                char *end;
                long b = strtol(slash, &end, 10);
                if (*end || end == slash || b < 0 || b > bits)
                        return -1;
                bits = b;
        }
        c->bits = (int)bits;
        return 0;
}

static int in_cidr(const cidr_t *c, int family, const unsigned char *addr)
{
        int full = c->bits / 8, rest = c->bits % 8;

        if (c->family != family || memcmp(c->addr, addr, (size_t)full))
                return 0;
        return !rest || ((c->addr[full] ^ addr[full]) & (0xff << (8 - rest))) == 0;
}

publish_ssrf_t *publish_ssrf_new(const char *allow, char *errstr, size_t errstr_size)
{
        publish_ssrf_t *s = calloc(1, sizeof(*s));
        const char *p = allow;
        size_t len;

        if (!s) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        while (p && *p) {
                p += strspn(p, " ,");
                len = strcspn(p, " ,");
                if (!len)
                        break;
                cidr_t *more = realloc(s->allow, (s->n + 1) * sizeof(*more));
                if (!more) {
                        snprintf(errstr, errstr_size, "out of memory");
                        goto fail;
                }
                s->allow = more;
                if (parse_cidr(p, len, &s->allow[s->n])) {
                        snprintf(errstr, errstr_size, "\"%.*s\" is not an address or CIDR",
                                 (int)len, p);
                        goto fail;
                }
                s->n++;
                p += len;
        }
        return s;
fail:
        publish_ssrf_destroy(s);
        return NULL;
}

void publish_ssrf_destroy(publish_ssrf_t *s)
{
        if (!s)
                return;
        free(s->allow);
        free(s);
}

int publish_ssrf_allowed(const publish_ssrf_t *s, const struct sockaddr *sa)
{
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        const unsigned char *addr;
        int family = sa->sa_family;
        cidr_t c;
        size_t i;

        if (family == AF_INET) {
                addr = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
        } else if (family == AF_INET6) {
                addr = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
                if (!memcmp(addr, mapped, sizeof(mapped))) {
                        family = AF_INET; /* ::ffff:a.b.c.d is a.b.c.d */
                        addr += 12;
                }
        } else {
                return 0;
        }
        for (i = 0; i < s->n; i++)
                if (in_cidr(&s->allow[i], family, addr))
                        return 1;
        for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
                if (!parse_cidr(denied[i], strlen(denied[i]), &c) && in_cidr(&c, family, addr))
                        return 0;
        return 1;
}
