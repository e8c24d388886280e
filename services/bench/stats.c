/* Samples of a measurement and their nearest-rank percentiles. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

bool
bench_samples_add (bench_samples_t *self, double value)
{
    if (self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 1024;
        double *grown = realloc (self->values, cap * sizeof *grown);
        if (!grown)
            return false;
        self->values = grown;
        self->cap = cap;
    }
    self->values[self->count++] = value;
    return true;
}

void
bench_samples_clear (bench_samples_t *self)
{
    free (self->values);
    memset (self, 0, sizeof *self);
}

static int
s_compare (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

/* The smallest value with at least q of the samples at or below it. */
static double
s_rank (const bench_samples_t *self, double q)
{
    size_t rank = (size_t) ceil (q * (double) self->count);
    return self->values[rank > 0 ? rank - 1 : 0];
}

void
bench_samples_stats (bench_samples_t *self, bench_stats_t *out)
{
    memset (out, 0, sizeof *out);
    if (self->count == 0)
        return;
    qsort (self->values, self->count, sizeof *self->values, s_compare);
    double sum = 0;
    for (size_t i = 0; i < self->count; i++)
        sum += self->values[i];
    out->count = self->count;
    out->mean = sum / (double) self->count;
    out->p50 = s_rank (self, 0.50);
    out->p90 = s_rank (self, 0.90);
    out->p99 = s_rank (self, 0.99);
    out->max = self->values[self->count - 1];
}
