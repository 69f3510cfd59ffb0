/* cb_main: the start every closebridge binary shares. */
#ifndef CB_MAIN_H
#define CB_MAIN_H

#include "cb_config.h"

/* Reads cfg from the environment and argv, handles --help and --version, and sets up logging
 * from the options "log-format" and "log-level" (both must be in cfg's table).
 * Returns -1 when the process should go on, or the exit status it should end with now (0 after
 * --help, 2 after a configuration error, which is printed to stderr naming the setting). */
int cb_main_configure(cb_config_t *cfg, const char *proc, int argc, char **argv);

#endif
