/* tsunagu-bench's settings: defaults, the optional INI file, then the command line. */
#ifndef BENCH_OPTIONS_H_INCLUDED
#define BENCH_OPTIONS_H_INCLUDED

#include <stdbool.h>
#include <stdio.h>

#define BENCH_PROGNAME "tsunagu-bench"

typedef struct {
    char *config;     /* the -c file, or NULL (owned) */
    char *bin;        /* the folder holding tsunaguctl and the daemons (owned) */
    char *data;       /* a data folder to make and keep, or NULL for a temp one (owned) */
    long base_port;   /* coordinator port; dashboard +80; agencies +81..+84 */
    long referrals;   /* referrals to send */
    long rate;        /* offered referrals per second; 0 = as fast as possible */
    long connections; /* keep-alive HTTP connections, spread over the four senders */
    long body_bytes;  /* size of each つなぐシート in bytes */
    long timeout_s;   /* bound on each phase (start-up, load, delivery), in seconds */
    long load_cases;  /* --load-cases: cases to write into --data, then exit (0: no) */
    long map_mb;      /* --map-mb: the store's map for --load-cases (0: enough) */
    bool json;        /* print one JSON object instead of the table */
    bool verbose;     /* log progress */
    bool check_only;  /* -n: check the settings and exit */
} bench_options_t;

/* Fills self from the defaults, the -c file and argv, in that order of precedence (argv wins).
 * Returns 0 to go on, 1 when a problem was printed to stderr (exit 1), or 2 when --help or
 * --version was printed (exit 0).  The caller clears self in every case. */
int bench_options_parse (bench_options_t *self, int argc, char *argv[]);

/* Prints every problem with the settings (values out of range, the -c file's errors as
 * file:line: message, missing executables) to out; returns how many there were. */
int bench_options_check (const bench_options_t *self, FILE *out);

/* Frees what self owns; safe twice. */
void bench_options_clear (bench_options_t *self);

#endif
