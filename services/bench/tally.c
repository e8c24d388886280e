/* The work the cluster did for one run's referrals: signatures, verifications, bytes written. */
#include <poll.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "conn.h"
#include "tally.h"

#define METRICS_TIMEOUT_MS 5000 /* bound on one GET /metrics */
#define SETTLE_POLL_MS     200  /* pause between end readings */
#define SETTLE_MAX_MS      5000 /* bound on waiting for the counters to stand still */

/* Reads every daemon's counters and io into reading `at` (0: start, 1: end).  Returns 0, or -1
 * (logged) when one could not be read. */
static int
s_read_all (bench_cluster_t *cluster, bench_tally_t *self, int at)
{
    int rc = 0;
    for (size_t i = 0; i < BENCH_PROCESSES; i++) {
        bench_tally_process_t *p = &self->processes[i];
        const bench_process_t *process = bench_cluster_process (cluster, i);
        uint16_t port = 0;
        const char *token = bench_cluster_api (cluster, i, &port);
        bench_conn_t *conn = bench_conn_new (port);
        p->signing_read[at] = conn
                              && bench_signing_read (conn, process->name, token,
                                                     i == 0 ? "tsunagu" : "tsunagu_agency",
                                                     METRICS_TIMEOUT_MS, &p->signing[at])
                                     == 0;
        bench_conn_destroy (&conn);
        p->io_read[at] = process->pid > 0 && bench_procio_read (process->pid, &p->io[at]);
        if (!p->io_read[at])
            log_warnx ("cannot read /proc/%ld/io of %s", (long) process->pid, process->name);
        if (!p->signing_read[at] || !p->io_read[at])
            rc = -1;
    }
    self->device_read[at] = bench_disk_written (bench_cluster_data (cluster), &self->device[at]);
    return rc;
}

/* The sum of every daemon's signing counters at the end reading. */
static uint64_t
s_end_signing (const bench_tally_t *self)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < BENCH_PROCESSES; i++) {
        const bench_signing_t *s = &self->processes[i].signing[1];
        sum += s->signatures + s->checks + s->plain + s->batch + s->cached_root;
    }
    return sum;
}

int
bench_tally_begin (bench_cluster_t *cluster, bench_tally_t *out)
{
    memset (out, 0, sizeof *out);
    return s_read_all (cluster, out, 0);
}

int
bench_tally_end (bench_cluster_t *cluster, bench_tally_t *self, volatile sig_atomic_t *stop)
{
    uint64_t start = tsg_monotonic_ms ();
    int rc = s_read_all (cluster, self, 1);
    uint64_t last = s_end_signing (self);
    while (rc == 0 && !*stop && tsg_monotonic_ms () - start < SETTLE_MAX_MS) {
        poll (NULL, 0, SETTLE_POLL_MS);
        rc = s_read_all (cluster, self, 1);
        uint64_t now = s_end_signing (self);
        if (now == last) {
            self->settled = true;
            break;
        }
        last = now;
    }
    self->settle_s = (double) (tsg_monotonic_ms () - start) / 1000.0;
    bench_procstat_loadavgs (self->loadavg_end);
    if (rc == 0 && !self->settled)
        log_warnx ("the signing counters still moved %d s after the last referral arrived",
                   SETTLE_MAX_MS / 1000);
    return rc;
}

/* Adds what daemon p did to out. */
static void
s_add (const bench_tally_process_t *p, bench_work_t *out)
{
    const bench_signing_t *a = &p->signing[0], *b = &p->signing[1];
    out->signatures += b->signatures - a->signatures;
    out->checks += b->checks - a->checks;
    out->plain += b->plain - a->plain;
    out->batch += b->batch - a->batch;
    out->cached_root += b->cached_root - a->cached_root;
    out->write_bytes += p->io[1].write_bytes - p->io[0].write_bytes;
    out->cancelled += p->io[1].cancelled - p->io[0].cancelled;
    out->wchar += p->io[1].wchar - p->io[0].wchar;
}

void
bench_tally_work (const bench_tally_t *self, size_t i, bench_work_t *out)
{
    memset (out, 0, sizeof *out);
    size_t first = i < BENCH_PROCESSES ? i : 0;
    size_t end = i < BENCH_PROCESSES ? i + 1 : BENCH_PROCESSES;
    out->signing = out->io = true;
    for (size_t j = first; j < end; j++) {
        const bench_tally_process_t *p = &self->processes[j];
        out->signing = out->signing && p->signing_read[0] && p->signing_read[1];
        out->io = out->io && p->io_read[0] && p->io_read[1];
        s_add (p, out);
    }
    if (i >= BENCH_PROCESSES && self->device_read[0] && self->device_read[1]) {
        out->device_known = true;
        out->device = self->device[1] - self->device[0];
    }
}
