/* The results: a table for people, or one JSON object, with the DESIGN §6 targets beside. */
#ifndef BENCH_REPORT_H_INCLUDED
#define BENCH_REPORT_H_INCLUDED

#include <stdio.h>

#include "cluster.h"
#include "collect.h"
#include "load.h"
#include "options.h"
#include "tally.h"

/* Prints what load and collect measured, the cluster's memory and CPU, and the work tally counted
 * per referral delivered, to out: a table, or with options->json one JSON object.  Sorts the
 * samples. */
void bench_report_print (FILE *out, const bench_options_t *options, const bench_cluster_t *cluster,
                         bench_load_t *load, bench_collect_t *collect, const bench_tally_t *tally);

#endif
