/* Unit tests of publish's signatures, against the references' test vectors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "sign.h"

#define SW_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SW_ID     "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SW_TS     1614265330LL
#define SW_BODY   "{\"test\": 2432232314}"
#define SW_SIG    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

static void test_sign_standard_webhooks_matches_the_spec_vector(void **state)
{
        char out[PUBLISH_SIGN_MAX];

        (void)state;
        assert_int_equal(publish_sign_standard(SW_SECRET, SW_ID, SW_TS, SW_BODY, strlen(SW_BODY),
                                               out, sizeof(out)),
                         0);
        assert_string_equal(out, SW_SIG);
        /* without the prefix, too */
        assert_int_equal(publish_sign_standard(SW_SECRET + 6, SW_ID, SW_TS, SW_BODY,
                                               strlen(SW_BODY), out, sizeof(out)),
                         0);
        assert_string_equal(out, SW_SIG);
}

static void test_sign_standard_webhooks_signs_with_every_rotated_secret(void **state)
{
        char out[PUBLISH_SIGN_MAX];

        (void)state;
        assert_int_equal(publish_sign_standard("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA " SW_SECRET,
                                               SW_ID, SW_TS, SW_BODY, strlen(SW_BODY), out,
                                               sizeof(out)),
                         0);
        assert_non_null(strstr(out, " " SW_SIG));
        assert_int_equal(strncmp(out, "v1,", 3), 0);
        assert_string_not_equal(out, SW_SIG);
}

static void test_sign_standard_webhooks_changes_with_the_body(void **state)
{
        char out[PUBLISH_SIGN_MAX];

        (void)state;
        assert_int_equal(publish_sign_standard(SW_SECRET, SW_ID, SW_TS, "{\"test\": 2432232315}",
                                               strlen(SW_BODY), out, sizeof(out)),
                         0);
        assert_string_not_equal(out, SW_SIG);
}

static void test_sign_standard_webhooks_rejects_bad_secrets(void **state)
{
        char out[PUBLISH_SIGN_MAX];

        (void)state;
        assert_int_equal(publish_sign_standard("", SW_ID, SW_TS, SW_BODY, 5, out, sizeof(out)), -1);
        assert_int_equal(
            publish_sign_standard("whsec_!!!!", SW_ID, SW_TS, SW_BODY, 5, out, sizeof(out)), -1);
}

static void test_sign_elements_matches_the_cloud_elements_vector(void **state)
{
        const char *body = "<INSERT_EVENT_NOTIFICATION_RESPONSE_BODY>";
        char out[PUBLISH_SIGN_MAX];

        (void)state;
        assert_int_equal(publish_sign_elements("MySecretEventSignatureKey", body, strlen(body), out,
                                               sizeof(out)),
                         0);
        assert_string_equal(out, "sha256=jHdbRx5EZAsOfTwAPJOGkNUzQMVVdu5VJlxcsk+G6jQ=");
}

static void test_sign_elements_matches_the_fixture_c1_vector(void **state)
{
        const char *body =
            "{\"message\":{\"elementKey\":\"closeio\",\"accountId\":12345,\"companyId\":6789,"
            "\"userId\":4321,\"eventId\":\"9876543\",\"instanceId\":20931,\"instance_id\":20931,"
            "\"instanceName\":\"acme-close\",\"instanceTags\":[\"acme\"],\"events\":[{"
            "\"elementKey\":\"closeio\",\"eventType\":\"UPDATED\",\"objectType\":\"leads\","
            "\"objectId\":\"lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus\",\"date\":\"2017-"
            "05-18T21:55:26.451Z\"}],\"raw\":{\"model\":\"lead\",\"event\":\"update\",\"data\":{"
            "\"id\":\"lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus\",\"date_updated\":\"2017-"
            "05-18T21:55:26.451000+00:00\",\"date_created\":\"2017-05-18T21:54:27.795000+00:00\","
            "\"display_name\":\"churros tmp account\"}}}}";
        char out[PUBLISH_SIGN_MAX];

        (void)state;
        assert_int_equal(
            publish_sign_elements("abcd1234efgh5678", body, strlen(body), out, sizeof(out)), 0);
        assert_string_equal(out, "sha256=7Ooezn4f726UiKKwOS8TNHIu3PgAKTAiJ/uxRv+IqQg=");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_sign_standard_webhooks_matches_the_spec_vector),
            cmocka_unit_test(test_sign_standard_webhooks_signs_with_every_rotated_secret),
            cmocka_unit_test(test_sign_standard_webhooks_changes_with_the_body),
            cmocka_unit_test(test_sign_standard_webhooks_rejects_bad_secrets),
            cmocka_unit_test(test_sign_elements_matches_the_cloud_elements_vector),
            cmocka_unit_test(test_sign_elements_matches_the_fixture_c1_vector),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
