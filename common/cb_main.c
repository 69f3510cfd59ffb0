#include "cb_main.h"

#include <stdio.h>

#include "cb_log.h"

extern char **environ;

int cb_main_configure(cb_config_t *cfg, const char *proc, int argc, char **argv)
{
        char errstr[512];
        int rc = cb_config_parse(cfg, argc, argv, environ, stdout, errstr, sizeof(errstr));

        if (rc > 0)
                return 0;
        if (rc < 0) {
                fprintf(stderr, "%s: %s\n", proc, errstr);
                return 2;
        }
        if (cb_log_init(proc, cb_config_str(cfg, "log-format"), cb_config_str(cfg, "log-level"))) {
                fprintf(stderr,
                        "%s: --log-format must be json or text, --log-level one of debug, "
                        "info, warn, error\n",
                        proc);
                return 2;
        }
        return -1;
}
