#include "cb_metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Histogram bucket bounds, seconds: from a fast Kafka acknowledgement to a slow receiver. */
static const double bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                0.25,  0.5,    1,     2.5,  5,     10};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

typedef struct series {
        struct series *next;
        char *labels;
        double value;             /* counter, gauge; a histogram's sum */
        uint64_t count;           /* histogram: observations */
        uint64_t bucket[NBOUNDS]; /* histogram: observations <= bounds[i] (not cumulative) */
} series_t;

struct cb_metric_family {
        cb_metric_family_t *next;
        const char *name, *help;
        cb_metric_type_t type;
        series_t *series;
};

/* One lock for the registry: metrics change per request or per event, never in a tight loop
 * of their own, so contention stays far below the work they count. */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static cb_metric_family_t *families;

cb_metric_family_t *cb_metrics_family(const char *name, const char *help, cb_metric_type_t type)
{
        cb_metric_family_t *fam, **tail;

        pthread_mutex_lock(&reg_lock);
        for (tail = &families; (fam = *tail); tail = &fam->next)
                if (!strcmp(fam->name, name))
                        goto done;
        fam = calloc(1, sizeof(*fam));
        if (fam) {
                fam->name = name;
                fam->help = help;
                fam->type = type;
                *tail = fam;
        }
done:
        pthread_mutex_unlock(&reg_lock);
        return fam;
}

/* The series of fam with labels, made when missing. Call with reg_lock held. */
static series_t *series_of(cb_metric_family_t *fam, const char *labels)
{
        series_t *s;

        for (s = fam->series; s; s = s->next)
                if (!strcmp(s->labels, labels))
                        return s;
        s = calloc(1, sizeof(*s));
        if (!s || !(s->labels = strdup(labels))) {
                free(s);
                return NULL;
        }
        s->next = fam->series;
        fam->series = s;
        return s;
}

void cb_metrics_add(cb_metric_family_t *fam, const char *labels, double delta)
{
        series_t *s;

        if (!fam)
                return;
        pthread_mutex_lock(&reg_lock);
        if ((s = series_of(fam, labels)))
                s->value += delta;
        pthread_mutex_unlock(&reg_lock);
}

void cb_metrics_observe(cb_metric_family_t *fam, const char *labels, double value)
{
        series_t *s;
        size_t i;

        if (!fam)
                return;
        pthread_mutex_lock(&reg_lock);
        if ((s = series_of(fam, labels))) {
                s->value += value;
                s->count++;
                for (i = 0; i < NBOUNDS; i++) {
                        if (value <= bounds[i]) {
                                s->bucket[i]++;
                                break;
                        }
                }
        }
        pthread_mutex_unlock(&reg_lock);
}

void cb_metrics_set(cb_metric_family_t *fam, const char *labels, double value)
{
        series_t *s;

        if (!fam)
                return;
        pthread_mutex_lock(&reg_lock);
        if ((s = series_of(fam, labels)))
                s->value = value;
        pthread_mutex_unlock(&reg_lock);
}

char *cb_metrics_render(void)
{
        cb_metric_family_t *fam;
        series_t *s;
        char *buf = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&buf, &size);

        if (!out)
                return NULL;
        pthread_mutex_lock(&reg_lock);
        for (fam = families; fam; fam = fam->next) {
                fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name,
                        fam->type == CB_METRIC_COUNTER ? "counter"
                        : fam->type == CB_METRIC_GAUGE ? "gauge"
                                                       : "histogram");
                for (s = fam->series; s; s = s->next) {
                        const char *sep = *s->labels ? "," : "";
                        uint64_t cumulative = 0;
                        size_t i;

                        if (fam->type != CB_METRIC_HISTOGRAM) {
                                fprintf(out, "%s%s%s%s %.17g\n", fam->name, *s->labels ? "{" : "",
                                        s->labels, *s->labels ? "}" : "", s->value);
                                continue;
                        }
                        for (i = 0; i < NBOUNDS; i++) {
                                cumulative += s->bucket[i];
                                fprintf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", fam->name,
                                        s->labels, sep, bounds[i], (unsigned long long)cumulative);
                        }
                        fprintf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", fam->name, s->labels, sep,
                                (unsigned long long)s->count);
                        fprintf(out, "%s_sum%s%s%s %.17g\n%s_count%s%s%s %llu\n", fam->name,
                                *s->labels ? "{" : "", s->labels, *s->labels ? "}" : "", s->value,
                                fam->name, *s->labels ? "{" : "", s->labels, *s->labels ? "}" : "",
                                (unsigned long long)s->count);
                }
        }
        pthread_mutex_unlock(&reg_lock);
        if (fclose(out)) {
                free(buf);
                return NULL;
        }
        return buf;
}
