/* Unit tests of the URL helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "cb_url.h"

static void test_url_split_finds_the_host_past_the_userinfo(void **state)
{
        const char *host, *end;

        (void)state;
        assert_int_equal(cb_url_split("https://u:p@h.example:8443/cb?x#f", &host, &end), 5);
        assert_int_equal(end - host, strlen("h.example:8443"));
        assert_int_equal(strncmp(host, "h.example:8443", (size_t)(end - host)), 0);
        assert_int_equal(cb_url_split("http://[::1]:9", &host, &end), 4);
        assert_string_equal(host, "[::1]:9");
        assert_int_equal(*end, '\0');
        /* a password holding '@': the last one ends the userinfo */
        assert_int_equal(cb_url_split("http://u:p@ss@h/x", &host, &end), 4);
        assert_int_equal(strncmp(host, "h/", 2), 0);
        /* an '@' in the path is not userinfo */
        assert_int_equal(cb_url_split("http://h/a@b", &host, &end), 4);
        assert_int_equal(strncmp(host, "h/", 2), 0);
        assert_int_equal(cb_url_split("not a url", &host, &end), -1);
}

static void test_url_redact_drops_only_the_credentials(void **state)
{
        char out[64];

        (void)state;
        assert_int_equal(cb_url_redact("https://u:secret@h/p?q=1", out, sizeof(out)), 0);
        assert_string_equal(out, "https://h/p?q=1");
        assert_int_equal(cb_url_redact("http://h:80/a@b", out, sizeof(out)), 0);
        assert_string_equal(out, "http://h:80/a@b");
        assert_int_equal(cb_url_redact("plain", out, sizeof(out)), 0);
        assert_string_equal(out, "plain");
        assert_int_equal(cb_url_redact("https://u:p@h/0123456789", out, 12), -1);
        assert_string_equal(out, "https://h/0");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_url_split_finds_the_host_past_the_userinfo),
            cmocka_unit_test(test_url_redact_drops_only_the_credentials),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
