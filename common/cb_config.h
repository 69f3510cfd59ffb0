/* cb_config: settings from environment variables and command-line flags, driven by a table.
 *
 * Every option `name` (e.g. "http-port") is read from the flag `--http-port VALUE` (or
 * `--http-port=VALUE`) and from the environment variable CLOSEBRIDGE_HTTP_PORT; the flag wins.
 * librdkafka properties pass straight through: KAFKA_BOOTSTRAP_SERVERS=h:9092 becomes
 * `bootstrap.servers=h:9092` (strip KAFKA_, lower-case, '_' -> '.'), and `--kafka prop=value`
 * (repeatable) sets any property as written; again the flag wins. */
#ifndef CB_CONFIG_H
#define CB_CONFIG_H

#include <stddef.h>
#include <stdio.h>

typedef enum { CB_OPT_STR = 0, CB_OPT_INT } cb_opt_type_t;

typedef struct cb_option {
        const char *name;   /* flag name without "--" */
        cb_opt_type_t type; /* values are checked at parse time */
        const char *def;    /* default as text, NULL for none */
        long min, max;      /* CB_OPT_INT bounds, inclusive */
        int secret;         /* never printed */
        const char *help;   /* one line */
} cb_option_t;

typedef struct cb_config cb_config_t;

/* One librdkafka property given by the user. */
typedef struct cb_kafka_prop {
        char *key;
        char *value;
        int from_env; /* from a KAFKA_* variable: unknown names are skipped with a warning,
                         since platforms set such variables of their own (Kubernetes service
                         links: KAFKA_PORT=tcp://...) */
} cb_kafka_prop_t;

/* Creates a config over opts[0..n). Borrows opts (static tables). Returns NULL on OOM. */
cb_config_t *cb_config_new(const char *proc, const char *version, const cb_option_t *opts,
                           size_t n);
void cb_config_destroy(cb_config_t *cfg);

/* Reads environment then argv. Returns 0 when the process should run, 1 when --help or
 * --version was printed to out (exit 0), -1 on an unknown flag or invalid value, with a
 * message naming the setting in errstr. Borrows argv and envp. */
int cb_config_parse(cb_config_t *cfg, int argc, char **argv, char **envp, FILE *out, char *errstr,
                    size_t errstr_size);

/* The value of option name: the value set (owned by cfg, valid until cb_config_destroy), else
 * the table's default (borrowed from the option table), or NULL when it has neither. A value
 * set to "" stays "", not the default. name must be in the table: assert() checks it only in
 * builds without NDEBUG, and the default RelWithDebInfo build defines NDEBUG, so there an
 * unknown name is undefined behaviour (it reads outside the table). */
const char *cb_config_str(const cb_config_t *cfg, const char *name);
/* The value of a CB_OPT_INT option, already range-checked by cb_config_parse. */
long cb_config_int(const cb_config_t *cfg, const char *name);

/* The librdkafka properties given by the user, in the order given (env first, then flags).
 * The array is owned by cfg. */
const cb_kafka_prop_t *cb_config_kafka_props(const cb_config_t *cfg, size_t *count);

#endif
