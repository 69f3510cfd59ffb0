/* cb_auth: the credentials of Cloud Elements' API, which ingest's instances API and the
 * console's events API take:
 * - admin: "Authorization: User <user secret>, Organization <organization secret>";
 * - one instance (the console only): "User <s>, Organization <s>, Element <instance token>".
 *   The token alone decides; User and Organization must be there, as Cloud Elements had them,
 *   but a tenant does not know the admin secrets, so their values are not checked
 * (docs/console.md). Secrets and tokens are compared in constant time. */
#ifndef CB_AUTH_H
#define CB_AUTH_H

#include <stddef.h>

/* The admin secrets (admin-user-secret and admin-org-secret; NULL or "" when not set). */
typedef struct cb_auth {
        const char *user, *org;
} cb_auth_t;

/* 1 when both admin secrets are configured, else 0. */
int cb_auth_configured(cb_auth_t secrets);

/* Checks an Authorization header value (NULL when absent) against the secrets, in constant
 * time. Returns 0 when it matches, -1 otherwise (also when none are configured). */
int cb_auth_check(cb_auth_t secrets, const char *authorization);

/* What an Authorization header value grants (cb_auth_parse). */
typedef enum cb_auth_grant {
        CB_AUTH_NONE = -1,  /* nothing: absent, malformed, wrong secrets */
        CB_AUTH_ADMIN = 0,  /* everything */
        CB_AUTH_ELEMENT = 1 /* the instance whose token the caller compares (cb_auth_same) */
} cb_auth_grant_t;

/* Reads an Authorization header value (NULL when absent). The admin form grants
 * CB_AUTH_ADMIN when the secrets match; the form with an Element part grants CB_AUTH_ELEMENT
 * and copies the token into element (element_size bytes; a longer token is CB_AUTH_NONE).
 * Anything else, and the admin form without configured secrets, is CB_AUTH_NONE. */
cb_auth_grant_t cb_auth_parse(cb_auth_t secrets, const char *authorization, char *element,
                              size_t element_size);

/* 1 when the two secrets are equal, compared in constant time (through their SHA-256
 * digests, so whatever their lengths), else 0. */
int cb_auth_same(const char *a, const char *b);

#endif
