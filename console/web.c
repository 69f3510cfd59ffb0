/* console web: see web.h. */
#include "web.h"

#include <string.h>

/* What the page may do: its own scripts, styles and API calls, nothing else: no inline script
 * or style, no other origin, no plug-ins, no framing, no form posted elsewhere. */
#define CONSOLE_WEB_CSP                                                                            \
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"           \
        " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static const char *const page_headers[] = {"Content-Security-Policy",
                                           CONSOLE_WEB_CSP,
                                           "X-Content-Type-Options",
                                           "nosniff",
                                           "X-Frame-Options",
                                           "DENY",
                                           "Referrer-Policy",
                                           "no-referrer",
                                           "Cache-Control",
                                           "no-cache",
                                           "Cross-Origin-Opener-Policy",
                                           "same-origin",
                                           NULL};

static const char *const redirect_headers[] = {"Location", "/console/", NULL};

const console_web_file_t *console_web_find(const char *path)
{
        const console_web_file_t *f;

        for (f = console_web_files; f->path; f++)
                if (!strcmp(f->path, path))
                        return f;
        return NULL;
}

int console_web_serve(cb_http_req_t *req)
{
        const char *path = cb_http_req_path(req), *method = cb_http_req_method(req);
        const console_web_file_t *f;
        static const char moved[] = "{\"error\":{\"status\":301,\"message\":\"the page is at "
                                    "/console/\"}}\n";

        if (strcmp(path, "/console") && strncmp(path, "/console/", 9))
                return 0;
        if (!strncmp(path, "/console/api/", 13))
                return 0;
        cb_http_req_set_route(req, "page");
        if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
                cb_http_respond_error_h(req, 405, "the page answers GET", "Allow", "GET, HEAD");
                return 1;
        }
        if (!strcmp(path, "/console")) {
                cb_http_respond_static(req, 301, "application/json", moved, sizeof(moved) - 1,
                                       redirect_headers);
                return 1;
        }
        if (!(f = console_web_find(path))) {
                cb_http_respond_error(req, 404, "no such file of the page");
                return 1;
        }
        cb_http_respond_static(req, 200, f->type, f->data, f->len, page_headers);
        return 1;
}
