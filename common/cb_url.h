/* cb url: the parts of an http(s) URL closebridge needs without a full parser: where its host
 * starts and ends (past any userinfo), and the URL without its credentials, for logs and
 * records. One implementation for every process (publish's breakers and attempts log). */
#ifndef CB_URL_H
#define CB_URL_H

#include <stddef.h>

/* Splits url ("scheme://[userinfo@]host[:port][/path][?query][#fragment]"): *host points past
 * the userinfo, *end at the first '/', '?' or '#' after the host (or the NUL). Returns the
 * scheme's length, or -1 when url has no "://" (then *host and *end are not set). */
int cb_url_split(const char *url, const char **host, const char **end);

/* Writes url without its userinfo ("https://u:pw@h/p" -> "https://h/p") into out, truncated to
 * out_size - 1 bytes. Text without "://" is copied as it is. Returns 0, or -1 when truncated. */
int cb_url_redact(const char *url, char *out, size_t out_size);

#endif
