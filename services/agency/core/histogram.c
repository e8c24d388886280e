/* histogram.c — fixed-bucket Prometheus histograms (histogram.h). */
#include <assert.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "agency/core/histogram.h"

void
agency_histogram_init (agency_histogram_t *self, const double *bounds, size_t count)
{
    assert (count <= AGENCY_HISTOGRAM_BUCKETS_MAX);
    for (size_t i = 1; i < count; i++)
        assert (bounds[i - 1] < bounds[i]);
    memset (self, 0, sizeof *self);
    self->bounds = bounds;
    self->bucket_count = count;
}

void
agency_histogram_observe (agency_histogram_t *self, double value)
{
    if (isnan (value))
        return;
    if (value < 0)
        value = 0;
    for (size_t i = 0; i < self->bucket_count; i++)
        if (value <= self->bounds[i]) {
            self->buckets[i]++;
            break;
        }
    self->count++;
    self->sum += value;
}

/* "{labels,le="bound"}" or "{le="bound"}". */
static void
s_bucket (FILE *out, const char *name, const char *labels, const char *le, uint64_t count)
{
    fprintf (out, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels ? labels : "", labels ? "," : "",
             le, (unsigned long long) count);
}

void
agency_histogram_print (const agency_histogram_t *self, FILE *out, const char *name,
                        const char *labels)
{
    uint64_t cumulative = 0;
    char le[32];
    for (size_t i = 0; i < self->bucket_count; i++) {
        cumulative += self->buckets[i];
        snprintf (le, sizeof le, "%g", self->bounds[i]);
        s_bucket (out, name, labels, le, cumulative);
    }
    s_bucket (out, name, labels, "+Inf", self->count);
    const char *open = labels ? "{" : "", *close = labels ? "}" : "";
    fprintf (out, "%s_sum%s%s%s %.15g\n", name, open, labels ? labels : "", close, self->sum);
    fprintf (out, "%s_count%s%s%s %llu\n", name, open, labels ? labels : "", close,
             (unsigned long long) self->count);
}

double
agency_histogram_clock (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}
