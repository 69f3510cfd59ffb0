#include "cb_auth.h"

#include <stddef.h>
#include <string.h>
#include <openssl/evp.h>

#include "cb_hmac.h"

int cb_auth_configured(cb_auth_t secrets)
{
        return secrets.user && *secrets.user && secrets.org && *secrets.org;
}

/* Copies the value after "<word> " in s up to the next ',' (or the end) into out, trimmed.
 * Returns the position after it, or NULL when s does not start with word. */
static const char *take(const char *s, const char *word, char *out, size_t size)
{
        size_t wlen = strlen(word), len;

        s += strspn(s, " \t");
        if (strncmp(s, word, wlen) || (s[wlen] != ' ' && s[wlen] != '\t'))
                return NULL;
        s += wlen;
        s += strspn(s, " \t");
        len = strcspn(s, ",");
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                len--;
        if (len == 0 || len >= size)
                return NULL;
        memcpy(out, s, len);
        out[len] = '\0';
        s += len;
        s += strspn(s, " \t");
        return *s == ',' ? s + 1 : s;
}

/* Compares two secrets of any length in constant time, through their SHA-256 digests. */
int cb_auth_same(const char *a, const char *b)
{
        unsigned char da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
        unsigned int la = 0, lb = 0;

        if (!EVP_Digest(a, strlen(a), da, &la, EVP_sha256(), NULL) ||
            !EVP_Digest(b, strlen(b), db, &lb, EVP_sha256(), NULL) || la != lb)
                return 0;
        return cb_equal_ct(da, db, la);
}

int cb_auth_check(cb_auth_t secrets, const char *authorization)
{
        char user[256], org[256];
        const char *p = authorization;
        int ok;

        if (!cb_auth_configured(secrets) || !p)
                return -1;
        p = take(p, "User", user, sizeof(user));
        p = p ? take(p, "Organization", org, sizeof(org)) : NULL;
        if (!p || *p)
                return -1;
        /* both compared, whatever the first gave */
        ok = cb_auth_same(user, secrets.user);
        ok &= cb_auth_same(org, secrets.org);
        return ok ? 0 : -1;
}

cb_auth_grant_t cb_auth_parse(cb_auth_t secrets, const char *authorization, char *element,
                              size_t element_size)
{
        char user[256], org[256];
        const char *p = authorization;

        if (element_size)
                element[0] = '\0';
        if (!p)
                return CB_AUTH_NONE;
        p = take(p, "User", user, sizeof(user));
        p = p ? take(p, "Organization", org, sizeof(org)) : NULL;
        if (!p)
                return CB_AUTH_NONE;
        if (!*p)
                return cb_auth_check(secrets, authorization) ? CB_AUTH_NONE : CB_AUTH_ADMIN;
        p = take(p, "Element", element, element_size);
        if (!p || *p) {
                if (element_size)
                        element[0] = '\0';
                return CB_AUTH_NONE;
        }
        return CB_AUTH_ELEMENT;
}
