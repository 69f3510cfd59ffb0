/* cb_auth: the admin form, the Element form, and what neither grants. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cb_auth.h"

static const cb_auth_t secrets = {"u-secret", "o-secret"};

static void test_auth_admin_form_with_the_right_secrets_is_admin(void **state)
{
        char el[64];

        (void)state;
        assert_int_equal(cb_auth_check(secrets, "User u-secret, Organization o-secret"), 0);
        assert_int_equal(
            cb_auth_parse(secrets, "User u-secret, Organization o-secret", el, sizeof(el)),
            CB_AUTH_ADMIN);
        assert_string_equal(el, "");
}

static void test_auth_wrong_or_missing_secrets_grant_nothing(void **state)
{
        char el[64];

        (void)state;
        assert_int_equal(cb_auth_check(secrets, "User u-secret, Organization nope"), -1);
        assert_int_equal(cb_auth_parse(secrets, "User nope, Organization o-secret", el, sizeof(el)),
                         CB_AUTH_NONE);
        assert_int_equal(cb_auth_parse(secrets, "User u-secret", el, sizeof(el)), CB_AUTH_NONE);
        assert_int_equal(cb_auth_parse(secrets, NULL, el, sizeof(el)), CB_AUTH_NONE);
        assert_int_equal(cb_auth_parse(secrets, "Bearer x", el, sizeof(el)), CB_AUTH_NONE);
        /* not configured: nobody is admin */
        assert_int_equal(
            cb_auth_parse((cb_auth_t){NULL, ""}, "User , Organization ", el, sizeof(el)),
            CB_AUTH_NONE);
}

static void test_auth_element_form_hands_back_the_token(void **state)
{
        char el[64];

        (void)state;
        assert_int_equal(
            cb_auth_parse(secrets, "User a, Organization b, Element tok123", el, sizeof(el)),
            CB_AUTH_ELEMENT);
        assert_string_equal(el, "tok123");
}

static void test_auth_element_form_needs_every_part(void **state)
{
        char el[8];

        (void)state;
        assert_int_equal(cb_auth_parse(secrets, "Element tok", el, sizeof(el)), CB_AUTH_NONE);
        assert_int_equal(cb_auth_parse(secrets, "User a, Element tok", el, sizeof(el)),
                         CB_AUTH_NONE);
        assert_int_equal(cb_auth_parse(secrets, "User a, Organization b, Element ", el, sizeof(el)),
                         CB_AUTH_NONE);
        assert_int_equal(
            cb_auth_parse(secrets, "User a, Organization b, Element t, X y", el, sizeof(el)),
            CB_AUTH_NONE);
        assert_string_equal(el, "");
        /* a token longer than the caller's room is refused, not cut */
        assert_int_equal(
            cb_auth_parse(secrets, "User a, Organization b, Element 0123456789", el, sizeof(el)),
            CB_AUTH_NONE);
}

static void test_auth_same_compares_whole_secrets(void **state)
{
        (void)state;
        assert_int_equal(cb_auth_same("abc", "abc"), 1);
        assert_int_equal(cb_auth_same("abc", "abcd"), 0);
        assert_int_equal(cb_auth_same("", "a"), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_auth_admin_form_with_the_right_secrets_is_admin),
            cmocka_unit_test(test_auth_wrong_or_missing_secrets_grant_nothing),
            cmocka_unit_test(test_auth_element_form_hands_back_the_token),
            cmocka_unit_test(test_auth_element_form_needs_every_part),
            cmocka_unit_test(test_auth_same_compares_whole_secrets),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
