/* The work per referral in the report: signatures, verifications and bytes written, for the
 * cluster and for each daemon, as table rows and JSON fields, with the targets beside. */
#ifndef BENCH_REPORT_WORK_H_INCLUDED
#define BENCH_REPORT_WORK_H_INCLUDED

#include <jansson.h>
#include <stdio.h>

#include "tally.h"

/* The performance targets of the work per referral (amortised over a run). */
#define TARGET_SIGNATURES_PER_REFERRAL 1  /* Ed25519 signatures made */
#define TARGET_CHECKS_PER_REFERRAL     2  /* Ed25519 verifications made */
#define TARGET_WRITE_KIB_PER_REFERRAL  10 /* KiB written to disk (write_bytes) */

/* Prints the cluster's rows of the main table (signatures, checks and KiB written per
 * referral, in its "%-34s %-40s target" columns), for referrals delivered. */
void bench_report_work_rows (FILE *out, const bench_tally_t *tally, long referrals);

/* Prints the table of the work per referral of each daemon of cluster, the cluster's sum last, and
 * a line on the window it covers with the load average at its end. */
void bench_report_work_table (FILE *out, const bench_cluster_t *cluster, const bench_tally_t *tally,
                              long referrals);

/* The work of daemon i (0..BENCH_PROCESSES-1), or of the cluster with i == BENCH_PROCESSES, as
 * fields added to object: the counts and the figures per referral (null where unknown). */
void bench_report_work_json (json_t *object, const bench_tally_t *tally, size_t i, long referrals);

#endif
