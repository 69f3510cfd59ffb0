#include "router.h"

#include <string.h>

#include "ingest.h"
#include "cb_kafka.h"
#include "events.h"
#include "instances_api.h"

/* Cloud Elements served everything under this prefix; closebridge accepts both forms. */
#define CE_PREFIX "/elements/api-v2"

/* 1 when ingest can take webhooks: Kafka reachable, the instances table loaded, no fatal
 * Kafka error; else 0 with *reason set. */
static int ingest_ready(ingest_t *ing, const char **reason)
{
        *reason = ingest_producer_fatal(ing->producer) ? "kafka producer failed"
                  : !cb_kafka_reachable()              ? "no Kafka broker reachable"
                  : !cb_table_loaded(ing->table)       ? "loading instances"
                                                       : "";
        return !**reason;
}

void ingest_route(void *opaque, cb_http_req_t *req)
{
        ingest_t *ing = opaque;
        const char *path = cb_http_req_path(req), *reason;

        int ready = ingest_ready(ing, &reason); /* before reason is read */

        if (cb_http_serve_ops(req, ready, reason))
                return;
        if (!strncmp(path, CE_PREFIX "/", strlen(CE_PREFIX) + 1))
                path += strlen(CE_PREFIX);
        if (!strncmp(path, "/events/closeio/", 16) ||
            !strncmp(path, "/events/closeioPolling/", 23)) {
                cb_http_req_set_route(req, path[15] == '/' ? "webhook" : "polling");
                if (strcmp(cb_http_req_method(req), "POST"))
                        cb_http_respond_error_h(req, 405, "events are POSTed", "Allow", "POST");
                else if (path[15] == '/')
                        ingest_events_webhook(ing, req, path + 16);
                else
                        ingest_events_polling(ing, req, path + 23);
                return;
        }
        if (!strncmp(path, "/instances", 10) && (path[10] == '\0' || path[10] == '/')) {
                cb_http_req_set_route(req, "instances");
                ingest_admin_handle(ing->admin, req, path + 10);
                return;
        }
        cb_http_respond_error(req, 404, "no such path");
}
