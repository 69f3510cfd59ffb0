/* What the unit tests of console/record.c share. Include once, from a test file. */
#ifndef FIXTURE_CONSOLE_RECORD_H
#define FIXTURE_CONSOLE_RECORD_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "record.h"

#define ENVELOPE                                                                                   \
        "{\"specversion\":\"1.0\",\"id\":\"ev_abc-20190115124823395000\","                         \
        "\"source\":\"/closeio/instances/20931\",\"type\":\"io.close.lead.updated\","              \
        "\"subject\":\"lead/lead_BW9v\",\"time\":\"2017-05-18T21:55:26.451Z\","                    \
        "\"datacontenttype\":\"application/json\",\"instanceid\":\"20931\","                       \
        "\"elementkey\":\"closeio\",\"origin\":\"webhook\",\"data\":{\"eventType\":\"UPDATED\","   \
        "\"objectType\":\"leads\",\"objectId\":\"lead_BW9v\","                                     \
        "\"date\":\"2017-05-18T21:55:26.451Z\",\"raw\":{\"id\":\"lead_BW9v\"}}}"
#define ENVELOPE_TIME_MS 1495144526451LL

#define ATTEMPT_RETRY                                                                              \
        "{\"envelopeId\":\"ev_abc-1\",\"instanceId\":\"20931\",\"url\":\"https://x/y\","           \
        "\"attempt\":2,\"status\":503,\"error\":\"HTTP 503\",\"durationMs\":12,"                   \
        "\"outcome\":\"retry\",\"nextDueMs\":1700000000000,\"at\":\"2026-12-01T10:00:00.123Z\"}"
#define ATTEMPT_AT_MS 1796119200123LL

#define TS_MS 1700000000999LL

/* A record of kind with key and value, the rest plain; the strings are copied into buffers of
 * exactly their length followed by junk, so that a read past a length shows. */
typedef struct fixture {
        console_kafka_rec_t in;
        char *key, *value;
} fixture_t;

static __attribute__((unused)) char *unterminated(const char *s, size_t len)
{
        char *buf = malloc(len + 8);

        assert_non_null(buf);
        memcpy(buf, s, len);
        memset(buf + len, '7', 8); /* digits: would lengthen a key or a number */
        return buf;
}

static __attribute__((unused)) void fixture_init(fixture_t *fx, console_topic_kind_t kind,
                                                 const char *key, const char *value)
{
        memset(fx, 0, sizeof(*fx));
        fx->key = key ? unterminated(key, strlen(key)) : NULL;
        fx->value = value ? unterminated(value, strlen(value)) : NULL;
        fx->in.kind = kind;
        fx->in.topic = "closeio.events";
        fx->in.partition = 3;
        fx->in.offset = 42;
        fx->in.ts_ms = TS_MS;
        fx->in.key = fx->key;
        fx->in.key_len = key ? strlen(key) : 0;
        fx->in.value = fx->value;
        fx->in.len = value ? strlen(value) : 0;
}

static __attribute__((unused)) void fixture_fini(fixture_t *fx)
{
        free(fx->key);
        free(fx->value);
}

/* Decodes fx, expecting success. */
static __attribute__((unused)) void decode_ok(fixture_t *fx, console_rec_t *out)
{
        char err[256] = "";

        if (console_rec_decode(&fx->in, out, err, sizeof(err)))
                fail_msg("decode failed: %s", err);
}

/* Decodes fx, expecting failure with a message containing what. */
static __attribute__((unused)) void decode_fails(fixture_t *fx, const char *what)
{
        console_rec_t out;
        char err[256] = "";

        assert_int_equal(console_rec_decode(&fx->in, &out, err, sizeof(err)), -1);
        assert_non_null(strstr(err, what));
}

#endif
