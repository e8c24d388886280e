/* The work per referral in the report: signatures, verifications, bytes written. */
#include <string.h>

#include "report_work.h"

/* count / referrals, or -1 when unknown. */
static double
s_per (bool known, uint64_t count, long referrals)
{
    return known && referrals > 0 ? (double) count / (double) referrals : -1;
}

/* value formatted with fmt into buf, or "n/a" when value < 0. */
static const char *
s_num (char *buf, size_t size, const char *fmt, double value)
{
    if (value < 0)
        snprintf (buf, size, "n/a");
    else
        snprintf (buf, size, fmt, value);
    return buf;
}

void
bench_report_work_rows (FILE *out, const bench_tally_t *tally, long referrals)
{
    bench_work_t w;
    bench_tally_work (tally, BENCH_PROCESSES, &w);
    char line[96], a[32];
    snprintf (line, sizeof line, "%s (%llu in all)",
              s_num (a, sizeof a, "%.2f", s_per (w.signing, w.signatures, referrals)),
              (unsigned long long) w.signatures);
    fprintf (out, "%-34s %-40s <= %d\n", "Ed25519 signatures per referral", line,
             TARGET_SIGNATURES_PER_REFERRAL);
    snprintf (line, sizeof line, "%s (%llu in all)",
              s_num (a, sizeof a, "%.2f", s_per (w.signing, w.checks, referrals)),
              (unsigned long long) w.checks);
    fprintf (out, "%-34s %-40s <= %d\n", "Ed25519 verifications per referral", line,
             TARGET_CHECKS_PER_REFERRAL);
    snprintf (line, sizeof line, "%s KiB (%.1f MiB in all)",
              s_num (a, sizeof a, "%.2f", s_per (w.io, w.write_bytes, referrals) / 1024.0),
              (double) w.write_bytes / 1048576.0);
    fprintf (out, "%-34s %-40s <= %d KiB\n", "disk writes per referral", line,
             TARGET_WRITE_KIB_PER_REFERRAL);
    snprintf (line, sizeof line, "%s KiB (%.1f MiB in all)",
              s_num (a, sizeof a, "%.2f", s_per (w.device_known, w.device, referrals) / 1024.0),
              (double) w.device / 1048576.0);
    fprintf (out, "%-34s %s\n", "  the disk, all the machine's", line);
}

void
bench_report_work_table (FILE *out, const bench_cluster_t *cluster, const bench_tally_t *tally,
                         long referrals)
{
    fprintf (out, "\n%-18s %9s %9s %9s %9s %9s %10s %10s\n", "per referral", "sigs", "checks",
             "plain", "batched", "by root", "disk KiB", "wchar KiB");
    for (size_t i = 0; i <= BENCH_PROCESSES; i++) {
        bench_work_t w;
        bench_tally_work (tally, i, &w);
        char c[7][32];
        fprintf (out, "%-18s %9s %9s %9s %9s %9s %10s %10s\n",
                 i < BENCH_PROCESSES ? bench_cluster_process (cluster, i)->name : "cluster",
                 s_num (c[0], 32, "%.3f", s_per (w.signing, w.signatures, referrals)),
                 s_num (c[1], 32, "%.3f", s_per (w.signing, w.checks, referrals)),
                 s_num (c[2], 32, "%.3f", s_per (w.signing, w.plain, referrals)),
                 s_num (c[3], 32, "%.3f", s_per (w.signing, w.batch, referrals)),
                 s_num (c[4], 32, "%.3f", s_per (w.signing, w.cached_root, referrals)),
                 s_num (c[5], 32, "%.2f", s_per (w.io, w.write_bytes, referrals) / 1024.0),
                 s_num (c[6], 32, "%.2f", s_per (w.io, w.wchar, referrals) / 1024.0));
    }
    fprintf (out,
             "(sigs, checks: Ed25519 signatures and verifications made; plain, batched: letters\n"
             "signed alone or under one signature a batch; by root: letters verified by a batch\n"
             "root checked before (each daemon's /metrics); disk: /proc/PID/io write_bytes, the\n"
             "page cache it dirtied, counted in whole folios (up to 2 MiB for a 4 KiB write on\n"
             "kernels with large folios); wchar: bytes passed to write(), files and sockets.\n"
             "From just before the first request to %.1f s after the last referral arrived\n"
             "(%s); load average %.2f %.2f %.2f then)\n",
             tally->settle_s, tally->settled ? "the counters had stopped" : "still moving",
             tally->loadavg_end[0], tally->loadavg_end[1], tally->loadavg_end[2]);
}

/* value as a JSON real, or null when < 0. */
static json_t *
s_real (double value)
{
    return value < 0 ? json_null () : json_real (value);
}

/* count as a JSON integer, or null when unknown. */
static json_t *
s_count (bool known, uint64_t count)
{
    return known ? json_integer ((json_int_t) count) : json_null ();
}

void
bench_report_work_json (json_t *object, const bench_tally_t *tally, size_t i, long referrals)
{
    bench_work_t w;
    bench_tally_work (tally, i, &w);
    json_object_set_new (object, "signatures", s_count (w.signing, w.signatures));
    json_object_set_new (object, "signature_checks", s_count (w.signing, w.checks));
    json_object_set_new (object, "letters_signed_plain", s_count (w.signing, w.plain));
    json_object_set_new (object, "letters_signed_batch", s_count (w.signing, w.batch));
    json_object_set_new (object, "letters_verified_by_cached_root",
                         s_count (w.signing, w.cached_root));
    json_object_set_new (object, "write_bytes", s_count (w.io, w.write_bytes));
    json_object_set_new (object, "cancelled_write_bytes", s_count (w.io, w.cancelled));
    json_object_set_new (object, "wchar", s_count (w.io, w.wchar));
    if (i >= BENCH_PROCESSES) {
        double device = s_per (w.device_known, w.device, referrals);
        json_object_set_new (object, "device_write_bytes", s_count (w.device_known, w.device));
        json_object_set_new (object, "device_write_kib_per_referral",
                             s_real (device < 0 ? -1 : device / 1024.0));
    }
    json_object_set_new (object, "signatures_per_referral",
                         s_real (s_per (w.signing, w.signatures, referrals)));
    json_object_set_new (object, "signature_checks_per_referral",
                         s_real (s_per (w.signing, w.checks, referrals)));
    double write = s_per (w.io, w.write_bytes, referrals);
    double wchar = s_per (w.io, w.wchar, referrals);
    json_object_set_new (object, "write_kib_per_referral",
                         s_real (write < 0 ? -1 : write / 1024.0));
    json_object_set_new (object, "wchar_kib_per_referral",
                         s_real (wchar < 0 ? -1 : wchar / 1024.0));
}
