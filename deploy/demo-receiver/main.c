/* closebridge-demo-receiver: a callback URL for trying closebridge out. Prints every request it
 * gets (the signature headers and the body) on stdout, one block per callback, and answers 200.
 *
 * Threads: main waits for SIGTERM/SIGINT; libmicrohttpd's one thread answers requests and is
 * the only writer of stdout. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cb_config.h"
#include "cb_main.h"
#include "cb_http.h"
#include "cb_log.h"

static const cb_option_t options[] = {
    {"http-bind", CB_OPT_STR, "0.0.0.0", 0, 0, 0, "address to listen on"},
    {"http-port", CB_OPT_INT, "9000", 0, 65535, 0, "port to listen on"},
    {"log-format", CB_OPT_STR, "text", 0, 0, 0, "json or text"},
    {"log-level", CB_OPT_STR, "info", 0, 0, 0, "debug, info, warn or error"},
};

static void on_request(void *opaque, cb_http_req_t *req)
{
        static const char *const shown[] = {"Content-Type", "webhook-id", "webhook-timestamp",
                                            "webhook-signature", "Elements-Webhook-Signature"};
        const char *body, *value;
        size_t len, i;

        (void)opaque;
        if (cb_http_serve_ops(req, 1, ""))
                return;
        body = cb_http_req_body(req, &len);
        printf("--- %s %s\n", cb_http_req_method(req), cb_http_req_path(req));
        for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
                if ((value = cb_http_req_header(req, shown[i])))
                        printf("%s: %s\n", shown[i], value);
        printf("\n%.*s\n", (int)len, body);
        fflush(stdout);
        cb_http_respond(req, 200, NULL, "{\"received\":true}\n", 18, NULL, NULL);
}

int main(int argc, char **argv)
{
        struct timespec tick = {1, 0};
        char errstr[256];
        cb_config_t *cfg = cb_config_new("closebridge-demo-receiver", CB_VERSION, options,
                                         sizeof(options) / sizeof(options[0]));
        cb_http_conf_t conf;
        cb_http_t *http;
        sigset_t sigs;
        int rc;

        if (!cfg)
                return 1;
        rc = cb_main_configure(cfg, "demo-receiver", argc, argv);
        if (rc >= 0) {
                cb_config_destroy(cfg);
                return rc;
        }
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        conf = (cb_http_conf_t){.bind = cb_config_str(cfg, "http-bind"),
                                .port = (int)cb_config_int(cfg, "http-port"),
                                .threads = 1,
                                .max_body = 4 << 20,
                                .idle_timeout_s = 30,
                                .max_connections = 256,
                                .handler = on_request};
        http = cb_http_start(&conf, errstr, sizeof(errstr));
        if (!http) {
                cb_log_error("%s", errstr);
                cb_config_destroy(cfg);
                return 1;
        }
        cb_log_info("printing callbacks received on %s:%d", conf.bind, conf.port);
        while (sigtimedwait(&sigs, NULL, &tick) < 0)
                ;
        cb_http_quiesce(http);
        cb_http_stop(http);
        cb_config_destroy(cfg);
        return 0;
}
