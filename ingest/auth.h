/* ingest auth: the admin credentials of Cloud Elements' API,
 * "Authorization: User <user secret>, Organization <organization secret>". */
#ifndef INGEST_AUTH_H
#define INGEST_AUTH_H

/* The admin secrets (admin-user-secret and admin-org-secret; NULL or "" when not set). */
typedef struct ingest_auth {
        const char *user, *org;
} ingest_auth_t;

/* 1 when both admin secrets are configured, else 0. */
int ingest_auth_configured(ingest_auth_t secrets);

/* Checks an Authorization header value (NULL when absent) against the secrets, in constant
 * time. Returns 0 when it matches, -1 otherwise (also when none are configured). */
int ingest_auth_check(ingest_auth_t secrets, const char *authorization);

#endif
