/* tsunagu-broker-bench's report: a table for people, or one JSON object. */
#ifndef BENCH_BROKER_REPORT_H_INCLUDED
#define BENCH_BROKER_REPORT_H_INCLUDED

#include <stdio.h>

#include "broker.h"
#include "procstat.h"

/* The machine and the broker's process at one moment (before or after the run). */
typedef struct {
    double loadavg[3];     /* 1, 5 and 15-minute load averages */
    int64_t at_us;         /* when (monotonic µs) */
    bool read;             /* stat and io were read (--broker-pid given and readable) */
    bench_procstat_t stat; /* the broker's memory and CPU time */
    bench_procio_t io;     /* the broker's bytes written */
    bool device_read;      /* device was read (--disk given, on a block device) */
    uint64_t device;       /* bytes written so far to the block device holding --disk */
} broker_sample_t;

/* Prints what result measured, with the machine and the broker before and after, to out: a
 * table, or with options->json one JSON object.  Sorts the samples. */
void broker_report_print (FILE *out, const broker_options_t *options, broker_result_t *result,
                          const broker_sample_t *before, const broker_sample_t *after);

#endif
