/* Samples of a measurement and their percentiles. */
#ifndef BENCH_STATS_H_INCLUDED
#define BENCH_STATS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

/* A growing list of values (milliseconds, say). */
typedef struct {
    double *values; /* the samples (owned) */
    size_t count;   /* samples held */
    size_t cap;     /* room allocated */
} bench_samples_t;

/* The summary of some samples (all 0 when there are none). */
typedef struct {
    size_t count; /* samples */
    double mean;  /* their mean */
    double p50;   /* nearest-rank percentiles */
    double p90;
    double p99;
    double max; /* the largest */
} bench_stats_t;

/* Adds a value; false when out of memory. */
bool bench_samples_add (bench_samples_t *self, double value);

/* Frees the values; safe twice. */
void bench_samples_clear (bench_samples_t *self);

/* Sorts the samples and summarizes them into out. */
void bench_samples_stats (bench_samples_t *self, bench_stats_t *out);

#endif
