/* A fresh tsunagu cluster on loopback: a coordinator and one agency daemon of each type, set up
 * with tsunaguctl in a data folder, started, watched and stopped. */
#ifndef BENCH_CLUSTER_H_INCLUDED
#define BENCH_CLUSTER_H_INCLUDED

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_AGENCIES  4                     /* one agency of each type */
#define BENCH_PROCESSES (BENCH_AGENCIES + 1)  /* and the coordinator */
#define BENCH_SAMPLED   (BENCH_PROCESSES + 1) /* and this program, sampled for comparison */
#define BENCH_TOKEN_MAX 128                   /* longest HTTP token read from a bundle */

/* One agency of the cluster. */
typedef struct {
    const char *id;              /* its agency id */
    const char *type;            /* eldercare, disability, child or poverty */
    uint16_t port;               /* its HTTP API on 127.0.0.1 */
    char token[BENCH_TOKEN_MAX]; /* its bearer token (from the bundle's http.token) */
} bench_agency_t;

/* One running program of the cluster and what was measured of it. */
typedef struct {
    const char *name;  /* "coordinator" or the agency id */
    pid_t pid;         /* 0 when not running */
    long rss_max_kb;   /* largest VmRSS sampled */
    long anon_max_kb;  /* largest RssAnon sampled */
    double cpu_mark_s; /* CPU seconds used when bench_cluster_mark was called */
    double cpu_last_s; /* CPU seconds used at the latest sample */
} bench_process_t;

typedef struct _bench_cluster_t bench_cluster_t;

/* A cluster of the programs in bin, with ports from base_port (coordinator base_port,
 * dashboard +80, agencies +81..+84), its data in data (a new or empty folder, kept) or, when
 * data is NULL, in a new temp folder that is removed when the cluster is destroyed unless
 * bench_cluster_keep was called.  NULL (logged) when the folder cannot be made. */
bench_cluster_t *bench_cluster_new (const char *bin, const char *data, int base_port);

/* Stops what still runs (bench_cluster_stop), removes a temp folder, frees; safe on NULL and
 * twice. */
void bench_cluster_destroy (bench_cluster_t **self_p);

/* Runs tsunaguctl init and agency add for the four agencies, and reads their tokens and the
 * coordinator's (DATA/coordinator/http.token).  Returns
 * 0, or -1 (logged, with the path of tsunaguctl's log). */
int bench_cluster_setup (bench_cluster_t *self);

/* Starts the coordinator and the four agency daemons after checking that no port is taken.
 * Returns 0, or -1 (logged; whatever was started is stopped by bench_cluster_stop). */
int bench_cluster_start (bench_cluster_t *self);

/* Waits until every agency's /healthz says the coordinator is connected and the directory
 * lists the four agencies: 0, or -1 (logged) after timeout_ms, when *stop is set or when a
 * program has exited. */
int bench_cluster_wait_ready (bench_cluster_t *self, int timeout_ms, volatile sig_atomic_t *stop);

/* 0 when every program still runs; otherwise -1, with the one that exited and the tail of its
 * log logged. */
int bench_cluster_check (bench_cluster_t *self);

/* Samples the memory and CPU time of every program and of this one (keeping the largest
 * memory). */
void bench_cluster_sample (bench_cluster_t *self);

/* Samples, and remembers each program's CPU time as the start of the measured window. */
void bench_cluster_mark (bench_cluster_t *self);

/* Seconds from bench_cluster_mark to the latest sample: the window the CPU times cover. */
double bench_cluster_window_s (const bench_cluster_t *self);

/* Sends SIGTERM to every program still running (agencies first), waits up to 10 s, kills what
 * is left, reaps all.  Returns how many did not exit with status 0 (logged).  Safe twice. */
int bench_cluster_stop (bench_cluster_t *self);

/* Keeps a temp data folder when the cluster is destroyed (for its logs, after a failure). */
void bench_cluster_keep (bench_cluster_t *self);

/* The data folder (borrowed). */
const char *bench_cluster_data (const bench_cluster_t *self);

/* Agency i (0..BENCH_AGENCIES-1: eldercare, disability, child, poverty) and program i
 * (0..BENCH_SAMPLED-1: the coordinator, the agencies, then tsunagu-bench itself), borrowed. */
const bench_agency_t *bench_cluster_agency (const bench_cluster_t *self, size_t i);
const bench_process_t *bench_cluster_process (const bench_cluster_t *self, size_t i);

/* The HTTP API of program i (0: the coordinator's, on base_port+80; 1..BENCH_AGENCIES: agency
 * i-1's): its port into *port, and its bearer token (borrowed; "" before bench_cluster_setup).
 * NULL when i is out of range. */
const char *bench_cluster_api (const bench_cluster_t *self, size_t i, uint16_t *port);

#endif
