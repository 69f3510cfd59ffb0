/* ingest auth: the admin credentials of Cloud Elements' API,
 * "Authorization: User <user secret>, Organization <organization secret>". */
#ifndef INGEST_AUTH_H
#define INGEST_AUTH_H

#include "cb_config.h"

/* 1 when admin secrets are configured (admin-user-secret and admin-org-secret), else 0. */
int ingest_auth_configured(const cb_config_t *cfg);

/* Checks an Authorization header value (NULL when absent) against the configured secrets, in
 * constant time. Returns 0 when it matches, -1 otherwise (also when none are configured). */
int ingest_auth_check(const cb_config_t *cfg, const char *authorization);

#endif
