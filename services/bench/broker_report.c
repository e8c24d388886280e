/* tsunagu-broker-bench's report: a table for people, or one JSON object. */
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#include "tsunagu/tsunagu.h"
#include "broker_report.h"

/* Everything derived once, for both forms. */
typedef struct {
    bench_stats_t latency;  /* publish → consumed */
    bench_stats_t confirm;  /* publish → confirmed */
    double publish_s;       /* first publish → last confirm */
    double consume_s;       /* first publish → last consumed */
    double confirmed_per_s; /* confirms per second */
    double consumed_per_s;  /* messages per second end to end */
    double broker_cpu_s;    /* the broker's CPU seconds over the run (-1: not measured) */
    double broker_write_b;  /* its write_bytes over the run (-1: not measured) */
    double broker_wchar_b;  /* its wchar over the run (-1: not measured) */
    double device_b;        /* written to the --disk device over the run (-1: not measured) */
    char date[32];
} s_summary_t;

static double
s_span_s (int64_t from, int64_t to)
{
    return to > from ? (double) (to - from) / 1e6 : 0;
}

static void
s_summarize (s_summary_t *s, broker_result_t *r, const broker_sample_t *before,
             const broker_sample_t *after)
{
    bench_samples_stats (&r->latency_ms, &s->latency);
    bench_samples_stats (&r->confirm_ms, &s->confirm);
    s->publish_s = s_span_s (r->first_publish_us, r->last_confirm_us);
    s->consume_s = s_span_s (r->first_publish_us, r->last_consume_us);
    s->confirmed_per_s = s->publish_s > 0 ? (double) r->confirmed / s->publish_s : 0;
    s->consumed_per_s = s->consume_s > 0 ? (double) r->consumed / s->consume_s : 0;
    bool measured = before->read && after->read;
    s->broker_cpu_s = measured ? after->stat.cpu_s - before->stat.cpu_s : -1;
    s->broker_write_b = measured ? (double) (after->io.write_bytes - before->io.write_bytes) : -1;
    s->broker_wchar_b = measured ? (double) (after->io.wchar - before->io.wchar) : -1;
    s->device_b =
        before->device_read && after->device_read ? (double) (after->device - before->device) : -1;
    tsg_iso8601 (tsg_now_ms (), s->date);
}

static json_t *
s_stats_json (const bench_stats_t *stats)
{
    return json_pack ("{s:I, s:f, s:f, s:f, s:f, s:f}", "count", (json_int_t) stats->count, "mean",
                      stats->mean, "p50", stats->p50, "p90", stats->p90, "p99", stats->p99, "max",
                      stats->max);
}

/* The broker's process over the run, or null when it was not measured. */
static json_t *
s_broker_json (const broker_options_t *o, const broker_result_t *r, const s_summary_t *s,
               const broker_sample_t *before, const broker_sample_t *after)
{
    if (s->broker_cpu_s < 0)
        return json_null ();
    double window = s_span_s (before->at_us, after->at_us);
    double per = r->consumed > 0 ? 1.0 / (double) r->consumed : 0;
    return json_pack (
        "{s:I, s:f, s:f, s:I, s:I, s:f, s:f, s:I}", "pid", (json_int_t) o->broker_pid, "cpu_s",
        s->broker_cpu_s, "cpu_percent", window > 0 ? 100.0 * s->broker_cpu_s / window : 0.0,
        "write_bytes", (json_int_t) s->broker_write_b, "wchar", (json_int_t) s->broker_wchar_b,
        "write_kib_per_message", s->broker_write_b * per / 1024.0, "wchar_kib_per_message",
        s->broker_wchar_b * per / 1024.0, "rss_kb", (json_int_t) after->stat.rss_kb);
}

static void
s_print_json (FILE *out, const broker_options_t *o, const broker_result_t *r, const s_summary_t *s,
              const broker_sample_t *before, const broker_sample_t *after)
{
    json_t *root = json_pack (
        "{s:s, s:s, s:s, s:I, s:[f, f, f], s:[f, f, f], s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:I, "
        "s:I, s:I, s:f, s:f, s:f, s:f, s:o, s:o, s:o}",
        "program", BROKER_PROGNAME, "version", TSUNAGU_VERSION, "date", s->date, "cpus",
        (json_int_t) sysconf (_SC_NPROCESSORS_ONLN), "loadavg_start", before->loadavg[0],
        before->loadavg[1], before->loadavg[2], "loadavg_end", after->loadavg[0], after->loadavg[1],
        after->loadavg[2], "server", r->server, "port", (json_int_t) o->port, "queue", o->queue,
        "messages", (json_int_t) o->messages, "body_bytes", (json_int_t) o->bytes, "window",
        (json_int_t) o->window, "prefetch", (json_int_t) o->prefetch, "published",
        (json_int_t) r->published, "confirmed", (json_int_t) r->confirmed, "consumed",
        (json_int_t) r->consumed, "confirm_seconds", s->publish_s, "confirmed_per_s",
        s->confirmed_per_s, "consume_seconds", s->consume_s, "consumed_per_s", s->consumed_per_s,
        "latency_ms", s_stats_json (&s->latency), "confirm_ms", s_stats_json (&s->confirm),
        "broker_process", s_broker_json (o, r, s, before, after));
    if (root && s->device_b >= 0) {
        double per = r->consumed > 0 ? s->device_b / (double) r->consumed / 1024.0 : 0.0;
        json_object_set_new (root, "device_write_bytes", json_integer ((json_int_t) s->device_b));
        json_object_set_new (root, "device_write_kib_per_message", json_real (per));
    }
    char *text = root ? json_dumps (root, JSON_INDENT (2) | JSON_REAL_PRECISION (6)) : NULL;
    if (text)
        fprintf (out, "%s\n", text);
    else
        fprintf (stderr, BROKER_PROGNAME ": cannot write the JSON report (out of memory)\n");
    free (text);
    json_decref (root);
}

static void
s_print_table (FILE *out, const broker_options_t *o, const broker_result_t *r, const s_summary_t *s,
               const broker_sample_t *before, const broker_sample_t *after)
{
    fprintf (out,
             BROKER_PROGNAME " " TSUNAGU_VERSION ", %s: %s on 127.0.0.1:%ld, durable queue %s\n"
                             "%ld persistent %ld-byte messages, publisher confirms (window %ld), "
                             "manual acks (prefetch %ld)\n%ld CPUs, load average %.2f at the "
                             "start, %.2f at the end\n\n",
             s->date, r->server[0] ? r->server : "the broker", o->port, o->queue, o->messages,
             o->bytes, o->window, o->prefetch, sysconf (_SC_NPROCESSORS_ONLN), before->loadavg[0],
             after->loadavg[0]);
    char line[96];
    snprintf (line, sizeof line, "%ld in %.2f s = %.0f/s", r->confirmed, s->publish_s,
              s->confirmed_per_s);
    fprintf (out, "%-34s %s\n", "published and confirmed", line);
    snprintf (line, sizeof line, "%ld in %.2f s = %.0f/s", r->consumed, s->consume_s,
              s->consumed_per_s);
    fprintf (out, "%-34s %s\n", "consumed end to end", line);
    const bench_stats_t *l = &s->latency, *c = &s->confirm;
    fprintf (out, "%-34s p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n",
             "latency publish->consumed (ms)", l->p50, l->p90, l->p99, l->max);
    fprintf (out, "%-34s p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", "publish->confirm (ms)", c->p50,
             c->p90, c->p99, c->max);
    if (s->broker_cpu_s >= 0) {
        double window = s_span_s (before->at_us, after->at_us);
        double per = r->consumed > 0 ? 1.0 / (double) r->consumed / 1024.0 : 0;
        fprintf (out,
                 "%-34s CPU %.2f s (%.0f%%), written %.2f KiB a message (wchar %.2f KiB), "
                 "VmRSS %.1f MB\n",
                 "broker process", s->broker_cpu_s,
                 window > 0 ? 100.0 * s->broker_cpu_s / window : 0.0, s->broker_write_b * per,
                 s->broker_wchar_b * per, (double) after->stat.rss_kb / 1024.0);
    }
    if (s->device_b >= 0)
        fprintf (out, "%-34s %.2f KiB a message (%.1f MiB in all)\n", "the disk, all the machine's",
                 r->consumed > 0 ? s->device_b / (double) r->consumed / 1024.0 : 0.0,
                 s->device_b / 1048576.0);
}

void
broker_report_print (FILE *out, const broker_options_t *options, broker_result_t *result,
                     const broker_sample_t *before, const broker_sample_t *after)
{
    s_summary_t sum;
    s_summarize (&sum, result, before, after);
    if (options->json)
        s_print_json (out, options, result, &sum, before, after);
    else
        s_print_table (out, options, result, &sum, before, after);
}
