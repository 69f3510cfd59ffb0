/* Test helper: reads a fixture from tests/data. */
#ifndef TEST_FIXTURE_H
#define TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <json-c/json.h>

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

#endif
