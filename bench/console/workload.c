/* bench_console_index's workload: n events and the records the follower reads for them
 * (index_bench.h). Every event is a pure function of (n, its number), drawn from splitmix64,
 * so that the index pass, the ceiling and the queries see the same events without storing
 * them. */
#include "index_bench.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cb_time.h"

long bench_batch = 10000;

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* 20 object types (Cloud Elements' resource names, or Close's model where it has none) and
 * how often each comes, out of 1000: leads, contacts, activities and opportunities most. */
static const struct {
        const char *type, *model;
        int weight;
} objects[] = {
    {"leads", "lead", 300},
    {"contacts", "contact", 190},
    {"activities", "activity.call", 200},
    {"opportunities", "opportunity", 120},
    {"tasks", "task.lead", 85},
    {"custom_object", "custom_object", 7},
    {"user", "user", 7},
    {"email_template", "email_template", 7},
    {"sequence", "sequence", 7},
    {"sequence_subscription", "sequence_subscription", 7},
    {"pipeline", "pipeline", 7},
    {"status.lead", "status.lead", 7},
    {"status.opportunity", "status.opportunity", 7},
    {"custom_field.lead", "custom_field.lead", 7},
    {"sms_template", "sms_template", 7},
    {"phone_number", "phone_number", 7},
    {"group", "group", 7},
    {"membership", "membership", 7},
    {"integration_link", "integration_link", 7},
    {"unsubscribed_email", "unsubscribed_email", 5},
};

static uint64_t splitmix(uint64_t *s)
{
        uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
}

/* The generator of event i: its first draw is the fate (fate_of). */
static uint64_t seed_of(long i)
{
        return 0x5EED0000ULL + (uint64_t)i * 0x2545F4914F6CDD1DULL;
}

/* Out of 1000: 90 % delivered, 4 % dead, 3 % skipped, 3 % still retrying. */
static bench_fate_t fate_of(uint64_t *s)
{
        unsigned r = (unsigned)(splitmix(s) % 1000);

        return r < 900   ? BENCH_DELIVERED
               : r < 940 ? BENCH_DEAD
               : r < 970 ? BENCH_SKIPPED
                         : BENCH_RETRYING;
}

/* n random base62 characters at out (not terminated). */
static void random_chars(uint64_t *s, char *out, int n)
{
        uint64_t r = 0;
        int i;

        for (i = 0; i < n; i++) {
                if (i % 10 == 0)
                        r = splitmix(s);
                out[i] = base62[r % 62];
                r /= 62;
        }
}

void bench_instance_id(int k, char *out)
{
        snprintf(out, CB_INSTANCE_ID_MAX, "%d", 20000 + k * 97);
}

void bench_event(long n, long i, bench_event_t *ev)
{
        uint64_t s = seed_of(i), r;
        int64_t slot = BENCH_SPAN_MS / (n > 0 ? n : 1);
        char digits[24];
        size_t k, len;
        int w;

        ev->fate = fate_of(&s);
        ev->inst = (int)(splitmix(&s) % BENCH_INSTANCES);
        bench_instance_id(ev->inst, ev->instance_id);
        r = splitmix(&s);
        w = (int)(r % 1000);
        for (k = 0; k + 1 < sizeof(objects) / sizeof(objects[0]) && w >= objects[k].weight; k++)
                w -= objects[k].weight;
        ev->object_type = objects[k].type;
        ev->model = objects[k].model;
        r /= 1000;
        w = (int)(r % 100);
        ev->event_type = w < 25 ? "CREATED" : w < 90 ? "UPDATED" : "DELETED";
        ev->action = w < 25 ? "created" : w < 90 ? "updated" : "deleted";
        ev->origin = (r / 100) % 10 ? "webhook" : "polling";
        /* in time order, each in a slot of its own: the follower reads them about so */
        ev->time_ms =
            BENCH_T0 + (int64_t)i * slot + (slot > 1 ? (int64_t)(splitmix(&s) % slot) : 0);
        memcpy(ev->env_id, "ev_", 3);
        random_chars(&s, ev->env_id + 3, 22);
        ev->env_id[25] = '_';
        cb_time_format_compact(ev->time_ms * 1000, digits, sizeof(digits));
        snprintf(ev->env_id + 26, sizeof(ev->env_id) - 26, "%s", digits);
        len = strcspn(ev->model, "._");
        len = len > 4 ? 4 : len;
        memcpy(ev->object_id, ev->model, len);
        ev->object_id[len] = '_';
        random_chars(&s, ev->object_id + len + 1, 20);
        ev->object_id[len + 21] = '\0';
}

/* rec's common fields: kind, topic, state, key, id, times. */
static void rec_base(console_rec_t *rec, const bench_event_t *ev, console_topic_kind_t kind,
                     const char *topic, console_state_t state, int64_t ts)
{
        memset(rec, 0, sizeof(*rec));
        rec->kind = kind;
        rec->topic = topic;
        rec->state = state;
        rec->ts_ms = ts;
        rec->at_ms = ts;
        memcpy(rec->instance_id, ev->instance_id, sizeof(rec->instance_id));
        memcpy(rec->env_id, ev->env_id, sizeof(ev->env_id));
}

/* An attempt record at ts (the attempt at ts - 2). */
static void rec_attempt(console_rec_t *rec, const bench_event_t *ev, int64_t ts, int attempt,
                        const char *outcome, console_state_t state, int status, const char *error)
{
        rec_base(rec, ev, CONSOLE_TOPIC_DELIVERIES, BENCH_TOPIC_DELIVERIES, state, ts);
        rec->at_ms = ts - 2;
        rec->attempt = attempt;
        rec->status = status;
        snprintf(rec->error, sizeof(rec->error), "%s", error);
        snprintf(rec->outcome, sizeof(rec->outcome), "%s", outcome);
        rec->duration_ms = status == 200 ? 45 : 120;
        snprintf(rec->url, sizeof(rec->url), "https://hooks.example.com/closeio/%s/events",
                 ev->instance_id);
        if (state == CONSOLE_RETRYING)
                rec->next_due_ms = rec->at_ms + 60000LL * attempt * attempt;
}

int bench_record(const bench_event_t *ev, int which, console_rec_t *rec)
{
        /* received 200 ms after the event; first attempt at once, second after a minute */
        int64_t ts = ev->time_ms + 200, ts2 = ts + 60050;

        switch (which) {
        case 0:
                rec_base(rec, ev, CONSOLE_TOPIC_EVENTS, BENCH_TOPIC_EVENTS, CONSOLE_RECEIVED, ts);
                snprintf(rec->object_type, sizeof(rec->object_type), "%s", ev->object_type);
                snprintf(rec->object_id, sizeof(rec->object_id), "%s", ev->object_id);
                snprintf(rec->event_type, sizeof(rec->event_type), "%s", ev->event_type);
                snprintf(rec->type, sizeof(rec->type), "io.close.%s.%s", ev->model, ev->action);
                snprintf(rec->origin, sizeof(rec->origin), "%s", ev->origin);
                rec->event_time_ms = ev->time_ms;
                return 1;
        case 1:
                rec_attempt(rec, ev, ts + 50, 1, "retry", CONSOLE_RETRYING, 503, "HTTP 503");
                return 1;
        case 2:
                if (ev->fate == BENCH_DELIVERED)
                        rec_attempt(rec, ev, ts2, 2, "delivered", CONSOLE_DELIVERED, 200, "");
                else if (ev->fate == BENCH_RETRYING)
                        rec_attempt(rec, ev, ts2, 2, "retry", CONSOLE_RETRYING, 503, "HTTP 503");
                else if (ev->fate == BENCH_DEAD)
                        rec_attempt(rec, ev, ts2, 2, "dead", CONSOLE_DEAD, 410, "HTTP 410");
                else
                        rec_attempt(rec, ev, ts2, 2, "skipped", CONSOLE_SKIPPED, 0,
                                    "the instance has no callback URL");
                return 1;
        default:
                if (ev->fate == BENCH_RETRYING) {
                        rec_base(rec, ev, CONSOLE_TOPIC_RETRY, BENCH_TOPIC_RETRY, CONSOLE_RETRYING,
                                 ts2 + 3);
                        rec->next_due_ms = ts2 + 240000;
                } else if (ev->fate == BENCH_DEAD) {
                        rec_base(rec, ev, CONSOLE_TOPIC_DLQ, BENCH_TOPIC_DLQ, CONSOLE_DEAD,
                                 ts2 + 3);
                        snprintf(rec->reason, sizeof(rec->reason), "HTTP 410 (permanent)");
                } else {
                        return 0;
                }
                rec->attempt = 2;
                rec->status = ev->fate == BENCH_DEAD ? 410 : 503;
                snprintf(rec->error, sizeof(rec->error), "HTTP %d", rec->status);
                return 1;
        }
}

void bench_stream_init(bench_stream_t *s, long n)
{
        memset(s, 0, sizeof(*s));
        s->n = n;
}

/* Queues record which of event i (ev), numbered on its topic's partition. */
static void push(bench_stream_t *s, const bench_event_t *ev, long i, int which)
{
        console_rec_t *rec = &s->q[s->qlen];
        int part;

        if (!bench_record(ev, which, rec))
                return;
        /* keyed by instance: one instance's records stay on one partition */
        part = rec->kind <= CONSOLE_TOPIC_DELIVERIES ? ev->inst % BENCH_PARTITIONS : 0;
        rec->partition = part;
        rec->offset = s->offsets[rec->kind][part]++;
        s->qev[s->qlen++] = i;
}

int bench_stream_next(bench_stream_t *s, const console_rec_t **rec, long *ev)
{
        bench_event_t e;
        long k;

        while (s->qpos == s->qlen) {
                if (s->step >= s->n + BENCH_RETRY_LAG)
                        return 0;
                s->qlen = s->qpos = 0;
                k = s->step++;
                if (k < s->n) {
                        bench_event(s->n, k, &e);
                        push(s, &e, k, 0);
                }
                if (k >= 1 && k - 1 < s->n) {
                        bench_event(s->n, k - 1, &e);
                        push(s, &e, k - 1, 1);
                }
                if (k >= BENCH_RETRY_LAG && k - BENCH_RETRY_LAG < s->n) {
                        bench_event(s->n, k - BENCH_RETRY_LAG, &e);
                        push(s, &e, k - BENCH_RETRY_LAG, 2);
                        push(s, &e, k - BENCH_RETRY_LAG, 3);
                }
        }
        *rec = &s->q[s->qpos];
        *ev = s->qev[s->qpos++];
        return 1;
}

long bench_stream_total(long n)
{
        long i, total = 0;
        uint64_t s;
        bench_fate_t fate;

        for (i = 0; i < n; i++) {
                s = seed_of(i);
                fate = fate_of(&s);
                total += fate == BENCH_DEAD || fate == BENCH_RETRYING ? 4 : 3;
        }
        return total;
}

double bench_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_clock_start(bench_clock_t *c, long total)
{
        memset(c, 0, sizeof(*c));
        c->total = total;
        c->t0 = c->t_last = bench_now();
}

void bench_clock_tick(bench_clock_t *c, long done)
{
        double t = bench_now();

        if (t - c->t_last > c->max_batch)
                c->max_batch = t - c->t_last;
        c->t_last = c->t_end = t;
        c->done = done;
        if (!c->done10 && done * 10 >= c->total) {
                c->t10 = t;
                c->done10 = done;
        }
        if (!c->done90 && done * 10 >= c->total * 9) {
                c->t90 = t;
                c->done90 = done;
        }
}

int64_t bench_disk_bytes(const char *path, int64_t size[3])
{
        static const char *const suffix[] = {"", "-wal", "-shm"};
        char name[1024];
        struct stat st;
        int i;

        for (i = 0; i < 3; i++) {
                snprintf(name, sizeof(name), "%s%s", path, suffix[i]);
                size[i] = stat(name, &st) ? 0 : (int64_t)st.st_size;
        }
        return size[0] + size[1] + size[2];
}
