/* The offered load: referrals POSTed over keep-alive connections to the four agencies, as fast
 * as they are answered or at a fixed rate, spread over the 12 ordered pairs of agency types. */
#ifndef BENCH_LOAD_H_INCLUDED
#define BENCH_LOAD_H_INCLUDED

#include <signal.h>
#include <stdint.h>

#include "cluster.h"
#include "options.h"
#include "stats.h"

/* What the load phase measured. */
typedef struct {
    long sent;                     /* requests sent */
    long accepted;                 /* requests answered 202 */
    long expected[BENCH_AGENCIES]; /* referrals accepted for each recipient */
    uint64_t start_wall_ms;        /* wall clock (UTC ms) when the first request went out */
    double loadavg_start;          /* the machine's 1-minute load average then */
    double loadavgs_start[3];      /* its 1, 5 and 15-minute load averages then */
    double send_s;                 /* seconds from the first request sent to the last */
    double accept_s;               /* seconds from the first request sent to the last 202 */
    bench_samples_t api_ms;        /* milliseconds from sending each request to its 202 */
} bench_load_t;

/* Sends options->referrals referrals to cluster over options->connections connections
 * (connection i sends as agency i mod 4; referral k goes from agency k mod 4 to the one
 * 1 + (k / 4) mod 3 after it), each when it is due (every 1/rate s, or at once when rate is 0)
 * and a connection of its sender is free.  Samples the cluster every 100 ms.  Returns 0 when
 * every referral was accepted; -1 when one was refused (its status and body printed), a
 * connection failed, a program exited, the phase outlasted its bound or *stop was set.  out
 * holds what was measured either way; the caller clears it. */
int bench_load_run (bench_cluster_t *cluster, const bench_options_t *options,
                    volatile sig_atomic_t *stop, bench_load_t *out);

/* Frees what out holds; safe twice. */
void bench_load_clear (bench_load_t *self);

#endif
