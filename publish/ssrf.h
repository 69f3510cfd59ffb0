/* publish ssrf: which resolved addresses a callback may connect to.
 *
 * Loopback, private, link-local, shared, multicast, reserved and other non-public addresses are
 * refused (IPv4 and IPv6, with IPv4-mapped IPv6 checked as IPv4), unless an allow-list names
 * them (for tests and internal receivers). Checked on the address actually dialled, so DNS
 * tricks do not get around it (docs/sources.md §13). */
#ifndef PUBLISH_SSRF_H
#define PUBLISH_SSRF_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct publish_ssrf publish_ssrf_t;

/* Creates the policy with allow, a comma-separated list of CIDRs ("127.0.0.0/8,::1/128"), or
 * "" for none. Returns NULL with errstr naming the bad entry. */
publish_ssrf_t *publish_ssrf_new(const char *allow, char *errstr, size_t errstr_size);
void publish_ssrf_destroy(publish_ssrf_t *s);

/* 1 when sa (AF_INET or AF_INET6) may be connected to, else 0. */
int publish_ssrf_allowed(const publish_ssrf_t *s, const struct sockaddr *sa);

#endif
