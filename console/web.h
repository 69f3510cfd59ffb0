/* console web: the console's web page (docs/console.md §6), served from the binary at /console/.
 * The files are embedded at build time (console/web/embed.cmake); the page is static, holds no
 * data, and needs no auth: everything it shows comes from the API it calls with the credentials
 * its user types in. */
#ifndef CONSOLE_WEB_H
#define CONSOLE_WEB_H

#include <stddef.h>

#include "cb_http.h"

typedef struct console_web_file {
        const char *path; /* "/console/", "/console/app.js", ...; NULL ends the table */
        const char *type; /* Content-Type */
        const char *data; /* NUL-terminated, len bytes before the NUL */
        size_t len;
} console_web_file_t;

/* The embedded files (generated console_web_files.c). */
extern const console_web_file_t console_web_files[];

/* The file served at path (borrowed, URL-decoded), or NULL. */
const console_web_file_t *console_web_find(const char *path);

/* Serves req when its path is the page's: /console (a redirect to /console/) or one of
 * console_web_files, GET or HEAD (else 405), with the headers of a page that runs no script but
 * its own (a strict Content-Security-Policy, nosniff, no framing, no referrer) and
 * Cache-Control: no-cache. Returns 1 when req was the page's (and is answered), else 0; any
 * other path under /console/ but /console/api/ is 404 here. */
int console_web_serve(cb_http_req_t *req);

#endif
