/* A Prometheus histogram with fixed buckets, for /metrics: how many letters each group commit
 * took and how long it ran.  Observing allocates nothing and touches only the histogram; the
 * buckets are a static array of upper bounds the histogram borrows.
 *
 *     static const double bounds[] = { 1, 2, 4, 8 };
 *     agency_histogram_t h;
 *     agency_histogram_init (&h, bounds, 4);
 *     agency_histogram_observe (&h, 3);        (le="4" and every later bucket count it)
 *     agency_histogram_print (&h, out, "tsunagu_x", NULL);
 */
#ifndef AGENCY_CORE_HISTOGRAM_H_INCLUDED
#define AGENCY_CORE_HISTOGRAM_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define AGENCY_HISTOGRAM_BUCKETS_MAX 16 /* finite upper bounds; +Inf is always there too */

typedef struct {
    const double *bounds; /* upper bounds, ascending (borrowed) */
    size_t bucket_count;  /* how many (≤ AGENCY_HISTOGRAM_BUCKETS_MAX) */
    uint64_t buckets[AGENCY_HISTOGRAM_BUCKETS_MAX]; /* observations in (bounds[i-1], bounds[i]]:
                                                     not cumulative; printing sums them */
    uint64_t count;                                 /* every observation (the +Inf bucket) */
    double sum;                                     /* their sum */
} agency_histogram_t;

/* An empty histogram over bounds (count of them, ascending, at most
 * AGENCY_HISTOGRAM_BUCKETS_MAX; the array must outlive the histogram). */
void agency_histogram_init (agency_histogram_t *self, const double *bounds, size_t count);

/* Counts value in the first bucket whose bound is ≥ value (only in +Inf past the last), and
 * adds it to the sum.  A negative value counts as 0; NaN is ignored. */
void agency_histogram_observe (agency_histogram_t *self, double value);

/* Writes the histogram's lines to out in the Prometheus text format: name_bucket{le="..."}
 * (cumulative, +Inf last), name_sum, name_count.  labels, when not NULL, is what goes before
 * le inside the braces and alone on _sum and _count (e.g. source="api").  No HELP or TYPE
 * line: the caller writes those once per family. */
void agency_histogram_print (const agency_histogram_t *self, FILE *out, const char *name,
                             const char *labels);

/* Monotonic seconds (sub-millisecond), to time what is observed. */
double agency_histogram_clock (void);

#endif
