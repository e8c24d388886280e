/* Delivery: paging through each recipient's inbox until every accepted referral arrived, and
 * the end-to-end latency of each (received_at at the recipient − created_at at the sender). */
#ifndef BENCH_COLLECT_H_INCLUDED
#define BENCH_COLLECT_H_INCLUDED

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "cluster.h"
#include "load.h"
#include "stats.h"

/* What the delivery phase found. */
typedef struct {
    long delivered;             /* referrals found in the inboxes */
    long found[BENCH_AGENCIES]; /* referrals found in each agency's inbox */
    uint64_t last_received_ms;  /* the latest received_at (UTC ms) */
    double deliver_s;           /* seconds from the first request sent to the latest arrival */
    bench_samples_t latency_ms; /* received_at − created_at of each referral, in ms */
    bool complete;              /* every accepted referral arrived */
} bench_collect_t;

/* Reads every agency's GET /v1/inbox page by page (500 at a time) until it holds the referrals
 * load says it was sent, sampling the cluster as it goes.  Returns 0 when all arrived; -1
 * (logged) when they had not after timeout_s, an answer was not 200 (printed), a program
 * exited or *stop was set.  out holds what was found either way; the caller clears it. */
int bench_collect_run (bench_cluster_t *cluster, const bench_load_t *load, long timeout_s,
                       volatile sig_atomic_t *stop, bench_collect_t *out);

/* Frees what out holds; safe twice. */
void bench_collect_clear (bench_collect_t *self);

#endif
