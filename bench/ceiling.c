/* bench_ceiling: the HTTP ceiling of this machine for ingest's benchmark (bench/ingest/run.sh).
 *
 * A bare libmicrohttpd server set up like ingest's (internal epoll thread pool of 2, the same
 * connection limit and idle timeout, 1 MiB body limit): it reads each POST body into memory, as
 * ingest does, and answers 202 with a JSON body the size of ingest's, without parsing, building
 * an envelope or talking to Kafka. ingest can go no faster than this on the same machine.
 *
 *   bench_ceiling [--port N] [--help]     listens on 127.0.0.1:N (default 8090)
 *
 * Threads and what each may touch:
 * - main: parses the flags, starts the daemon, then waits for SIGTERM/SIGINT (blocked in every
 *   thread, taken with sigwait) and stops the daemon.
 * - libmicrohttpd's pool: runs on_request and on_completed; each request's state belongs to the
 *   one thread that serves its connection. Nothing is shared between requests. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#define THREADS         2
#define MAX_CONNECTIONS 1000
#define IDLE_TIMEOUT_S  30
#define MAX_BODY        (1024 * 1024)

/* The same shape and length as ingest's answer to one webhook. */
static const char accepted[] = "{\"accepted\":1,\"ids\":[\"cb_00000000000000000000000000000000\"]}";
static const char too_big[] = "{\"error\":\"request body over the limit\"}";

/* One request in flight: its body so far. */
typedef struct {
        char *body;
        size_t len;
        size_t cap;
        int too_big;
} request_t;

/* Appends n bytes of data (borrowed) to req's body. Returns 0, or -1 when the body would pass
 * MAX_BODY or memory runs out; req keeps what it had. */
static int append(request_t *req, const char *data, size_t n)
{
        size_t cap = req->cap ? req->cap : 1024;
        char *body;

        if (n > MAX_BODY - req->len)
                return -1;
        while (cap < req->len + n)
                cap *= 2;
        if (cap != req->cap) {
                body = realloc(req->body, cap);
                if (!body)
                        return -1;
                req->body = body;
                req->cap = cap;
        }
        memcpy(req->body + req->len, data, n);
        req->len += n;
        return 0;
}

/* Queues status with body (a static string, borrowed) on conn. Returns MHD's result. */
static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *body)
{
        struct MHD_Response *resp;
        enum MHD_Result r;

        resp = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        r = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return r;
}

/* The libmicrohttpd handler: a first call with the headers, one per body chunk, then a final
 * call that answers. *con_cls holds the request_t (owned here until on_completed frees it). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
        request_t *req = *con_cls;
        const char *cl;

        if (!req) {
                req = calloc(1, sizeof(*req));
                if (!req)
                        return MHD_NO; /* out of memory: MHD closes the connection */
                *con_cls = req;
                cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (cl && strtoull(cl, NULL, 10) > MAX_BODY)
                        return respond(conn, MHD_HTTP_CONTENT_TOO_LARGE, too_big);
                return MHD_YES;
        }
        if (*upload_data_size) {
                /* A response cannot be queued while data arrives: keep discarding. */
                if (!req->too_big && append(req, upload_data, *upload_data_size))
                        req->too_big = 1;
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (req->too_big)
                return respond(conn, MHD_HTTP_CONTENT_TOO_LARGE, too_big);
        return respond(conn, MHD_HTTP_ACCEPTED, accepted);
}

/* Frees the request_t of a finished request. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        request_t *req = *con_cls;

        if (!req)
                return;
        *con_cls = NULL;
        free(req->body);
        free(req);
}

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: bench_ceiling [--port N]\n\n"
                "A bare libmicrohttpd server on 127.0.0.1:N (default 8090) that answers every\n"
                "request 202 after reading its body: the HTTP ceiling for bench/ingest/run.sh.\n"
                "SIGTERM or SIGINT stops it.\n");
}

/* Parses "--port N" or "--port=N" into *port. Returns 0, 1 for --help, or -1 on a bad flag. */
static int parse_args(int argc, char **argv, int *port)
{
        const char *value;
        char *end;
        long n;
        int i;

        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
                        return 1;
                if (!strcmp(argv[i], "--port") && i + 1 < argc) {
                        value = argv[++i];
                } else if (!strncmp(argv[i], "--port=", 7)) {
                        value = argv[i] + 7;
                } else {
                        fprintf(stderr, "bench_ceiling: unknown or incomplete flag %s\n", argv[i]);
                        return -1;
                }
                n = strtol(value, &end, 10);
                if (!*value || *end || n < 1 || n > 65535) {
                        fprintf(stderr, "bench_ceiling: --port wants 1..65535, not %s\n", value);
                        return -1;
                }
                *port = (int)n;
        }
        return 0;
}

int main(int argc, char **argv)
{
        struct MHD_Daemon *daemon;
        struct sockaddr_in sin;
        sigset_t sigs;
        int port = 8090, sig, rc;

        rc = parse_args(argc, argv, &port);
        if (rc) {
                usage(rc > 0 ? stdout : stderr);
                return rc > 0 ? 0 : 2;
        }

        /* Signals are taken by main alone; MHD's threads inherit the mask. */
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        signal(SIGPIPE, SIG_IGN);

        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)port);
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        /* poll(), as cb_http; the pool size, limit and timeout are ingest's defaults. */
        daemon = MHD_start_daemon(MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                                  on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
                                  MHD_OPTION_THREAD_POOL_SIZE, (unsigned)THREADS,
                                  MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
                                  MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
        if (!daemon) {
                fprintf(stderr, "bench_ceiling: cannot listen on 127.0.0.1:%d\n", port);
                return 1;
        }
        fprintf(stderr, "bench_ceiling: listening on 127.0.0.1:%d\n", port);

        do {
                if (sigwait(&sigs, &sig))
                        sig = 0;
        } while (sig != SIGTERM && sig != SIGINT);

        MHD_stop_daemon(daemon);
        return 0;
}
