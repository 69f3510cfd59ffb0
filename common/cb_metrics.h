/* cb_metrics: counters and gauges in Prometheus' text format, for /metrics.
 *
 * A family (name, help, type) holds one series per label set, e.g.
 * closebridge_http_requests_total{route="webhook",code="202"}. Series are made on first use.
 * Thread-safe: any thread may add; /metrics renders a consistent-enough snapshot. */
#ifndef CB_METRICS_H
#define CB_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef enum { CB_METRIC_COUNTER, CB_METRIC_GAUGE, CB_METRIC_HISTOGRAM } cb_metric_type_t;

typedef struct cb_metric_family cb_metric_family_t;

/* Registers a family in the process-wide registry, or returns the one of that name.
 * Borrows name and help (static strings). Returns NULL when out of memory. */
cb_metric_family_t *cb_metrics_family(const char *name, const char *help, cb_metric_type_t type);

/* Adds delta to the series with labels (e.g. "route=\"webhook\",code=\"202\"", or "" for
 * none), creating it at 0 first. Label values must already be escaped. */
void cb_metrics_add(cb_metric_family_t *fam, const char *labels, double delta);

/* Counts one observation of value (seconds) in a histogram series, whose buckets run from
 * 1 ms to 10 s. */
void cb_metrics_observe(cb_metric_family_t *fam, const char *labels, double value);

/* Sets a gauge series to value. */
void cb_metrics_set(cb_metric_family_t *fam, const char *labels, double value);

/* Renders every family as Prometheus text (version 0.0.4). Returns a new string the caller
 * frees, or NULL when out of memory. */
char *cb_metrics_render(void);

#endif
