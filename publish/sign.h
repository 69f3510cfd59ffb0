/* publish sign: the signatures a callback carries (docs/sources.md §8, §7).
 *
 * Standard Webhooks: webhook-signature = "v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>",
 * the secret being the base64 after "whsec_". Several secrets (space-separated, during
 * rotation) give several signatures, space-separated.
 * Cloud Elements: Elements-Webhook-Signature = "sha256=<base64 HMAC-SHA256(key, body)>", the key
 * being the UTF-8 bytes of event.notification.signature.key. */
#ifndef PUBLISH_SIGN_H
#define PUBLISH_SIGN_H

#include <stddef.h>

#define PUBLISH_SIGN_MAX 512

/* Writes the webhook-signature value for msg_id, timestamp and body into out, one "v1,..." per
 * secret in secrets (space-separated "whsec_..." values; the prefix is optional, padding too).
 * Returns 0, or -1 when a secret is not base64 or out_size is too small. */
int publish_sign_standard(const char *secrets, const char *msg_id, long long timestamp,
                          const char *body, size_t len, char *out, size_t out_size);

/* Writes the Elements-Webhook-Signature value ("sha256=...") for body into out.
 * Returns 0 or -1. */
int publish_sign_elements(const char *key, const char *body, size_t len, char *out,
                          size_t out_size);

#endif
