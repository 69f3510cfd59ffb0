/* Unit tests of cb_config: flags, environment and librdkafka pass-through. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cb_config.h"

static const cb_option_t opts[] = {
    {"http-port", CB_OPT_INT, "8080", 1, 65535, 0, "port"},
    {"name", CB_OPT_STR, "x", 0, 0, 0, "a name"},
    {"secret-key", CB_OPT_STR, NULL, 0, 0, 1, "a secret"},
    {"retries", CB_OPT_INT, "3", 0, 10, 0, "tries"},
};

static cb_config_t *parse(char **argv, int argc, char **envp, int expect)
{
        cb_config_t *cfg = cb_config_new("t", "1", opts, 4);
        char err[256];
        FILE *out = fopen("/dev/null", "w");

        assert_int_equal(cb_config_parse(cfg, argc, argv, envp, out, err, sizeof(err)), expect);
        fclose(out);
        return cfg;
}

static void test_config_defaults_apply_when_nothing_is_set(void **state)
{
        char *argv[] = {"t"};
        char *envp[] = {NULL};
        cb_config_t *cfg = parse(argv, 1, envp, 0);

        (void)state;
        assert_int_equal(cb_config_int(cfg, "http-port"), 8080);
        assert_string_equal(cb_config_str(cfg, "name"), "x");
        assert_null(cb_config_str(cfg, "secret-key"));
        assert_int_equal(cb_config_int(cfg, "retries"), 3);
        cb_config_destroy(cfg);
}

static void test_config_flag_wins_over_environment(void **state)
{
        char *argv[] = {"t", "--http-port", "9000", "--name=flag"};
        char *envp[] = {"CLOSEBRIDGE_HTTP_PORT=7000", "CLOSEBRIDGE_NAME=env",
                        "CLOSEBRIDGE_RETRIES=7", NULL};
        cb_config_t *cfg = parse(argv, 4, envp, 0);

        (void)state;
        assert_int_equal(cb_config_int(cfg, "http-port"), 9000);
        assert_string_equal(cb_config_str(cfg, "name"), "flag");
        assert_int_equal(cb_config_int(cfg, "retries"), 7); /* no flag: the environment's */
        cb_config_destroy(cfg);
}

/* The value of librdkafka property key as configured, or NULL. */
static const char *kafka_prop(const cb_config_t *cfg, const char *key)
{
        const cb_kafka_prop_t *props;
        size_t n, i;

        props = cb_config_kafka_props(cfg, &n);
        for (i = 0; i < n; i++)
                if (!strcmp(props[i].key, key))
                        return props[i].value;
        return NULL;
}

static void test_config_passes_kafka_properties_through(void **state)
{
        char *argv[] = {"t", "--kafka", "sasl.mechanism=SCRAM-SHA-512", "--kafka", "linger.ms=5"};
        char *envp[] = {"KAFKA_BOOTSTRAP_SERVERS=h:9092", "KAFKA_SASL_MECHANISM=PLAIN", NULL};
        cb_config_t *cfg = parse(argv, 5, envp, 0);
        size_t n;

        (void)state;
        assert_string_equal(kafka_prop(cfg, "bootstrap.servers"), "h:9092");
        assert_string_equal(kafka_prop(cfg, "sasl.mechanism"), "SCRAM-SHA-512");
        assert_string_equal(kafka_prop(cfg, "linger.ms"), "5");
        cb_config_kafka_props(cfg, &n);
        assert_int_equal(n, 3);
        cb_config_destroy(cfg);
}

static void test_config_rejects_bad_values_naming_the_setting(void **state)
{
        char *argv1[] = {"t", "--http-port", "70000"};
        char *argv2[] = {"t", "--no-such", "1"};
        char *argv3[] = {"t", "--kafka", "novalue"};
        char *envp_bad[] = {"CLOSEBRIDGE_RETRIES=maybe", NULL};
        char *argv0[] = {"t"};
        char *envp[] = {NULL};
        cb_config_t *cfg = cb_config_new("t", "1", opts, 4);
        char err[256];

        (void)state;
        assert_int_equal(cb_config_parse(cfg, 3, argv1, envp, stdout, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "--http-port"));
        assert_int_equal(cb_config_parse(cfg, 3, argv2, envp, stdout, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "--no-such"));
        assert_int_equal(cb_config_parse(cfg, 3, argv3, envp, stdout, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "--kafka"));
        assert_int_equal(cb_config_parse(cfg, 1, argv0, envp_bad, stdout, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "CLOSEBRIDGE_RETRIES"));
        cb_config_destroy(cfg);
}

static void test_config_help_lists_every_setting_and_hides_secrets(void **state)
{
        char *argv[] = {"t", "--help"};
        char *envp[] = {"CLOSEBRIDGE_SECRET_KEY=hunter2", NULL};
        cb_config_t *cfg = cb_config_new("t", "1", opts, 4);
        char err[256], buf[4096];
        FILE *out = fmemopen(buf, sizeof(buf), "w");
        size_t i;

        (void)state;
        assert_int_equal(cb_config_parse(cfg, 2, argv, envp, out, err, sizeof(err)), 1);
        fclose(out);
        for (i = 0; i < 4; i++)
                assert_non_null(strstr(buf, opts[i].name));
        assert_non_null(strstr(buf, "CLOSEBRIDGE_HTTP_PORT"));
        assert_null(strstr(buf, "hunter2"));
        cb_config_destroy(cfg);
}

static void test_config_help_says_each_default_once(void **state)
{
        static const cb_option_t own[] = {
            {"id", CB_OPT_STR, "", 0, 0, 0, "an id (default: made from the host name)"},
            {"mode", CB_OPT_STR, "", 0, 0, 0, "a mode"},
        };
        char *argv[] = {"t", "--help"};
        char *envp[] = {NULL};
        cb_config_t *cfg = cb_config_new("t", "1", own, 2);
        char err[256], buf[4096];
        FILE *out = fmemopen(buf, sizeof(buf), "w");
        (void)state;
        assert_int_equal(cb_config_parse(cfg, 2, argv, envp, out, err, sizeof(err)), 1);
        fclose(out);
        assert_non_null(strstr(buf, "(default: made from the host name)"));
        assert_null(strstr(buf, "host name) (default"));
        assert_non_null(strstr(buf, "a mode (default: empty)"));
        cb_config_destroy(cfg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_config_defaults_apply_when_nothing_is_set),
            cmocka_unit_test(test_config_flag_wins_over_environment),
            cmocka_unit_test(test_config_passes_kafka_properties_through),
            cmocka_unit_test(test_config_rejects_bad_values_naming_the_setting),
            cmocka_unit_test(test_config_help_lists_every_setting_and_hides_secrets),
            cmocka_unit_test(test_config_help_says_each_default_once),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
