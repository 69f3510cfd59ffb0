#include "router.h"

#include <string.h>

#include "ingest.h"
#include "webhook.h"

/* Cloud Elements served everything under this prefix; closebridge accepts both forms. */
#define CE_PREFIX "/elements/api-v2"

void ingest_route(void *opaque, cb_http_req_t *req)
{
        ingest_t *ing = opaque;
        const char *path = cb_http_req_path(req);

        if (cb_http_serve_health(
                req, !ingest_producer_fatal(ing->producer) && cb_table_loaded(ing->table),
                ingest_producer_fatal(ing->producer) ? "kafka producer failed"
                                                     : "loading instances"))
                return;
        if (!strncmp(path, CE_PREFIX "/", strlen(CE_PREFIX) + 1))
                path += strlen(CE_PREFIX);
        if (!strncmp(path, "/events/closeio/", 16)) {
                if (strcmp(cb_http_req_method(req), "POST"))
                        cb_http_respond_error_h(req, 405, "webhooks are POSTed", "Allow", "POST");
                else
                        ingest_webhook_handle(ing, req, path + 16);
                return;
        }
        cb_http_respond_error(req, 404, "no such path");
}
