#include "cb_metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct series {
        struct series *next;
        char *labels;
        double value;
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

double cb_metrics_get(cb_metric_family_t *fam, const char *labels)
{
        series_t *s;
        double v = 0;

        if (!fam)
                return 0;
        pthread_mutex_lock(&reg_lock);
        for (s = fam->series; s; s = s->next)
                if (!strcmp(s->labels, labels))
                        v = s->value;
        pthread_mutex_unlock(&reg_lock);
        return v;
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
                        fam->type == CB_METRIC_COUNTER ? "counter" : "gauge");
                for (s = fam->series; s; s = s->next)
                        fprintf(out, "%s%s%s%s %.17g\n", fam->name, *s->labels ? "{" : "",
                                s->labels, *s->labels ? "}" : "", s->value);
        }
        pthread_mutex_unlock(&reg_lock);
        if (fclose(out)) {
                free(buf);
                return NULL;
        }
        return buf;
}
