/* Unit tests of publish_hosts: the delivery engine's admission per destination. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hosts.h"

static publish_job_t job_to(const char *dest)
{
        publish_job_t j;

        memset(&j, 0, sizeof(j));
        j.dest = dest;
        return j;
}

static void test_beyond_the_limit_jobs_wait_and_go_in_order(void **state)
{
        publish_hosts_t *h = publish_hosts_new(2);
        publish_job_t a = job_to("http://a:80"), b = job_to("http://a:80"),
                      c = job_to("http://a:80"), d = job_to("http://a:80"),
                      other = job_to("http://b:80");

        (void)state;
        assert_non_null(h);
        assert_int_equal(publish_hosts_admit(h, &a), 1);
        assert_int_equal(publish_hosts_admit(h, &b), 1);
        assert_int_equal(publish_hosts_admit(h, &c), 0); /* a:80 is full */
        assert_int_equal(publish_hosts_admit(h, &d), 0);
        assert_int_equal(publish_hosts_admit(h, &other), 1); /* another destination is not */
        assert_int_equal(publish_hosts_waiting(h), 2);
        assert_int_equal(publish_hosts_active(h), 3);
        /* an end gives its turn to the oldest waiting job of its destination */
        assert_ptr_equal(publish_hosts_release(h, &b), &c);
        assert_ptr_equal(publish_hosts_release(h, &a), &d);
        assert_null(publish_hosts_release(h, &other));
        assert_int_equal(publish_hosts_waiting(h), 0);
        assert_int_equal(publish_hosts_active(h), 2);
        assert_null(publish_hosts_release(h, &c));
        assert_null(publish_hosts_release(h, &d));
        assert_int_equal(publish_hosts_active(h), 0);
        /* a destination with nothing left is forgotten, and starts afresh */
        assert_int_equal(publish_hosts_admit(h, &a), 1);
        assert_null(publish_hosts_release(h, &a));
        publish_hosts_destroy(h);
}

static void test_jobs_without_a_key_are_never_held(void **state)
{
        publish_hosts_t *h = publish_hosts_new(1);
        publish_job_t a = job_to(NULL), b = job_to(NULL);

        (void)state;
        assert_int_equal(publish_hosts_admit(h, &a), 1);
        assert_int_equal(publish_hosts_admit(h, &b), 1);
        assert_int_equal(publish_hosts_active(h), 0);
        assert_null(publish_hosts_release(h, &a));
        assert_null(publish_hosts_release(h, &b));
        publish_hosts_destroy(h);
}

static void test_take_all_hands_back_every_waiting_job(void **state)
{
        publish_hosts_t *h = publish_hosts_new(1);
        publish_job_t a = job_to("http://a:80"), a2 = job_to("http://a:80"),
                      a3 = job_to("http://a:80"), b = job_to("http://b:80"),
                      b2 = job_to("http://b:80");
        publish_job_t *all, *j;
        int n = 0, seen_a2_before_a3 = 0, seen_a2 = 0;

        (void)state;
        assert_int_equal(publish_hosts_admit(h, &a), 1);
        assert_int_equal(publish_hosts_admit(h, &a2), 0);
        assert_int_equal(publish_hosts_admit(h, &a3), 0);
        assert_int_equal(publish_hosts_admit(h, &b), 1);
        assert_int_equal(publish_hosts_admit(h, &b2), 0);
        all = publish_hosts_take_all(h);
        for (j = all; j; j = j->next, n++) {
                seen_a2 |= j == &a2;
                if (j == &a3)
                        seen_a2_before_a3 = seen_a2;
        }
        assert_int_equal(n, 3);
        assert_true(seen_a2_before_a3);
        assert_int_equal(publish_hosts_waiting(h), 0);
        /* the counted ones still end normally, with nothing waiting behind them */
        assert_null(publish_hosts_release(h, &a));
        assert_null(publish_hosts_release(h, &b));
        assert_int_equal(publish_hosts_active(h), 0);
        publish_hosts_destroy(h);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_beyond_the_limit_jobs_wait_and_go_in_order),
            cmocka_unit_test(test_jobs_without_a_key_are_never_held),
            cmocka_unit_test(test_take_all_hands_back_every_waiting_job),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
