/* Shared by the fuzz targets: the libFuzzer entry point, the invariant check, exact-size input
 * copies and a reader of envelopes parsed back with json-c. */
#ifndef CB_FUZZ_H
#define CB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

/* Runs one input through a parser. Borrows data. Always returns 0 (libFuzzer reserves other
 * values); a broken invariant aborts, which libFuzzer and replay_main report as a crash. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with the failed condition when cond is false. Not assert(): it must stay on in
 * release builds, where the fuzzers and the replay tests run. */
#define FUZZ_CHECK(cond)                                                                           \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,       \
                                #cond);                                                            \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

/* A copy of data[0..len) in a buffer of exactly len bytes (one when len is 0, still given as
 * empty), or NULL when out of memory: not NUL-terminated, so that ASan catches a read past a
 * length. The caller frees it. */
static inline char *fuzz_exact_copy(const uint8_t *data, size_t len)
{
        char *buf = malloc(len ? len : 1);

        if (buf && len)
                memcpy(buf, data, len);
        return buf;
}

/* The string attribute key of a parsed envelope env (e.g. "id"), or NULL. Borrowed from env. */
static inline const char *fuzz_envelope_attr(json_object *env, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(env, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

#endif
