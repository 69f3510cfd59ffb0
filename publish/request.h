/* publish request: the headers of one delivery attempt (README.md, Callbacks): Content-Type,
 * the Standard Webhooks id and timestamp, and the signatures the instance asks for
 * (event.notification.secret: webhook-signature; event.notification.signature.key: the Cloud
 * Elements signature and id). */
#ifndef PUBLISH_REQUEST_H
#define PUBLISH_REQUEST_H

#include <curl/curl.h>

#include "cb_instance.h"

/* The headers, "Name: value" each, for body (NUL-terminated) of envelope env_id sent at now
 * (epoch seconds). The caller frees the list (curl_slist_free_all). Returns NULL when out of
 * memory. A secret that is not a whsec_ secret is logged and the attempt goes unsigned. */
struct curl_slist *publish_request_headers(const cb_instance_t *inst, const char *env_id,
                                           const char *body, const char *content_type,
                                           long long now);

#endif
