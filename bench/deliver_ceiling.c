/* bench_deliver_ceiling: the delivery ceiling of this machine for publish's benchmark
 * (bench/publish/run.sh).
 *
 * A bare libcurl-multi client set up like publish's delivery engine (publish/deliver.c): it
 * POSTs the bytes of one file N times to one URL, keeping C transfers in flight over reused
 * keep-alive connections (CURLMOPT_MAX_HOST_CONNECTIONS = H, CURLMOPT_MAX_TOTAL_CONNECTIONS and
 * CURLMOPT_MAXCONNECTS = C), with the header lines publish sends to an instance without a
 * secret: Content-Type, webhook-id, webhook-timestamp, User-Agent, and "Expect:" (off). It reads
 * no Kafka, builds no body, writes no attempts log: publish can deliver no faster than this on
 * the same machine, to the same receiver.
 *
 *   bench_deliver_ceiling --url URL --body FILE --content-type TYPE --count N --concurrency C
 *                         [--max-host-connections H] [--signed] [--help]
 *
 *   --url                   where to POST (http:// or https://)
 *   --body                  the file whose bytes are every request's body (at most 16 MiB)
 *   --content-type          the Content-Type header's value
 *   --count                 requests in all, 1..1000000000
 *   --concurrency           transfers in flight at most, 1..100000 (publish's --max-in-flight);
 *                           over http://, at most H of them in libcurl at once, the rest
 *                           waiting their turn, as publish's engine does
 *   --max-host-connections  connections to the URL's host at most, 1..100000 (default C;
 *                           publish's --max-host-connections)
 *   --signed                also send a webhook-signature line with a dummy 88-character value,
 *                           as publish does for an instance with event.notification.secret
 *   Every flag also takes the form --flag=VALUE.
 *
 * Output: one line on stdout,
 *   deliveries_per_s=<float> ok=<n> failed=<n> seconds=<float> cpu_s=<float>
 * ok: answers with a 2xx status; failed: every other answer and every transfer error; seconds:
 * wall-clock time from the first transfer's start to the last one's end; deliveries_per_s: ok /
 * seconds; cpu_s: this process's user + system CPU time over the same span (getrusage
 * RUSAGE_SELF). Errors go to stderr.
 *
 * Exit codes: 0 every request got a 2xx; 1 some did not, or libcurl could not run them (a
 * message on stderr); 2 a usage error: a missing or bad flag, or a body file that cannot be read
 * (a message on stderr).
 *
 * Threads: one (main). libcurl is used without its signal handlers (CURLOPT_NOSIGNAL). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <curl/curl.h>

#define MAX_BODY   (16L * 1024 * 1024)
#define TIMEOUT_MS 15000L /* publish's --delivery-timeout-ms default */
#define PROG       "bench_deliver_ceiling"

/* What the flags ask for. */
typedef struct {
        const char *url;
        const char *body_path;
        const char *content_type;
        long count;
        long concurrency;
        long max_host;
        int is_signed;
} opts_t;

/* One run: the multi handle, its easy handles and what came back so far. */
typedef struct {
        CURLM *multi;
        CURL **easy;
        long neasy;
        struct curl_slist *headers;
        long started;
        long ok;
        long failed;
} run_t;

static void usage(FILE *out)
{
        fprintf(out, "Usage: " PROG " --url URL --body FILE --content-type TYPE --count N\n"
                     "       --concurrency C [--max-host-connections H] [--signed]\n\n"
                     "POSTs FILE's bytes N times to URL with libcurl multi, C transfers in flight\n"
                     "over reused keep-alive connections (at most H to the host, default C), with\n"
                     "the headers closebridge-publish sends, and prints one line:\n"
                     "deliveries_per_s=F ok=N failed=N seconds=F cpu_s=F\n"
                     "Exit: 0 all 2xx, 1 some not, 2 usage error.\n");
}

/* Parses value as a whole number in [min, max] into *out. Returns 0 or -1 with a message. */
static int parse_long(const char *flag, const char *value, long min, long max, long *out)
{
        char *end;
        long n;

        errno = 0;
        n = strtol(value, &end, 10);
        if (!*value || *end || errno || n < min || n > max) {
                fprintf(stderr, PROG ": %s wants a whole number %ld..%ld, not \"%s\"\n", flag, min,
                        max, value);
                return -1;
        }
        *out = n;
        return 0;
}

/* Sets *value to the value of flag name at argv[*i] ("--name V" or "--name=V"), moving *i past
 * it. Returns 1 when argv[*i] is that flag, 0 when it is another, -1 when its value is missing. */
static int flag_value(int argc, char **argv, int *i, const char *name, const char **value)
{
        size_t len = strlen(name);

        if (strncmp(argv[*i], name, len))
                return 0;
        if (argv[*i][len] == '=') {
                *value = argv[*i] + len + 1;
                return 1;
        }
        if (argv[*i][len])
                return 0;
        if (*i + 1 >= argc) {
                fprintf(stderr, PROG ": %s wants a value\n", name);
                return -1;
        }
        *value = argv[++*i];
        return 1;
}

/* Handles the flag at argv[*i]. Returns 0, or -1 on an unknown flag or a bad value. */
static int parse_flag(int argc, char **argv, int *i, opts_t *o)
{
        const char *v = NULL;
        int r;

        if (!strcmp(argv[*i], "--signed")) {
                o->is_signed = 1;
                return 0;
        }
        if ((r = flag_value(argc, argv, i, "--url", &o->url)) ||
            (r = flag_value(argc, argv, i, "--body", &o->body_path)) ||
            (r = flag_value(argc, argv, i, "--content-type", &o->content_type)))
                return r < 0 ? -1 : 0;
        if ((r = flag_value(argc, argv, i, "--count", &v)))
                return r < 0 ? -1 : parse_long("--count", v, 1, 1000000000L, &o->count);
        if ((r = flag_value(argc, argv, i, "--concurrency", &v)))
                return r < 0 ? -1 : parse_long("--concurrency", v, 1, 100000, &o->concurrency);
        if ((r = flag_value(argc, argv, i, "--max-host-connections", &v)))
                return r < 0 ? -1
                             : parse_long("--max-host-connections", v, 1, 100000, &o->max_host);
        fprintf(stderr, PROG ": unknown flag %s\n", argv[*i]);
        return -1;
}

/* Fills o from the flags. Returns 0, 1 for --help, or -1 on a usage error (message on stderr). */
static int parse_args(int argc, char **argv, opts_t *o)
{
        int i;

        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
                        return 1;
                if (parse_flag(argc, argv, &i, o))
                        return -1;
        }
        if (!o->url || !o->body_path || !o->content_type || !o->count || !o->concurrency) {
                fprintf(stderr, PROG ": --url, --body, --content-type, --count and "
                                     "--concurrency are required\n");
                return -1;
        }
        if (!*o->url || !*o->content_type) {
                fprintf(stderr, PROG ": --url and --content-type must not be empty\n");
                return -1;
        }
        if (!o->max_host)
                o->max_host = o->concurrency;
        return 0;
}

/* Reads the file at path into a new buffer (*body, *len; the caller frees it). Returns 0 or -1
 * with a message. */
static int read_body(const char *path, char **body, long *len)
{
        FILE *f = fopen(path, "rb");
        char *buf = NULL;
        long n;

        if (!f) {
                fprintf(stderr, PROG ": cannot open %s: %s\n", path, strerror(errno));
                return -1;
        }
        if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || n > MAX_BODY || fseek(f, 0, SEEK_SET))
                goto fail;
        buf = malloc((size_t)n + 1);
        if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
                goto fail;
        fclose(f);
        *body = buf;
        *len = n;
        return 0;
fail:
        fprintf(stderr, PROG ": cannot read %s (or it is over %ld bytes)\n", path, MAX_BODY);
        free(buf);
        fclose(f);
        return -1;
}

/* Appends line to *h. Returns 0 or -1 (out of memory; *h is kept). */
static int add_header(struct curl_slist **h, const char *line)
{
        struct curl_slist *t = curl_slist_append(*h, line);

        if (!t)
                return -1;
        *h = t;
        return 0;
}

/* Builds the header lines of publish's request.c, with a fixed envelope id and the time now.
 * Returns the list or NULL. */
static struct curl_slist *make_headers(const opts_t *o)
{
        char line[512], sig[89];
        struct curl_slist *h = NULL;
        int ok;

        snprintf(line, sizeof(line), "Content-Type: %s", o->content_type);
        ok = !add_header(&h, line);
        ok = ok && !add_header(&h, "webhook-id: cb_0123456789abcdef0123456789abcdef");
        snprintf(line, sizeof(line), "webhook-timestamp: %lld", (long long)time(NULL));
        ok = ok && !add_header(&h, line);
        if (o->is_signed) {
                memset(sig, 'A', sizeof(sig) - 1);
                memcpy(sig, "v1,", 3);
                sig[sizeof(sig) - 1] = '\0';
                snprintf(line, sizeof(line), "webhook-signature: %s", sig);
                ok = ok && !add_header(&h, line);
        }
        ok = ok && !add_header(&h, "Expect:");
        if (!ok) {
                curl_slist_free_all(h);
                return NULL;
        }
        return h;
}

/* Drops the answer's body: only its status counts. */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        return size * nmemb;
}

/* A new easy handle with every option of one request set. Returns it or NULL. */
static CURL *make_easy(const opts_t *o, const char *body, long len, struct curl_slist *headers)
{
        CURL *c = curl_easy_init();

        if (!c)
                return NULL;
        if (curl_easy_setopt(c, CURLOPT_URL, o->url) || curl_easy_setopt(c, CURLOPT_POST, 1L) ||
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) ||
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) ||
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) ||
            curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, TIMEOUT_MS) ||
            curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L) ||
            curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
            curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") ||
            curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) ||
            curl_easy_setopt(c, CURLOPT_PROXY, "") ||
            curl_easy_setopt(c, CURLOPT_PIPEWAIT, strncmp(o->url, "https:", 6) ? 0L : 1L) ||
            curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) ||
            curl_easy_setopt(c, CURLOPT_USERAGENT, "closebridge/" CB_VERSION)) {
                curl_easy_cleanup(c);
                return NULL;
        }
        return c;
}

/* Frees what r holds. */
static void run_free(run_t *r)
{
        long i;

        for (i = 0; i < r->neasy; i++) {
                if (r->multi)
                        curl_multi_remove_handle(r->multi, r->easy[i]);
                curl_easy_cleanup(r->easy[i]);
        }
        free(r->easy);
        if (r->multi)
                curl_multi_cleanup(r->multi);
        curl_slist_free_all(r->headers);
}

/* Sets up r: the multi handle with publish's connection limits and min(N, C) easy handles,
 * or min(N, C, H) over plain http://, where publish's engine keeps the transfers beyond a
 * destination's connections waiting outside libcurl (cb_turns.h): an HTTP/1.1 connection
 * carries one at a time, so they would only wait in libcurl's pending list, which costs libcurl
 * CPU on every pass. Returns 0 or -1 with a message (r then holds what was made, for run_free). */
static int run_init(run_t *r, const opts_t *o, const char *body, long len)
{
        long n = o->count < o->concurrency ? o->count : o->concurrency;

        if (!strncasecmp(o->url, "http:", 5) && n > o->max_host)
                n = o->max_host;

        r->multi = curl_multi_init();
        r->headers = make_headers(o);
        r->easy = calloc((size_t)n, sizeof(*r->easy));
        if (!r->multi || !r->headers || !r->easy)
                goto fail;
        if (curl_multi_setopt(r->multi, CURLMOPT_MAX_HOST_CONNECTIONS, o->max_host) ||
            curl_multi_setopt(r->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, o->concurrency) ||
            curl_multi_setopt(r->multi, CURLMOPT_MAXCONNECTS, o->concurrency))
                goto fail;
        for (; r->neasy < n; r->neasy++) {
                r->easy[r->neasy] = make_easy(o, body, len, r->headers);
                if (!r->easy[r->neasy])
                        goto fail;
        }
        return 0;
fail:
        fprintf(stderr, PROG ": cannot set up libcurl (out of memory?)\n");
        return -1;
}

/* Starts one more request on easy handle c. Returns 0 or -1 with a message. */
static int start(run_t *r, CURL *c)
{
        CURLMcode mc = curl_multi_add_handle(r->multi, c);

        if (mc != CURLM_OK) {
                fprintf(stderr, PROG ": cannot start a transfer: %s\n", curl_multi_strerror(mc));
                return -1;
        }
        r->started++;
        return 0;
}

/* Counts the finished transfer of msg and, while requests are left, starts the next one on its
 * handle. Returns 0 or -1 with a message. */
static int on_done(run_t *r, const opts_t *o, CURLMsg *msg)
{
        CURL *c = msg->easy_handle;
        CURLcode rc = msg->data.result;
        long status = 0;

        if (rc == CURLE_OK)
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && status < 300) {
                r->ok++;
        } else {
                if (!r->failed)
                        fprintf(stderr, PROG ": first failure: %s (status %ld)\n",
                                rc == CURLE_OK ? "not a 2xx" : curl_easy_strerror(rc), status);
                r->failed++;
        }
        curl_multi_remove_handle(r->multi, c);
        return r->started < o->count ? start(r, c) : 0;
}

/* Runs every request: the transfers go on until count have finished. Returns 0 or -1 with a
 * message (libcurl itself failed). */
static int run_all(run_t *r, const opts_t *o)
{
        CURLMsg *msg;
        CURLMcode mc;
        long i;
        int running, left;

        for (i = 0; i < r->neasy; i++)
                if (start(r, r->easy[i]))
                        return -1;
        while (r->ok + r->failed < o->count) {
                mc = curl_multi_perform(r->multi, &running);
                while (mc == CURLM_OK && (msg = curl_multi_info_read(r->multi, &left)))
                        if (msg->msg == CURLMSG_DONE && on_done(r, o, msg))
                                return -1;
                if (mc == CURLM_OK && r->ok + r->failed < o->count)
                        mc = curl_multi_poll(r->multi, NULL, 0, 1000, NULL);
                if (mc != CURLM_OK) {
                        fprintf(stderr, PROG ": libcurl: %s\n", curl_multi_strerror(mc));
                        return -1;
                }
        }
        return 0;
}

/* Seconds of the monotonic clock. */
static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* This process's user + system CPU time so far, in seconds. */
static double cpu_s(void)
{
        struct rusage ru;

        if (getrusage(RUSAGE_SELF, &ru))
                return 0;
        return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Sets up, runs and reports one benchmark. Returns the exit code. */
static int bench(const opts_t *o, const char *body, long len)
{
        run_t r = {0};
        double t0, c0, secs, cpu;
        int rc = 1;

        if (run_init(&r, o, body, len))
                goto done;
        t0 = now_s();
        c0 = cpu_s();
        if (run_all(&r, o))
                goto done;
        secs = now_s() - t0;
        cpu = cpu_s() - c0;
        printf("deliveries_per_s=%.1f ok=%ld failed=%ld seconds=%.3f cpu_s=%.3f\n",
               secs > 0 ? (double)r.ok / secs : 0.0, r.ok, r.failed, secs, cpu);
        rc = r.failed ? 1 : 0;
done:
        run_free(&r);
        return rc;
}

int main(int argc, char **argv)
{
        opts_t o = {0};
        char *body = NULL;
        long len = 0;
        int rc;

        rc = parse_args(argc, argv, &o);
        if (rc) {
                usage(rc > 0 ? stdout : stderr);
                return rc > 0 ? 0 : 2;
        }
        if (read_body(o.body_path, &body, &len))
                return 2;
        if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
                fprintf(stderr, PROG ": cannot initialise libcurl\n");
                free(body);
                return 1;
        }
        rc = bench(&o, body, len);
        curl_global_cleanup();
        free(body);
        return rc;
}
