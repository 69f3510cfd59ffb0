/* Unit tests of publish's address policy. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <cmocka.h>

#include "ssrf.h"

static int allowed(const publish_ssrf_t *s, const char *ip)
{
        struct sockaddr_storage ss;
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

        memset(&ss, 0, sizeof(ss));
        if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1)
                sin->sin_family = AF_INET;
        else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1)
                sin6->sin6_family = AF_INET6;
        else
                fail_msg("bad test address %s", ip);
        return publish_ssrf_allowed(s, (struct sockaddr *)&ss);
}

static void test_ssrf_refuses_non_public_addresses(void **state)
{
        static const char *const refused[] = {"127.0.0.1",
                                              "127.9.9.9",
                                              "10.1.2.3",
                                              "172.16.0.1",
                                              "172.31.255.255",
                                              "192.168.1.1",
                                              "169.254.169.254",
                                              "100.64.0.1",
                                              "0.0.0.0",
                                              "224.0.0.1",
                                              "255.255.255.255",
                                              "::1",
                                              "::",
                                              "fe80::1",
                                              "fd00::1",
                                              "ff02::1",
                                              "::ffff:127.0.0.1",
                                              "::ffff:10.0.0.1",
                                              "64:ff9b::a00:1"};
        char err[64];
        publish_ssrf_t *s = publish_ssrf_new("", err, sizeof(err));
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
                assert_false(allowed(s, refused[i]));
        publish_ssrf_destroy(s);
}

static void test_ssrf_allows_public_addresses(void **state)
{
        static const char *const ok[] = {"8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700::1111",
                                         "::ffff:8.8.8.8"};
        char err[64];
        publish_ssrf_t *s = publish_ssrf_new("", err, sizeof(err));
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
                assert_true(allowed(s, ok[i]));
        publish_ssrf_destroy(s);
}

static void test_ssrf_allow_list_opens_named_ranges_only(void **state)
{
        char err[64];
        publish_ssrf_t *s = publish_ssrf_new("127.0.0.1/32, ::1", err, sizeof(err));

        (void)state;
        assert_non_null(s);
        assert_true(allowed(s, "127.0.0.1"));
        assert_true(allowed(s, "::1"));
        assert_true(allowed(s, "::ffff:127.0.0.1"));
        assert_false(allowed(s, "127.0.0.2"));
        assert_false(allowed(s, "10.0.0.1"));
        publish_ssrf_destroy(s);
        assert_null(publish_ssrf_new("127.0.0.1/33", err, sizeof(err)));
        assert_null(publish_ssrf_new("localhost", err, sizeof(err)));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_ssrf_refuses_non_public_addresses),
            cmocka_unit_test(test_ssrf_allows_public_addresses),
            cmocka_unit_test(test_ssrf_allow_list_opens_named_ranges_only),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
