/* main.c — tsunagu-bench: set up a fresh cluster, offer it referrals, report what it did. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "cases_load.h"
#include "cluster.h"
#include "collect.h"
#include "load.h"
#include "options.h"
#include "report.h"
#include "tally.h"

static volatile sig_atomic_t s_stop = 0; /* set by SIGINT/SIGTERM */

static void
s_on_signal (int signo)
{
    (void) signo;
    s_stop = 1;
}

/* -n: prints every problem with the settings; 0 when there is none. */
static int
s_check (const bench_options_t *options)
{
    if (bench_options_check (options, stderr) > 0)
        return 1;
    printf ("%s: configuration OK\n", options->config ? options->config : BENCH_PROGNAME);
    return 0;
}

/* Sets up, runs and measures; the cluster is stopped by the caller.  Returns 0 when every
 * referral was accepted and delivered. */
static int
s_run (bench_cluster_t *cluster, const bench_options_t *options)
{
    int timeout_ms = (int) options->timeout_s * 1000;
    if (bench_cluster_setup (cluster) != 0 || bench_cluster_start (cluster) != 0
        || bench_cluster_wait_ready (cluster, timeout_ms, &s_stop) != 0)
        return 1;
    log_info ("cluster ready: coordinator on 127.0.0.1:%ld, agencies on ports %ld to %ld",
              options->base_port, options->base_port + 81, options->base_port + 84);
    if (options->rate > 0)
        log_info ("offering %ld referrals at %ld/s over %ld connections", options->referrals,
                  options->rate, options->connections);
    else
        log_info ("sending %ld referrals as fast as they are answered over %ld connections",
                  options->referrals, options->connections);
    bench_load_t load;
    bench_collect_t collect;
    bench_tally_t tally;
    memset (&collect, 0, sizeof collect);
    /* A tally that cannot be read shows as n/a (logged) and does not fail the run. */
    bench_tally_begin (cluster, &tally);
    int rc = bench_load_run (cluster, options, &s_stop, &load);
    if (rc == 0) {
        log_info ("%ld accepted; reading the inboxes", load.accepted);
        rc = bench_collect_run (cluster, &load, options->timeout_s, &s_stop, &collect);
        bench_tally_end (cluster, &tally, &s_stop);
        bench_report_print (stdout, options, cluster, &load, &collect, &tally);
    }
    bench_load_clear (&load);
    bench_collect_clear (&collect);
    return rc == 0 ? 0 : 1;
}

int
main (int argc, char *argv[])
{
    bench_options_t options;
    int rc = bench_options_parse (&options, argc, argv);
    if (rc != 0) {
        bench_options_clear (&options);
        return rc == 2 ? 0 : 1;
    }
    log_init (BENCH_PROGNAME, options.verbose);
    if (options.check_only) {
        rc = s_check (&options);
        bench_options_clear (&options);
        return rc;
    }
    if (bench_options_check (&options, stderr) > 0) {
        bench_options_clear (&options);
        return 1;
    }

    if (options.load_cases > 0) {
        bench_cases_counts_t counts;
        rc = bench_cases_load (options.data, options.load_cases, options.map_mb, &counts);
        printf ("%ld cases, %ld referrals (%ld left overdue, %ld withheld), %ld reopened "
                "loaded into %s\n",
                counts.cases, counts.referrals, counts.overdue, counts.withheld, counts.reopened,
                options.data);
        bench_options_clear (&options);
        return rc;
    }

    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);

    bench_cluster_t *cluster =
        bench_cluster_new (options.bin, options.data, (int) options.base_port);
    if (!cluster) {
        bench_options_clear (&options);
        return 1;
    }
    log_info ("cluster data in %s", bench_cluster_data (cluster));
    rc = s_run (cluster, &options);
    if (bench_cluster_stop (cluster) > 0)
        rc = 1;
    if (rc != 0 && !s_stop)
        bench_cluster_keep (cluster); /* for its logs */
    bench_cluster_destroy (&cluster);
    bench_options_clear (&options);
    return rc;
}
