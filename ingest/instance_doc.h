/* ingest instance doc: the instance JSON as the instances API makes, changes and shows it
 * (docs/architecture.md §2, §5.2); whether it is valid is cb_instance_check's to say. Pure
 * json-c work on trees, no HTTP or Kafka, so the request bodies it handles can be fuzzed
 * (tests/fuzz/fuzz_instance.c, fuzz_merge_patch.c). */
#ifndef INGEST_INSTANCE_DOC_H
#define INGEST_INSTANCE_DOC_H

#include <stddef.h>
#include <json-c/json.h>

#include "cb_instance.h"

/* Makes the body of a create request (stored: borrowed, changed in place; complete as
 * cb_instance_check judges it) the instance to store, without its id: drops any "id", sets
 * configuration.event.notification.secret to secret unless it has one, and "token" to token
 * (both copied). Returns 0, or -1 when stored has no configuration object. */
int ingest_instance_prepare(json_object *stored, const char *secret, const char *token);

/* Applies a PATCH body to stored (both borrowed; stored is changed in place and may come to
 * share values with patch): name, tags and disabled replace, configuration entries merge, null
 * removes any of them (RFC 7396), id and element are ignored. Returns 0, or -1 with errstr set
 * when patch names another key or its configuration is not an object (stored then partly
 * changed). */
int ingest_instance_merge(json_object *stored, json_object *patch, char *errstr,
                          size_t errstr_size);

/* The answer for a stored instance (borrowed), shaped like Cloud Elements' instance response,
 * with every secret of the configuration masked. reveal shows the token and the Standard
 * Webhooks secret (the create answer only). Returns a new object the caller owns, which shares
 * nothing with stored: it may outlive the instance stored belongs to, and be serialised on any
 * thread. */
json_object *ingest_instance_view(json_object *stored, int reveal);

#endif
