/* Fuzz target: console_rec_decode, a Kafka record of a followed topic as the console's follower
 * hands it to the index.
 *
 * The input is a record, laid out as
 *   byte 0      kind (b % 5: the four topic kinds and one unknown), header count (b / 5 % 4),
 *               no key when b / 20 is odd, no value when b / 40 is odd
 *   byte 1      key length (% 32)
 *   key         that many bytes
 *   headers     per header: one byte naming it (% 8 of the names below; a null value when the
 *               top bit is set), one byte of value length, the value
 *   the rest    the value (JSON, for every kind)
 * with every length cut to what is left. Key, header values and value are each copied into a
 * buffer of exactly their size and are not NUL-terminated, so that ASan catches a read past a
 * length. What the index depends on is held:
 * - a refusal says why (a non-empty message, NUL-terminated);
 * - a record taken names its instance (the key, a valid instance id) and its envelope (a
 *   non-empty id that fits), every string is NUL-terminated within its array, the state is the
 *   one its kind (and, for attempts, its outcome) makes it, and the record's place is copied. */
#include <string.h>

#include "fuzz.h"
#include "record.h"

#define MAX_HEADERS 3
#define TS_MS       1796119200123LL

static const char *const header_names[8] = {
    "cb-attempt",     "cb-due-ms",    "cb-last-status", "cb-last-error",
    "cb-dead-reason", "content-type", "cb-attempt",     "",
};

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

static void check_taken(const console_kafka_rec_t *in, const console_rec_t *out)
{
        static const struct {
                const char *name;
                console_state_t state;
        } outcomes[] = {
            {"delivered", CONSOLE_DELIVERED},   {"retry", CONSOLE_RETRYING},
            {"breaker-open", CONSOLE_RETRYING}, {"dead", CONSOLE_DEAD},
            {"skipped", CONSOLE_SKIPPED},
        };
        size_t i;

        FUZZ_CHECK(TERMINATED(out->instance_id) && TERMINATED(out->env_id));
        FUZZ_CHECK(out->instance_id[0] && out->env_id[0]);
        FUZZ_CHECK(cb_instance_id_valid(out->instance_id));
        FUZZ_CHECK(in->key && in->key_len == strlen(out->instance_id) &&
                   !memcmp(in->key, out->instance_id, in->key_len));
        FUZZ_CHECK(TERMINATED(out->object_type) && TERMINATED(out->object_id) &&
                   TERMINATED(out->event_type) && TERMINATED(out->type) &&
                   TERMINATED(out->origin) && TERMINATED(out->error) && TERMINATED(out->outcome) &&
                   TERMINATED(out->url) && TERMINATED(out->reason));
        FUZZ_CHECK(out->kind == in->kind && out->topic == in->topic &&
                   out->partition == in->partition && out->offset == in->offset &&
                   out->ts_ms == in->ts_ms);
        FUZZ_CHECK(out->state >= CONSOLE_RECEIVED && out->state <= CONSOLE_SKIPPED);
        FUZZ_CHECK(console_state_parse(console_state_name(out->state)) == (int)out->state);
        FUZZ_CHECK(out->attempt >= 0 && out->status >= 0 && out->duration_ms >= 0 &&
                   out->next_due_ms >= 0);

        switch (in->kind) {
        case CONSOLE_TOPIC_EVENTS:
                FUZZ_CHECK(out->state == CONSOLE_RECEIVED);
                break;
        case CONSOLE_TOPIC_RETRY:
                FUZZ_CHECK(out->state == CONSOLE_RETRYING);
                break;
        case CONSOLE_TOPIC_DLQ:
                FUZZ_CHECK(out->state == CONSOLE_DEAD);
                break;
        default: /* CONSOLE_TOPIC_DELIVERIES */
                for (i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
                        if (!strcmp(out->outcome, outcomes[i].name))
                                break;
                FUZZ_CHECK(i < sizeof(outcomes) / sizeof(outcomes[0]));
                FUZZ_CHECK(out->state == outcomes[i].state);
                if (out->state == CONSOLE_SKIPPED)
                        FUZZ_CHECK(!strcmp(out->reason, out->error));
                break;
        }
        if (in->kind != CONSOLE_TOPIC_DELIVERIES)
                FUZZ_CHECK(out->at_ms == in->ts_ms && !out->outcome[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        console_header_t headers[MAX_HEADERS];
        char *hvals[MAX_HEADERS] = {NULL}, *key = NULL, *value = NULL, err[256];
        console_kafka_rec_t in;
        console_rec_t out;
        size_t i, nh, n, pos = 2;
        uint8_t b0;

        if (size < 2)
                return 0;
        b0 = data[0];
        memset(&in, 0, sizeof(in));
        in.kind = (console_topic_kind_t)(b0 % 5);
        in.topic = "closeio.events.fuzz";
        in.partition = b0;
        in.offset = (int64_t)size;
        in.ts_ms = TS_MS;
        nh = b0 / 5 % 4;

        n = data[1] % 32;
        if (n > size - pos)
                n = size - pos;
        if (!(b0 / 20 % 2)) {
                key = fuzz_exact_copy(data + pos, n);
                if (!key)
                        goto done;
                in.key = key;
                in.key_len = n;
        }
        pos += n;

        for (i = 0; i < nh && pos + 2 <= size; i++) {
                uint8_t hb = data[pos];

                n = data[pos + 1];
                pos += 2;
                if (n > size - pos)
                        n = size - pos;
                headers[i].name = header_names[hb % 8];
                headers[i].value = NULL;
                headers[i].len = 0;
                if (!(hb & 0x80)) {
                        hvals[i] = fuzz_exact_copy(data + pos, n);
                        if (!hvals[i])
                                goto done;
                        headers[i].value = hvals[i];
                        headers[i].len = n;
                }
                pos += n;
        }
        in.headers = headers;
        in.nheaders = i;

        if (!(b0 / 40 % 2)) {
                value = fuzz_exact_copy(data + pos, size - pos);
                if (!value)
                        goto done;
                in.value = value;
                in.len = size - pos;
        }

        memset(&out, 0xa5, sizeof(out)); /* nothing left as it was passes as a string */
        memset(err, 'x', sizeof(err));
        if (console_rec_decode(&in, &out, err, sizeof(err))) {
                FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
                FUZZ_CHECK(err[0] != '\0');
        } else {
                check_taken(&in, &out);
        }
done:
        for (i = 0; i < MAX_HEADERS; i++)
                free(hvals[i]);
        free(key);
        free(value);
        return 0;
}
