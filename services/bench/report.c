/* The results: a table for people, or one JSON object, with the DESIGN §6 targets beside. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsunagu/tsunagu.h"
#include "procstat.h"
#include "report.h"
#include "report_work.h"

/* DESIGN §6. */
#define TARGET_DELIVERED_PER_S 30000 /* referrals/s end to end */
#define TARGET_P99_MS          5     /* p99 latency ... */
#define TARGET_P99_AT_RATE     5000  /* ... at this offered rate */
#define TARGET_COORDINATOR_MB  64    /* coordinator RSS (with 1M cases stored) */
#define TARGET_AGENCY_MB       16    /* agency daemon RSS */

/* Everything derived once, for both forms. */
typedef struct {
    bench_stats_t api;      /* POST → 202 */
    bench_stats_t latency;  /* created_at → received_at */
    double offered_per_s;   /* the rate requests actually went out at */
    double accepted_per_s;  /* 202s per second */
    double delivered_per_s; /* arrivals per second, end to end */
    double window_s;        /* the span the CPU times cover */
    char date[32];          /* when the report was made */
    long cpus;              /* processors online */
    double loadavg_end;     /* the machine's 1-minute load average at the end */
} s_summary_t;

static double
s_per_s (double count, double seconds)
{
    return seconds > 0 ? count / seconds : 0;
}

static void
s_summarize (s_summary_t *sum, const bench_cluster_t *cluster, bench_load_t *load,
             bench_collect_t *collect)
{
    memset (sum, 0, sizeof *sum);
    bench_samples_stats (&load->api_ms, &sum->api);
    bench_samples_stats (&collect->latency_ms, &sum->latency);
    sum->offered_per_s = s_per_s ((double) (load->sent > 1 ? load->sent - 1 : 0), load->send_s);
    sum->accepted_per_s = s_per_s ((double) load->accepted, load->accept_s);
    sum->delivered_per_s = s_per_s ((double) collect->delivered, collect->deliver_s);
    sum->window_s = bench_cluster_window_s (cluster);
    tsg_iso8601 (tsg_now_ms (), sum->date);
    sum->cpus = sysconf (_SC_NPROCESSORS_ONLN);
    sum->loadavg_end = bench_procstat_loadavg ();
}

static double
s_cpu_s (const bench_process_t *process)
{
    return process->cpu_last_s - process->cpu_mark_s;
}

static json_t *
s_stats_json (const bench_stats_t *stats)
{
    return json_pack ("{s:I, s:f, s:f, s:f, s:f, s:f}", "count", (json_int_t) stats->count, "mean",
                      stats->mean, "p50", stats->p50, "p90", stats->p90, "p99", stats->p99, "max",
                      stats->max);
}

/* The 1, 5 and 15-minute load averages as a JSON array. */
static json_t *
s_loadavgs_json (const double loads[3])
{
    return json_pack ("[f, f, f]", loads[0], loads[1], loads[2]);
}

/* Adds the work per referral to root: the cluster's as "work", each daemon's to its entry of
 * processes, the 1/5/15-minute load averages at both ends, and the targets. */
static void
s_add_work_json (json_t *root, const bench_load_t *load, const bench_collect_t *collect,
                 const bench_tally_t *tally)
{
    json_t *work = json_pack ("{s:I, s:f, s:b, s:o}", "referrals", (json_int_t) collect->delivered,
                              "settle_seconds", tally->settle_s, "settled", tally->settled,
                              "loadavg_end", s_loadavgs_json (tally->loadavg_end));
    bench_report_work_json (work, tally, BENCH_PROCESSES, collect->delivered);
    json_object_set_new (root, "work", work);
    json_t *processes = json_object_get (root, "processes");
    for (size_t i = 0; i < BENCH_PROCESSES; i++)
        bench_report_work_json (json_array_get (processes, i), tally, i, collect->delivered);
    json_object_set_new (root, "loadavg_start", s_loadavgs_json (load->loadavgs_start));
    json_object_set_new (root, "loadavg_end", s_loadavgs_json (tally->loadavg_end));
    json_t *targets = json_object_get (root, "targets");
    json_object_set_new (targets, "signatures_per_referral",
                         json_integer (TARGET_SIGNATURES_PER_REFERRAL));
    json_object_set_new (targets, "signature_checks_per_referral",
                         json_integer (TARGET_CHECKS_PER_REFERRAL));
    json_object_set_new (targets, "write_kib_per_referral",
                         json_integer (TARGET_WRITE_KIB_PER_REFERRAL));
}

static void
s_print_json (FILE *out, const bench_options_t *options, const bench_cluster_t *cluster,
              const bench_load_t *load, const bench_collect_t *collect, const s_summary_t *sum,
              const bench_tally_t *tally)
{
    json_t *processes = json_array ();
    for (size_t i = 0; i < BENCH_SAMPLED; i++) {
        const bench_process_t *p = bench_cluster_process (cluster, i);
        json_array_append_new (
            processes, json_pack ("{s:s, s:I, s:I, s:f, s:f}", "name", p->name, "rss_max_kb",
                                  (json_int_t) p->rss_max_kb, "anon_max_kb",
                                  (json_int_t) p->anon_max_kb, "cpu_s", s_cpu_s (p), "cpu_percent",
                                  sum->window_s > 0 ? 100.0 * s_cpu_s (p) / sum->window_s : 0.0));
    }
    json_t *root = json_pack (
        "{s:s, s:s, s:I, s:[f, f], s:s, s:I, s:I, s:I, s:o, s:f, s:I, s:I, s:f, s:f, s:o, s:I, "
        "s:b, s:f, s:f, s:o, s:f, s:o, s:o}",
        "version", TSUNAGU_VERSION, "date", sum->date, "cpus", (json_int_t) sum->cpus,
        "loadavg_start_end", load->loadavg_start, sum->loadavg_end, "mode",
        options->rate > 0 ? "latency" : "throughput", "referrals", (json_int_t) options->referrals,
        "connections", (json_int_t) options->connections, "body_bytes",
        (json_int_t) options->body_bytes, "offered_rate",
        options->rate > 0 ? json_integer (options->rate) : json_null (), "achieved_offered_rate",
        sum->offered_per_s, "sent", (json_int_t) load->sent, "accepted",
        (json_int_t) load->accepted, "accept_seconds", load->accept_s, "accepted_per_s",
        sum->accepted_per_s, "api_ms", s_stats_json (&sum->api), "delivered",
        (json_int_t) collect->delivered, "complete", collect->complete, "deliver_seconds",
        collect->deliver_s, "delivered_per_s", sum->delivered_per_s, "latency_ms",
        s_stats_json (&sum->latency), "cpu_window_seconds", sum->window_s, "processes", processes,
        "targets",
        json_pack ("{s:i, s:i, s:i, s:i, s:i}", "delivered_per_s", TARGET_DELIVERED_PER_S,
                   "latency_p99_ms", TARGET_P99_MS, "latency_p99_at_offered_rate",
                   TARGET_P99_AT_RATE, "coordinator_rss_mb", TARGET_COORDINATOR_MB, "agency_rss_mb",
                   TARGET_AGENCY_MB));
    if (root)
        s_add_work_json (root, load, collect, tally);
    char *text = root ? json_dumps (root, JSON_INDENT (2) | JSON_REAL_PRECISION (6)) : NULL;
    if (text)
        fprintf (out, "%s\n", text);
    else
        log_warnx ("cannot write the JSON report (out of memory)");
    free (text);
    json_decref (root);
}

static void
s_print_table (FILE *out, const bench_options_t *options, const bench_cluster_t *cluster,
               const bench_load_t *load, const bench_collect_t *collect, const s_summary_t *sum,
               const bench_tally_t *tally)
{
    char offered[96];
    if (options->rate > 0)
        snprintf (offered, sizeof offered, "%ld/s (achieved %.0f/s)", options->rate,
                  sum->offered_per_s);
    else
        snprintf (offered, sizeof offered, "as fast as answered");
    fprintf (out,
             BENCH_PROGNAME " " TSUNAGU_VERSION ", %s: %s run, %ld referrals, %ld-byte sheets, "
                            "%ld connections\n%ld CPUs, load average %.1f at the start, %.1f at "
                            "the end (other work on the machine shows here)\n\n",
             sum->date, options->rate > 0 ? "latency" : "throughput", options->referrals,
             options->body_bytes, options->connections, sum->cpus, load->loadavg_start,
             sum->loadavg_end);
    fprintf (out, "%-34s %-40s %s\n", "", "measured", "DESIGN §6 target");
    fprintf (out, "%-34s %s\n", "offered", offered);
    char line[96];
    snprintf (line, sizeof line, "%ld in %.2f s = %.0f/s", load->accepted, load->accept_s,
              sum->accepted_per_s);
    fprintf (out, "%-34s %s\n", "accepted at the API (202)", line);
    snprintf (line, sizeof line, "%ld in %.2f s = %.0f/s%s", collect->delivered, collect->deliver_s,
              sum->delivered_per_s, collect->complete ? "" : " (incomplete)");
    fprintf (out, "%-34s %-40s >= %d/s\n", "delivered end to end", line, TARGET_DELIVERED_PER_S);
    snprintf (line, sizeof line, "p50 %.0f  p90 %.0f  p99 %.0f  max %.0f", sum->latency.p50,
              sum->latency.p90, sum->latency.p99, sum->latency.max);
    fprintf (out, "%-34s %-40s p99 <= %d at %d/s offered\n", "latency created->received (ms)", line,
             TARGET_P99_MS, TARGET_P99_AT_RATE);
    snprintf (line, sizeof line, "p50 %.1f  p90 %.1f  p99 %.1f  max %.1f", sum->api.p50,
              sum->api.p90, sum->api.p99, sum->api.max);
    fprintf (out, "%-34s %s\n", "API answer POST->202 (ms)", line);
    bench_report_work_rows (out, tally, collect->delivered);
    fprintf (out, "\n");

    fprintf (out, "%-18s %12s %12s %9s %7s   %s\n", "process", "VmRSS max", "RssAnon max", "CPU s",
             "CPU %", "RSS target");
    for (size_t i = 0; i < BENCH_SAMPLED; i++) {
        const bench_process_t *p = bench_cluster_process (cluster, i);
        char target[48];
        if (i == 0)
            snprintf (target, sizeof target, "<= %d MB (with 1M cases)", TARGET_COORDINATOR_MB);
        else if (i < BENCH_PROCESSES)
            snprintf (target, sizeof target, "<= %d MB", TARGET_AGENCY_MB);
        else
            snprintf (target, sizeof target, "(the load generator)");
        fprintf (out, "%-18s %9.1f MB %9.1f MB %9.2f %6.0f%%   %s\n", p->name,
                 (double) p->rss_max_kb / 1024.0, (double) p->anon_max_kb / 1024.0, s_cpu_s (p),
                 sum->window_s > 0 ? 100.0 * s_cpu_s (p) / sum->window_s : 0.0, target);
    }
    fprintf (out,
             "(CPU over the %.2f s from the first request to the last inbox page read; "
             "latency has the daemons' 1 ms clock resolution)\n",
             sum->window_s);
    bench_report_work_table (out, cluster, tally, collect->delivered);
}

void
bench_report_print (FILE *out, const bench_options_t *options, const bench_cluster_t *cluster,
                    bench_load_t *load, bench_collect_t *collect, const bench_tally_t *tally)
{
    s_summary_t sum;
    s_summarize (&sum, cluster, load, collect);
    if (options->json)
        s_print_json (out, options, cluster, load, collect, &sum, tally);
    else
        s_print_table (out, options, cluster, load, collect, &sum, tally);
}
