/* Fuzz target: console_task_decode, a record of the tasks topic (closeio.console.tasks) as the
 * console's replicas read it back (console/task.h).
 *
 * The input is a record, laid out as
 *   byte 0      key length (% 48), cut to what is left
 *   key         that many bytes
 *   the rest    the value (JSON)
 * Key and value are each copied into a buffer of exactly their size and are not NUL-terminated,
 * so that ASan catches a read past a length. What the replicas depend on is held:
 * - a refusal (-1) says why (a non-empty message, NUL-terminated) and leaves *t zeroed;
 * - a cancel request (2) names a valid task id, under the key "<id>/cancel", and sets cancel;
 * - a task (1) has a valid id equal to its key, at most CONSOLE_TASK_PARAMS_MAX parameters,
 *   every string NUL-terminated within its array, counts that can be (matched >= -1, produced
 *   and unavailable >= 0) and a known state; and encoding it again with console_task_encode
 *   then decoding that (under its id) gives the same task, field by field. */
#include <string.h>

#include "fuzz.h"
#include "task.h"

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

static int all_zero(const void *p, size_t n)
{
        const unsigned char *b = p;
        size_t i;

        for (i = 0; i < n; i++)
                if (b[i])
                        return 0;
        return 1;
}

static void check_same(const console_task_t *a, const console_task_t *b)
{
        int i;

        FUZZ_CHECK(!strcmp(a->id, b->id) && !strcmp(a->instance_id, b->instance_id));
        FUZZ_CHECK(a->nparams == b->nparams);
        for (i = 0; i < a->nparams; i++)
                FUZZ_CHECK(!strcmp(a->params[i].name, b->params[i].name) &&
                           !strcmp(a->params[i].value, b->params[i].value));
        FUZZ_CHECK(a->created_ms == b->created_ms && a->until_ms == b->until_ms);
        FUZZ_CHECK(a->state == b->state && a->seq == b->seq && a->updated_ms == b->updated_ms);
        FUZZ_CHECK(a->matched == b->matched && a->produced == b->produced &&
                   a->unavailable == b->unavailable);
        FUZZ_CHECK(a->has_cursor == b->has_cursor && a->cursor_time_ms == b->cursor_time_ms);
        FUZZ_CHECK(!strcmp(a->cursor_instance, b->cursor_instance) &&
                   !strcmp(a->cursor_env, b->cursor_env));
        FUZZ_CHECK(a->cancel == 0 && b->cancel == 0);
        /* decode zeroes the whole task first: nothing else may differ */
        FUZZ_CHECK(!memcmp(a, b, sizeof(*a)));
}

static void check_task(const char *key, size_t key_len, const console_task_t *t)
{
        console_task_t back;
        char err[256], *text;
        int i;

        FUZZ_CHECK(TERMINATED(t->id) && console_task_id_valid(t->id));
        FUZZ_CHECK(key_len == strlen(t->id) && !memcmp(key, t->id, key_len));
        FUZZ_CHECK(TERMINATED(t->instance_id));
        FUZZ_CHECK(t->instance_id[0] == '\0' || cb_instance_id_valid(t->instance_id));
        FUZZ_CHECK(t->nparams >= 0 && t->nparams <= CONSOLE_TASK_PARAMS_MAX);
        for (i = 0; i < t->nparams; i++)
                FUZZ_CHECK(TERMINATED(t->params[i].name) && TERMINATED(t->params[i].value));
        FUZZ_CHECK(TERMINATED(t->cursor_instance) && TERMINATED(t->cursor_env));
        FUZZ_CHECK(t->matched >= -1 && t->produced >= 0 && t->unavailable >= 0 && t->seq >= 0);
        FUZZ_CHECK((unsigned)t->state < CONSOLE_TASK_NSTATES);
        FUZZ_CHECK(t->has_cursor == 0 || t->has_cursor == 1);
        FUZZ_CHECK(t->cancel == 0);
        if (!t->has_cursor)
                FUZZ_CHECK(t->cursor_time_ms == 0 && !t->cursor_instance[0] && !t->cursor_env[0]);

        text = console_task_encode(t);
        if (!text)
                return; /* out of memory */
        memset(&back, 0xa5, sizeof(back));
        memset(err, 'x', sizeof(err));
        if (console_task_decode(t->id, strlen(t->id), text, strlen(text), &back, err,
                                sizeof(err)) != 1) {
                fprintf(stderr, "re-encoded task refused: %.*s\n  %s\n", (int)sizeof(err), err,
                        text);
                FUZZ_CHECK(!"a task encoded again is read back");
        }
        check_same(t, &back);
        free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        console_task_t t, only;
        char *key, *value, err[256];
        size_t key_len, value_len;
        int rc;

        if (size < 1)
                return 0;
        key_len = data[0] % 48;
        if (key_len > size - 1)
                key_len = size - 1;
        value_len = size - 1 - key_len;
        key = fuzz_exact_copy(data + 1, key_len);
        value = fuzz_exact_copy(data + 1 + key_len, value_len);
        if (!key || !value)
                goto done;

        memset(&t, 0xa5, sizeof(t)); /* nothing left as it was passes as a string */
        memset(err, 'x', sizeof(err));
        rc = console_task_decode(key, key_len, value, value_len, &t, err, sizeof(err));
        switch (rc) {
        case -1:
                FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
                FUZZ_CHECK(err[0] != '\0');
                FUZZ_CHECK(all_zero(&t, sizeof(t)));
                break;
        case 2:
                FUZZ_CHECK(TERMINATED(t.id) && console_task_id_valid(t.id));
                FUZZ_CHECK(t.cancel == 1);
                FUZZ_CHECK(key_len == strlen(t.id) + strlen(CONSOLE_TASK_CANCEL_SUFFIX) &&
                           !memcmp(key, t.id, strlen(t.id)) &&
                           !memcmp(key + strlen(t.id), CONSOLE_TASK_CANCEL_SUFFIX,
                                   strlen(CONSOLE_TASK_CANCEL_SUFFIX)));
                /* only the id and cancel: everything else zeroed */
                memset(&only, 0, sizeof(only));
                memcpy(only.id, t.id, sizeof(only.id));
                only.cancel = 1;
                FUZZ_CHECK(!memcmp(&t, &only, sizeof(t)));
                break;
        case 1:
                check_task(key, key_len, &t);
                break;
        default:
                FUZZ_CHECK(!"console_task_decode returns -1, 1 or 2");
        }
done:
        free(key);
        free(value);
        return 0;
}
