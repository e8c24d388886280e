/* What /proc tells about a running process: resident memory and CPU time used. */
#ifndef BENCH_PROCSTAT_H_INCLUDED
#define BENCH_PROCSTAT_H_INCLUDED

#include <stdbool.h>
#include <sys/types.h>

typedef struct {
    long rss_kb;  /* VmRSS: all resident pages, file-backed ones (the LMDB map) included */
    long anon_kb; /* RssAnon: resident anonymous memory (heap, stacks) */
    double cpu_s; /* user + system CPU seconds since the process started */
} bench_procstat_t;

/* Reads /proc/PID/status and /proc/PID/stat into out.  False (out zeroed) when the process is
 * gone or /proc cannot be read. */
bool bench_procstat_read (pid_t pid, bench_procstat_t *out);

/* The machine's load average over the last minute (from /proc/loadavg), or -1. */
double bench_procstat_loadavg (void);

#endif
