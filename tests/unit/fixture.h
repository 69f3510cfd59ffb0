/* Test helper: reads a fixture from tests/data, and parses a webhook one as ingest does (a test
 * that calls fixture_close_parse links ingestlib). */
#ifndef TEST_FIXTURE_H
#define TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <json-c/json.h>

#include "close_event.h"

/* The parsed fixture tests/data/name; fails the test when it cannot be read. Caller owns. */
static inline json_object *fixture_json(const char *name)
{
        char path[512];
        json_object *obj;

        snprintf(path, sizeof(path), "%s/%s", CB_TEST_DATA, name);
        obj = json_object_from_file(path);
        if (!obj) {
                fprintf(stderr, "cannot read fixture %s\n", path);
                abort();
        }
        return obj;
}

/* ingest_close_parse_webhook of body's JSON text (json-c's, held by body, which must outlive ev).
 */
static inline int fixture_close_parse(json_object *body, ingest_close_event_t *ev, char *err,
                                      size_t err_size)
{
        size_t len;
        const char *text = json_object_to_json_string_length(
            body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

        return ingest_close_parse_webhook(text, len, ev, err, err_size);
}

#endif
