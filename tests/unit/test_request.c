/* Unit tests of publish's request headers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "request.h"

/* the Standard Webhooks specification's test vector */
#define SW_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SW_ID     "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SW_TS     1614265330LL
#define SW_BODY   "{\"test\": 2432232314}"
#define SW_SIG    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

static cb_instance_t *instance(const char *extra)
{
        char json[768], err[256];
        cb_instance_t *inst;

        snprintf(json, sizeof(json),
                 "{\"element\":{\"key\":\"closeio\"},\"name\":\"acme\",\"configuration\":{"
                 "\"event.notification.enabled\":true,"
                 "\"event.notification.callback.url\":\"http://127.0.0.1:9/cb\"%s}}",
                 extra);
        inst = cb_instance_new("7", json_tokener_parse(json), err, sizeof(err));
        assert_non_null(inst);
        return inst;
}

/* The value of header name in h, or NULL. */
static const char *value(const struct curl_slist *h, const char *name)
{
        size_t n = strlen(name);

        for (; h; h = h->next)
                if (!strncmp(h->data, name, n) && h->data[n] == ':')
                        return h->data[n + 1] == ' ' ? h->data + n + 2 : h->data + n + 1;
        return NULL;
}

static void test_request_unsigned_carries_the_standard_webhooks_id_and_timestamp(void **state)
{
        cb_instance_t *inst = instance("");
        struct curl_slist *h =
            publish_request_headers(inst, SW_ID, SW_BODY, "application/json", SW_TS);

        (void)state;
        assert_non_null(h);
        assert_string_equal(value(h, "Content-Type"), "application/json");
        assert_string_equal(value(h, "webhook-id"), SW_ID);
        assert_string_equal(value(h, "webhook-timestamp"), "1614265330");
        assert_null(value(h, "webhook-signature"));
        assert_null(value(h, "Elements-Webhook-Signature"));
        assert_string_equal(value(h, "Expect"), ""); /* no 100-continue round trip */
        curl_slist_free_all(h);
        cb_instance_release(inst);
}

static void test_request_signs_as_the_instance_asks(void **state)
{
        cb_instance_t *inst = instance(",\"event.notification.secret\":\"" SW_SECRET "\","
                                       "\"event.notification.signature.key\":\"k\"");
        struct curl_slist *h = publish_request_headers(inst, SW_ID, SW_BODY, "text/plain", SW_TS);

        (void)state;
        assert_string_equal(value(h, "webhook-signature"), SW_SIG);
        assert_non_null(value(h, "Elements-Webhook-Signature"));
        assert_int_equal(strncmp(value(h, "Elements-Webhook-Signature"), "sha256=", 7), 0);
        assert_string_equal(value(h, "Elements-Webhook-Id"), SW_ID);
        curl_slist_free_all(h);
        cb_instance_release(inst);
}

static void test_request_a_secret_that_is_not_base64_sends_unsigned(void **state)
{
        cb_instance_t *inst = instance(",\"event.notification.secret\":\"whsec_!!!!\"");
        struct curl_slist *h = publish_request_headers(inst, SW_ID, SW_BODY, "text/plain", SW_TS);

        (void)state;
        assert_non_null(h);
        assert_null(value(h, "webhook-signature"));
        assert_string_equal(value(h, "webhook-id"), SW_ID);
        curl_slist_free_all(h);
        cb_instance_release(inst);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_request_unsigned_carries_the_standard_webhooks_id_and_timestamp),
            cmocka_unit_test(test_request_signs_as_the_instance_asks),
            cmocka_unit_test(test_request_a_secret_that_is_not_base64_sends_unsigned),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
