/* The signing counters of a daemon, as its GET /metrics gives them (tsg_wire_counters_print):
 * the coordinator's with the prefix "tsunagu", an agency daemon's with "tsunagu_agency". */
#ifndef BENCH_SIGNING_H_INCLUDED
#define BENCH_SIGNING_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"

/* One reading of the counters (each counts up from the daemon's start). */
typedef struct {
    uint64_t signatures;  /* PREFIX_signatures_total: Ed25519 signatures made */
    uint64_t checks;      /* PREFIX_signature_checks_total: Ed25519 verifications made */
    uint64_t plain;       /* PREFIX_letters_signed_total{form="plain"}: letters signed alone */
    uint64_t batch;       /* ... {form="batch"}: letters signed under one signature a batch */
    uint64_t cached_root; /* PREFIX_letters_verified_by_cached_root_total */
} bench_signing_t;

/* Reads the counters named PREFIX_... from a Prometheus text page into out (a counter that is
 * absent reads 0).  False when the page has no PREFIX_signatures_total or no
 * PREFIX_signature_checks_total sample. */
bool bench_signing_parse (const char *text, const char *prefix, bench_signing_t *out);

/* GET /metrics over conn with the bearer token, then bench_signing_parse.  Returns 0, or -1
 * (logged with name) when there was no 200 answer within timeout_ms or the page lacked the
 * counters. */
int bench_signing_read (bench_conn_t *conn, const char *name, const char *token, const char *prefix,
                        int timeout_ms, bench_signing_t *out);

#endif
