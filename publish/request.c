#include "request.h"

#include <stdio.h>
#include <string.h>

#include "cb_log.h"
#include "sign.h"

struct curl_slist *publish_request_headers(const cb_instance_t *inst, const char *env_id,
                                           const char *body, const char *content_type,
                                           long long now)
{
        char line[PUBLISH_SIGN_MAX + 64], sig[PUBLISH_SIGN_MAX];
        struct curl_slist *h = NULL, *t;
        const char *secret = cb_instance_config(inst, "event.notification.secret");
        const char *key = cb_instance_config(inst, "event.notification.signature.key");
        size_t len = strlen(body);

#define ADD(...)                                                                                   \
        do {                                                                                       \
                snprintf(line, sizeof(line), __VA_ARGS__);                                         \
                if (!(t = curl_slist_append(h, line)))                                             \
                        goto fail;                                                                 \
                h = t;                                                                             \
        } while (0)
        ADD("Content-Type: %s", content_type);
        ADD("webhook-id: %s", env_id);
        ADD("webhook-timestamp: %lld", now);
        if (secret && *secret) {
                if (publish_sign_standard(secret, env_id, now, body, len, sig, sizeof(sig)))
                        cb_log_warn("instance %s: event.notification.secret is not a "
                                    "whsec_ secret; sent unsigned",
                                    inst->id);
                else
                        ADD("webhook-signature: %s", sig);
        }
        if (key && *key && !publish_sign_elements(key, body, len, sig, sizeof(sig))) {
                ADD("Elements-Webhook-Signature: %s", sig);
                ADD("Elements-Webhook-Id: %s", env_id);
        }
        ADD("Expect:");
#undef ADD
        return h;
fail:
        curl_slist_free_all(h);
        return NULL;
}
