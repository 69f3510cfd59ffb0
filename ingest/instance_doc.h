/* ingest instance doc: the instance JSON as the instances API reads, changes and shows it
 * (docs/architecture.md §2, §5.2). Pure json-c work on trees, no HTTP or Kafka, so the request
 * bodies it handles can be fuzzed (tests/fuzz/fuzz_instance.c, fuzz_merge_patch.c). */
#ifndef INGEST_INSTANCE_DOC_H
#define INGEST_INSTANCE_DOC_H

#include <stddef.h>
#include <json-c/json.h>

/* Room enough for every message of ingest_instance_check and ingest_instance_merge. */
#define INGEST_INSTANCE_ERR_MAX 1100

/* The configuration entry key of conf (borrowed; NULL allowed) as text: strings as they are,
 * other values as JSON text. Borrowed from conf; NULL when absent or null. */
const char *ingest_instance_conf_str(json_object *conf, const char *key);

/* Checks what an instance must have before the API stores it: a name, element.key "closeio",
 * a configuration with a username (the Close API key), an http(s) callback URL when
 * notifications are on; disabled a boolean and tags an array of strings when present.
 * Borrows inst. Returns 0 when complete, or -1 with errstr naming every missing or wrong entry
 * (the 400 answer's message). */
int ingest_instance_check(json_object *inst, char *errstr, size_t errstr_size);

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
