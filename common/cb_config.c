#include "cb_config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct cb_config {
        const char *proc;
        const char *version;
        const cb_option_t *opts;
        size_t n;
        char **values; /* values[i] owned, NULL = unset */
        cb_kafka_prop_t *props;
        size_t nprops;
};

cb_config_t *cb_config_new(const char *proc, const char *version, const cb_option_t *opts, size_t n)
{
        cb_config_t *cfg = calloc(1, sizeof(*cfg));

        if (!cfg)
                return NULL;
        cfg->values = calloc(n ? n : 1, sizeof(char *));
        if (!cfg->values) {
                free(cfg);
                return NULL;
        }
        cfg->proc = proc;
        cfg->version = version;
        cfg->opts = opts;
        cfg->n = n;
        return cfg;
}

void cb_config_destroy(cb_config_t *cfg)
{
        size_t i;

        if (!cfg)
                return;
        for (i = 0; i < cfg->n; i++)
                free(cfg->values[i]);
        for (i = 0; i < cfg->nprops; i++) {
                free(cfg->props[i].key);
                free(cfg->props[i].value);
        }
        free(cfg->props);
        free(cfg->values);
        free(cfg);
}

/* Writes the environment variable name of option name into buf. */
static void env_name(const char *name, char *buf, size_t size)
{
        size_t len = (size_t)snprintf(buf, size, "CLOSEBRIDGE_");
        for (; *name && len + 1 < size; name++)
                buf[len++] = *name == '-' ? '_' : (char)toupper((unsigned char)*name);
        buf[len] = '\0';
}

static long find_opt(const cb_config_t *cfg, const char *name, size_t len)
{
        size_t i;

        for (i = 0; i < cfg->n; i++)
                if (strlen(cfg->opts[i].name) == len && !strncmp(cfg->opts[i].name, name, len))
                        return (long)i;
        return -1;
}

static int check_value(const cb_option_t *opt, const char *value, char *errstr, size_t errstr_size)
{
        char *end;
        long v;

        if (opt->type == CB_OPT_INT) {
                errno = 0;
                v = strtol(value, &end, 10);
                if (errno || end == value || *end || v < opt->min || v > opt->max) {
                        snprintf(errstr, errstr_size,
                                 "--%s: \"%s\" is not a whole number from %ld to %ld", opt->name,
                                 opt->secret ? "***" : value, opt->min, opt->max);
                        return -1;
                }
        }
        return 0;
}

static int set_value(cb_config_t *cfg, size_t i, const char *value, char *errstr,
                     size_t errstr_size)
{
        char *copy;

        if (check_value(&cfg->opts[i], value, errstr, errstr_size))
                return -1;
        copy = strdup(value);
        if (!copy) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        free(cfg->values[i]);
        cfg->values[i] = copy;
        return 0;
}

/* Sets librdkafka property key (copied, klen bytes) to value; a later setting replaces. */
static int set_prop(cb_config_t *cfg, const char *key, size_t klen, const char *value, int from_env)
{
        cb_kafka_prop_t *props;
        size_t i;
        char *k = strndup(key, klen), *v = strdup(value);

        if (!k || !v)
                goto fail;
        for (i = 0; i < cfg->nprops; i++) {
                if (!strcmp(cfg->props[i].key, k)) {
                        free(cfg->props[i].value);
                        cfg->props[i].value = v;
                        cfg->props[i].from_env = from_env;
                        free(k);
                        return 0;
                }
        }
        props = realloc(cfg->props, (cfg->nprops + 1) * sizeof(*props));
        if (!props)
                goto fail;
        cfg->props = props;
        cfg->props[cfg->nprops].key = k;
        cfg->props[cfg->nprops].value = v;
        cfg->props[cfg->nprops].from_env = from_env;
        cfg->nprops++;
        return 0;
fail:
        free(k);
        free(v);
        return -1;
}

static void print_help(const cb_config_t *cfg, FILE *out)
{
        char env[128];
        size_t i;

        fprintf(out,
                "Usage: %s [--name VALUE]...\n\n"
                "Every setting is a flag and an environment variable; the flag wins.\n\n",
                cfg->proc);
        for (i = 0; i < cfg->n; i++) {
                const cb_option_t *opt = &cfg->opts[i];
                env_name(opt->name, env, sizeof(env));
                fprintf(out, "  --%s, %s\n      %s", opt->name, env, opt->help);
                if (opt->secret)
                        fprintf(out, " (secret)");
                else if (opt->def && !strstr(opt->help, "(default:")) /* not said already */
                        fprintf(out, " (default: %s)", *opt->def ? opt->def : "empty");
                if (opt->type == CB_OPT_INT)
                        fprintf(out, " [%ld..%ld]", opt->min, opt->max);
                fputc('\n', out);
        }
        fprintf(out, "  --kafka PROPERTY=VALUE, KAFKA_<PROPERTY>\n"
                     "      any librdkafka property, repeatable; KAFKA_SASL_MECHANISM=PLAIN sets\n"
                     "      sasl.mechanism (strip KAFKA_, lower-case, '_' becomes '.')\n"
                     "  --help      print this and exit\n"
                     "  --version   print the version and exit\n");
}

/* The value of variable name in envp, or NULL. */
static const char *env_lookup(char **envp, const char *name)
{
        size_t len = strlen(name);

        for (; envp && *envp; envp++)
                if (!strncmp(*envp, name, len) && (*envp)[len] == '=')
                        return *envp + len + 1;
        return NULL;
}

static int parse_env(cb_config_t *cfg, char **envp, char *errstr, size_t errstr_size)
{
        char env[128], key[256];
        size_t i, j;

        for (i = 0; i < cfg->n; i++) {
                const char *v;
                env_name(cfg->opts[i].name, env, sizeof(env));
                v = env_lookup(envp, env);
                if (v && set_value(cfg, i, v, errstr, errstr_size)) {
                        /* name the variable the user actually set */
                        char msg[512];
                        snprintf(msg, sizeof(msg), "%s (from %s)", errstr, env);
                        snprintf(errstr, errstr_size, "%s", msg);
                        return -1;
                }
        }
        for (; envp && *envp; envp++) {
                const char *eq = strchr(*envp, '=');
                if (strncmp(*envp, "KAFKA_", 6) || !eq || eq - *envp - 6 <= 0 ||
                    (size_t)(eq - *envp - 6) >= sizeof(key))
                        continue;
                for (j = 0; j < (size_t)(eq - *envp - 6); j++) {
                        char c = (*envp)[6 + j];
                        key[j] = c == '_' ? '.' : (char)tolower((unsigned char)c);
                }
                if (set_prop(cfg, key, j, eq + 1, 1)) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return -1;
                }
        }
        return 0;
}

int cb_config_parse(cb_config_t *cfg, int argc, char **argv, char **envp, FILE *out, char *errstr,
                    size_t errstr_size)
{
        int a;

        if (parse_env(cfg, envp, errstr, errstr_size))
                return -1;
        for (a = 1; a < argc; a++) {
                const char *arg = argv[a], *name, *eq, *value;
                size_t len;
                long i;

                if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
                        print_help(cfg, out);
                        return 1;
                }
                if (!strcmp(arg, "--version")) {
                        fprintf(out, "%s %s\n", cfg->proc, cfg->version);
                        return 1;
                }
                if (strncmp(arg, "--", 2)) {
                        snprintf(errstr, errstr_size, "unexpected argument \"%s\" (see --help)",
                                 arg);
                        return -1;
                }
                name = arg + 2;
                eq = strchr(name, '=');
                len = eq ? (size_t)(eq - name) : strlen(name);
                i = find_opt(cfg, name, len);
                if (i < 0 && !(len == 5 && !strncmp(name, "kafka", 5))) {
                        snprintf(errstr, errstr_size, "unknown setting --%.*s (see --help)",
                                 (int)len, name);
                        return -1;
                }
                if (eq) {
                        value = eq + 1;
                } else if (a + 1 < argc) {
                        value = argv[++a];
                } else {
                        snprintf(errstr, errstr_size, "--%s needs a value", name);
                        return -1;
                }
                if (len == 5 && !strncmp(name, "kafka", 5)) {
                        const char *peq = strchr(value, '=');
                        if (!peq || peq == value) {
                                snprintf(errstr, errstr_size,
                                         "--kafka: \"%s\" is not PROPERTY=VALUE", value);
                                return -1;
                        }
                        if (set_prop(cfg, value, (size_t)(peq - value), peq + 1, 0)) {
                                snprintf(errstr, errstr_size, "out of memory");
                                return -1;
                        }
                        continue;
                }
                if (set_value(cfg, (size_t)i, value, errstr, errstr_size))
                        return -1;
        }
        return 0;
}

const char *cb_config_str(const cb_config_t *cfg, const char *name)
{
        long i = find_opt(cfg, name, strlen(name));

        assert(i >= 0 && "option not in table");
        return cfg->values[i] ? cfg->values[i] : cfg->opts[i].def;
}

long cb_config_int(const cb_config_t *cfg, const char *name)
{
        const char *v = cb_config_str(cfg, name);

        return v ? strtol(v, NULL, 10) : 0;
}

const cb_kafka_prop_t *cb_config_kafka_props(const cb_config_t *cfg, size_t *count)
{
        *count = cfg->nprops;
        return cfg->props;
}
