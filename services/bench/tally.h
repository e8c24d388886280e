/* The work the cluster did for one run's referrals: the Ed25519 signatures and verifications
 * each daemon counted (its GET /metrics) and the bytes each wrote (its /proc/PID/io), read
 * before the load and again after the last referral arrived, once the counters stood still. */
#ifndef BENCH_TALLY_H_INCLUDED
#define BENCH_TALLY_H_INCLUDED

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "cluster.h"
#include "procstat.h"
#include "signing.h"

/* The two readings of one daemon. */
typedef struct {
    bench_signing_t signing[2]; /* at the start, at the end */
    bench_procio_t io[2];       /* at the start, at the end */
    bool signing_read[2];       /* each signing reading was had */
    bool io_read[2];            /* each io reading was had */
} bench_tally_process_t;

/* The readings of the whole cluster (the coordinator, then the agencies, as in cluster.h). */
typedef struct {
    bench_tally_process_t processes[BENCH_PROCESSES];
    uint64_t device[2];    /* bytes written to the data folder's block device, by anyone */
    bool device_read[2];   /* each device reading was had */
    double settle_s;       /* seconds from the last inbox page to the end reading */
    bool settled;          /* the counters had stopped moving by then (else the bound came) */
    double loadavg_end[3]; /* the machine's 1, 5 and 15-minute load averages at the end */
} bench_tally_t;

/* What one daemon, or the cluster, did between the two readings. */
typedef struct {
    uint64_t signatures;  /* Ed25519 signatures made */
    uint64_t checks;      /* Ed25519 verifications made */
    uint64_t plain;       /* letters signed alone */
    uint64_t batch;       /* letters signed in batches */
    uint64_t cached_root; /* letters verified by a batch root checked before */
    uint64_t write_bytes; /* /proc/PID/io write_bytes */
    uint64_t cancelled;   /* cancelled_write_bytes */
    uint64_t wchar;       /* wchar */
    uint64_t device;      /* the cluster only: written to the data folder's block device by the
                           * whole machine (bench_disk_written) */
    bool signing;         /* the signing figures are known (both readings had) */
    bool io;              /* the io figures are known */
    bool device_known;    /* the device figure is known */
} bench_work_t;

/* Takes the start reading of every daemon of cluster (started and ready) into out.  Returns 0,
 * or -1 (logged) when a reading could not be had; out holds what could. */
int bench_tally_begin (bench_cluster_t *cluster, bench_tally_t *out);

/* Takes the end reading: at once, then every 200 ms until the signing counters of two readings
 * in a row are equal (the letters the referrals caused, receipts and answers among them, have
 * all been made and checked), at most 5 s or until *stop is set.  Returns 0, or -1 (logged)
 * when a reading could not be had. */
int bench_tally_end (bench_cluster_t *cluster, bench_tally_t *self, volatile sig_atomic_t *stop);

/* What daemon i (0..BENCH_PROCESSES-1) did between the readings, or with i == BENCH_PROCESSES
 * the sum over the cluster (known only when known for every daemon). */
void bench_tally_work (const bench_tally_t *self, size_t i, bench_work_t *out);

#endif
