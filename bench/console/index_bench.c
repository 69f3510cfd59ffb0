/* bench_console_index: how fast the console's SQLite index (console/index.h) takes the records
 * of n events, how big it gets, and how long the API's most common queries take on it, beside a
 * ceiling measured in the same run (bench/README.md, "console").
 *
 *   bench_console_index [-n EVENTS] [-r RUNS] [-b BATCH] [-d DIR]
 *
 * -n: events (default 1000000), each an event record and two attempts (workload.c); -r: runs
 * of each query (default 500); -b: records per transaction (default 10000, the follower's
 * --index-batch default); -d: where the databases go (default "."; index.db and
 * ceiling.db, replaced). Prints its figures on stdout, progress on stderr; exits 0, or 1 on an
 * error (a failed call of the index, a query that finds nothing it should), 2 on a usage
 * error. No targets are judged here beyond printing them beside the figures. */
#include "index_bench.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cb_time.h"
#include "index.h"

#define TARGET_EVENTS_S 20000
#define TARGET_P99_MS   20.0
#define DEEP_PAGES      20 /* (e) walks this many pages, then times the next one */

enum { Q_INSTANCE, Q_DEAD, Q_WINDOW, Q_GET, Q_DEEP, Q_N };

static const char *const query_names[Q_N] = {
    [Q_INSTANCE] = "(a) one instance, last 50",
    [Q_DEAD] = "(b) status=dead, all instances, 50",
    [Q_WINDOW] = "(c) one instance, a 1-hour window",
    [Q_GET] = "(d) one event and its attempts",
    [Q_DEEP] = "(e) next page after page ~20",
};

/* The latencies of one query and what it found. */
typedef struct lat {
        double *s; /* seconds, one per run */
        int n;
        long rows;  /* events listed (deliveries for get) over all runs */
        long pages; /* (e): the page numbers timed, summed */
} lat_t;

static uint64_t rnd_state = 0xC0FFEE;

static uint64_t rnd(void)
{
        uint64_t z = (rnd_state += 0x9E3779B97F4A7C15ULL);

        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
}

static void die(const char *what, const char *err)
{
        fprintf(stderr, "bench_console_index: %s: %s\n", what, err);
        exit(1);
}

/* Removes the database at path and its -wal and -shm. */
static void remove_db(const char *path)
{
        static const char *const suffix[] = {"", "-wal", "-shm"};
        char name[1024];
        int i;

        for (i = 0; i < 3; i++) {
                snprintf(name, sizeof(name), "%s%s", path, suffix[i]);
                if (unlink(name) && errno != ENOENT)
                        die(name, strerror(errno));
        }
}

/* Applies the stream of n events to w in batches of bench_batch records, as the follower does
 * (console/follow.c: begin, apply each, commit), timed by c. */
static void index_pass(console_index_t *w, long n, bench_clock_t *c)
{
        static bench_stream_t s;
        const console_rec_t *rec;
        long i, done = 0, tenth = 0;
        char err[600];

        bench_stream_init(&s, n);
        bench_clock_start(c, bench_stream_total(n));
        while (bench_stream_next(&s, &rec, &i)) {
                if (done % bench_batch == 0 && console_index_begin(w, err, sizeof(err)))
                        die("begin", err);
                if (console_index_apply(w, rec, err, sizeof(err)))
                        die("apply", err);
                if (++done % bench_batch && done < c->total)
                        continue;
                if (console_index_commit(w, err, sizeof(err)))
                        die("commit", err);
                bench_clock_tick(c, done);
                if (done * 10 / c->total > tenth) {
                        tenth = done * 10 / c->total;
                        fprintf(stderr, "indexed %3ld %% (%ld records, %.1f s)\n", tenth * 10, done,
                                c->t_end - c->t0);
                }
        }
}

/* Times one list call of f on db, the JSON serialised as the API answers it; the cursor of the
 * next page into next. Returns the seconds; adds the rows listed to *rows. */
static double timed_list(console_index_t *db, const console_filter_t *f, char *next, long *rows)
{
        json_object *doc;
        char err[600];
        size_t len;
        double t = bench_now();

        if (console_index_list(db, f, &doc, next, err, sizeof(err)))
                die("list", err);
        if (!json_object_to_json_string_length(
                doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len))
                die("list", "cannot serialise");
        *rows += (long)json_object_array_length(doc);
        json_object_put(doc);
        return bench_now() - t;
}

/* A filter on instance k (or every instance when k < 0), from the page after cursor ("" for
 * the first), set as the API sets it. */
static void filter_for(console_filter_t *f, int k, const char *cursor)
{
        char err[300];

        console_filter_init(f);
        if (k >= 0)
                bench_instance_id(k, f->instance_id);
        if (*cursor && console_filter_set(f, "nextPage", cursor, err, sizeof(err)))
                die("nextPage", err);
}

/* (e): walks instance k's list to page DEEP_PAGES by its cursors, then times the next page (or
 * the last one, when the instance has fewer). Adds the page number timed to *page. */
static double deep_page(console_index_t *db, int k, long *rows, long *page)
{
        char cur[CONSOLE_CURSOR_MAX] = "", next[CONSOLE_CURSOR_MAX];
        console_filter_t f;
        long ignored = 0;
        int p = 1;

        filter_for(&f, k, "");
        timed_list(db, &f, next, &ignored);
        while (next[0] && p < DEEP_PAGES) {
                memcpy(cur, next, sizeof(cur));
                filter_for(&f, k, cur);
                timed_list(db, &f, next, &ignored);
                p++;
        }
        if (next[0]) {
                memcpy(cur, next, sizeof(cur));
                p++;
        }
        *page += p;
        filter_for(&f, k, cur);
        return timed_list(db, &f, next, rows);
}

/* Runs query q once on db over the n events. Returns the seconds it took. */
static double run_query(console_index_t *db, int q, long n, lat_t *l)
{
        console_filter_t f;
        bench_event_t ev;
        json_object *doc, *dl;
        char err[600], next[CONSOLE_CURSOR_MAX], since[40], until[40];
        int64_t from;
        size_t len;
        double t;
        int rc;

        switch (q) {
        case Q_INSTANCE:
                filter_for(&f, (int)(rnd() % BENCH_INSTANCES), "");
                return timed_list(db, &f, next, &l->rows);
        case Q_DEAD:
                filter_for(&f, -1, "");
                if (console_filter_set(&f, "status", "dead", err, sizeof(err)))
                        die("status", err);
                return timed_list(db, &f, next, &l->rows);
        case Q_WINDOW:
                filter_for(&f, (int)(rnd() % BENCH_INSTANCES), "");
                from = BENCH_T0 + (int64_t)(rnd() % (BENCH_SPAN_MS - 3600000));
                cb_time_format_ms(from * 1000, since, sizeof(since));
                cb_time_format_ms((from + 3600000) * 1000, until, sizeof(until));
                if (console_filter_set(&f, "since", since, err, sizeof(err)) ||
                    console_filter_set(&f, "until", until, err, sizeof(err)) ||
                    console_filter_check(&f, err, sizeof(err)))
                        die("since/until", err);
                return timed_list(db, &f, next, &l->rows);
        case Q_GET:
                bench_event(n, (long)(rnd() % (uint64_t)n), &ev);
                t = bench_now();
                rc = console_index_get(db, ev.instance_id, ev.env_id, &doc, err, sizeof(err));
                if (rc < 0)
                        die("get", err);
                if (rc == 0)
                        die("get", "an indexed event was not found");
                if (!json_object_to_json_string_length(
                        doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len))
                        die("get", "cannot serialise");
                t = bench_now() - t;
                dl = json_object_object_get(doc, "deliveries");
                l->rows += dl ? (long)json_object_array_length(dl) : 0;
                json_object_put(doc);
                return t;
        default:
                return deep_page(db, (int)(rnd() % BENCH_INSTANCES), &l->rows, &l->pages);
        }
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

/* The nearest-rank percentile p (0..1] of the sorted v[0..n), in ms. */
static double pct_ms(const double *v, int n, double p)
{
        int i = (int)ceil(p * n) - 1;

        return 1000.0 * v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* Runs every query runs times on a read-only connection to path, into l[0..Q_N). */
static void queries(const char *path, long n, int runs, lat_t *l)
{
        console_index_t *db;
        char err[600];
        int q, i;

        if (!(db = console_index_open(path, 1, err, sizeof(err))))
                die("open read-only", err);
        for (q = 0; q < Q_N; q++) {
                l[q] = (lat_t){.s = calloc((size_t)runs, sizeof(double)), .n = runs};
                if (!l[q].s)
                        die("queries", "out of memory");
                fprintf(stderr, "query %s: %d runs\n", query_names[q], runs);
                for (i = 0; i < runs; i++)
                        l[q].s[i] = run_query(db, q, n, &l[q]);
                qsort(l[q].s, (size_t)runs, sizeof(double), cmp_double);
        }
        console_index_close(db);
}

/* Prints the table of queries' latencies l[0..Q_N) and frees them. */
static void print_queries(lat_t *l)
{
        double p99, worst = 0;
        int q, runs = l[0].n;

        printf("\nqueries: %d runs each on a read-only connection, JSON built and serialised as "
               "the API answers; a random instance, window or event each run\n",
               runs);
        printf("%-36s %8s %9s %9s %9s\n", "", "rows", "p50 ms", "p99 ms", "max ms");
        for (q = 0; q < Q_N; q++) {
                p99 = pct_ms(l[q].s, runs, 0.99);
                worst = p99 > worst ? p99 : worst;
                printf("%-36s %8.1f %9.3f %9.3f %9.3f", query_names[q], (double)l[q].rows / runs,
                       pct_ms(l[q].s, runs, 0.50), p99, pct_ms(l[q].s, runs, 1.0));
                if (q == Q_GET)
                        printf("   (rows: deliveries)");
                if (q == Q_DEEP)
                        printf("   (page %.1f on average)", (double)l[q].pages / runs);
                printf("\n");
                free(l[q].s);
        }
        printf("target: every query p99 <= %.0f ms: %s (worst p99 %.3f ms)\n", TARGET_P99_MS,
               worst <= TARGET_P99_MS ? "met" : "MISSED", worst);
}

/* Prints one indexing line: records/s and events/s overall, first and last tenth. */
static void print_rates(const char *name, const bench_clock_t *c, long n)
{
        double secs = c->t_end - c->t0, per_event = (double)n / (double)c->total;
        double r10 = c->done10 / (c->t10 - c->t0);
        double r90 = (c->done - c->done90) / (c->t_end - c->t90);

        printf("%-22s %10.0f %10.0f %9.1f %12.0f %12.0f %12.0f %9.0f\n", name, c->total / secs,
               n / secs, secs, r10, r90, r90 * per_event, 1000 * c->max_batch);
}

static double mb(int64_t bytes)
{
        return (double)bytes / (1024.0 * 1024.0);
}

static void print_disk(const char *name, const int64_t d[3], long n)
{
        int64_t total = d[0] + d[1] + d[2];

        printf("%-8s %8.1f MB (main %.1f + WAL %.1f + shm %.1f), %.1f MB per million events\n",
               name, mb(total), mb(d[0]), mb(d[1]), mb(d[2]), mb(total) * 1e6 / (double)n);
}

/* The load averages of /proc/loadavg, "a b c", into out (64 bytes). */
static void load_avg(char *out)
{
        FILE *f = fopen("/proc/loadavg", "r");
        char a[16], b[16], c[16];

        strcpy(out, "?");
        if (f && fscanf(f, "%15s %15s %15s", a, b, c) == 3)
                snprintf(out, 64, "%s %s %s", a, b, c);
        if (f)
                fclose(f);
}

static void usage(void)
{
        fprintf(stderr, "usage: bench_console_index [-n EVENTS] [-r RUNS] [-b BATCH] [-d DIR]\n");
        exit(2);
}

int main(int argc, char **argv)
{
        const char *dir = ".";
        char path[1024], ceil_path[1024], err[600], load[64];
        long n = 1000000;
        int runs = 500, opt;
        int64_t disk[3], cdisk[3], events = 0, attempts = 0;
        bench_clock_t ic, cc;
        console_index_t *w;
        lat_t lat[Q_N];
        double ratio90;

        while ((opt = getopt(argc, argv, "n:r:b:d:h")) != -1) {
                if (opt == 'n' && (n = strtol(optarg, NULL, 10)) > 0)
                        continue;
                if (opt == 'r' && (runs = (int)strtol(optarg, NULL, 10)) > 0)
                        continue;
                if (opt == 'b' && (bench_batch = strtol(optarg, NULL, 10)) > 0)
                        continue;
                if (opt == 'd') {
                        dir = optarg;
                        continue;
                }
                usage();
        }
        if (optind != argc)
                usage();
        snprintf(path, sizeof(path), "%s/index.db", dir);
        snprintf(ceil_path, sizeof(ceil_path), "%s/ceiling.db", dir);
        remove_db(path);
        remove_db(ceil_path);
        load_avg(load);

        if (!(w = console_index_open(path, 0, err, sizeof(err))))
                die("open", err);
        index_pass(w, n, &ic);
        bench_disk_bytes(path, disk);
        if (console_index_count(w, &events, &attempts))
                die("count", "cannot count the rows");
        /* the writer stays open, idle, as the follower's does: the readers see its WAL */
        queries(path, n, runs, lat);
        console_index_close(w);
        fprintf(stderr, "ceiling: bare SQLite, the same rows\n");
        if (bench_ceiling(ceil_path, n, &cc, cdisk, err, sizeof(err)))
                die("ceiling", err);

        printf("closebridge console index benchmark: %ld events (%ld records: an event record and "
               "2 attempts each, a DLQ or retry record for 7 %%), %d instances, 20 object types, "
               "7 days; %ld records per transaction\n",
               n, ic.total, BENCH_INSTANCES, bench_batch);
        printf("%ld CPUs, load average before the run: %s", sysconf(_SC_NPROCESSORS_ONLN), load);
        load_avg(load);
        printf(", after: %s (other work on the machine skews the figures)\n\n", load);
        printf("%-22s %10s %10s %9s %12s %12s %12s %9s\n", "indexing", "records/s", "events/s",
               "seconds", "first 10 %", "last 10 %", "last 10 %", "max batch");
        printf("%-22s %10s %10s %9s %12s %12s %12s %9s\n", "", "", "", "", "records/s", "records/s",
               "events/s", "ms");
        print_rates("console_index_apply", &ic, n);
        print_rates("ceiling (bare SQLite)", &cc, n);
        ratio90 = ((ic.done - ic.done90) / (ic.t_end - ic.t90)) /
                  ((cc.done - cc.done90) / (cc.t_end - cc.t90));
        printf("index / ceiling: %.1f %% overall, %.1f %% over the last 10 %%\n",
               100.0 * (cc.t_end - cc.t0) / (ic.t_end - ic.t0), 100.0 * ratio90);
        printf("target: indexing keeps up with %d events/s: %s (%.0f events/s overall)\n",
               TARGET_EVENTS_S, n / (ic.t_end - ic.t0) >= TARGET_EVENTS_S ? "met" : "MISSED",
               n / (ic.t_end - ic.t0));
        printf("rows: %lld events, %lld attempts (%s)\n", (long long)events, (long long)attempts,
               events == n && attempts == 2 * n ? "as many as applied" : "MISMATCH");
        printf("\ndisk after the last commit (the writer open, its WAL not checkpointed):\n");
        print_disk("index", disk, n);
        print_disk("ceiling", cdisk, n);
        print_queries(lat);
        return 0;
}
