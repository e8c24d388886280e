/* `tsunagu-bench --load-cases N --data DIR`: synthetic cases loaded straight into a
 * coordinator's data directory for the dashboard benchmark (docs/benchmarks.md). */
#ifndef BENCH_CASES_LOAD_H_INCLUDED
#define BENCH_CASES_LOAD_H_INCLUDED

/* What a load made. */
typedef struct {
    long cases;     /* cases written */
    long referrals; /* referrals written */
    long overdue;   /* referrals left waiting past a due date */
    long withheld;  /* referrals withheld (their consent ended before delivery) */
    long reopened;  /* cases reopened at least once */
} bench_cases_counts_t;

/* Writes n synthetic cases (with their referrals, timelines and forty synthetic agencies)
 * into data_dir's store while holding its coordinator.lock (so no coordinator runs on it),
 * BATCH cases per commit, with the map at map_mb MiB (0: enough for n).  Returns 0, or 1
 * after logging what went wrong; *counts says what was written. */
int bench_cases_load (const char *data_dir, long n, long map_mb, bench_cases_counts_t *counts);

#endif
