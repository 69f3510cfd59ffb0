#include "cb_url.h"

#include <stdio.h>
#include <string.h>

int cb_url_split(const char *url, const char **host, const char **end)
{
        const char *scheme_end = strstr(url, "://"), *h, *e, *at;

        if (!scheme_end)
                return -1;
        h = scheme_end + 3;
        e = h + strcspn(h, "/?#");
        /* the last '@' of the authority ends the userinfo (a password may hold one too) */
        for (at = e; at > h && at[-1] != '@'; at--)
                ;
        *host = at > h ? at : h;
        *end = e;
        return (int)(scheme_end - url);
}

int cb_url_redact(const char *url, char *out, size_t out_size)
{
        const char *host, *end;
        int scheme = cb_url_split(url, &host, &end), n;

        if (scheme < 0)
                n = snprintf(out, out_size, "%s", url);
        else
                n = snprintf(out, out_size, "%.*s://%s", scheme, url, host);
        return n >= 0 && (size_t)n < out_size ? 0 : -1;
}
