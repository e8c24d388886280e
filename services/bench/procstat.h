/* What /proc tells about a running process: resident memory, CPU time used and bytes written,
 * and the machine's load average. */
#ifndef BENCH_PROCSTAT_H_INCLUDED
#define BENCH_PROCSTAT_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    long rss_kb;  /* VmRSS: all resident pages, file-backed ones (the LMDB map) included */
    long anon_kb; /* RssAnon: resident anonymous memory (heap, stacks) */
    double cpu_s; /* user + system CPU seconds since the process started */
} bench_procstat_t;

/* What a process wrote since it started (/proc/PID/io; threads that ended included). */
typedef struct {
    uint64_t write_bytes; /* bytes it caused to be sent to the block layer (pages it dirtied in
                           * files, by write() or through a shared map such as LMDB's) */
    uint64_t cancelled;   /* cancelled_write_bytes: of those, dropped before writeback
                           * (a file truncated or removed while dirty) */
    uint64_t wchar;       /* bytes passed to write() and the like, sockets and pipes included */
} bench_procio_t;

/* Reads /proc/PID/status and /proc/PID/stat into out.  False (out zeroed) when the process is
 * gone or /proc cannot be read. */
bool bench_procstat_read (pid_t pid, bench_procstat_t *out);

/* Reads /proc/PID/io into out.  False (out zeroed) when the process is gone or its io file
 * cannot be read (another user's process, a kernel without task I/O accounting). */
bool bench_procio_read (pid_t pid, bench_procio_t *out);

/* The bytes written so far to the block device that holds path (sectors written, field 7 of
 * /sys/dev/block/MAJOR:MINOR/stat, times 512): every process's writes to it, the file system's
 * journal included.  False when path is not on a block device (tmpfs, overlay) or the file
 * cannot be read. */
bool bench_disk_written (const char *path, uint64_t *bytes);

/* The machine's load average over the last minute (from /proc/loadavg), or -1. */
double bench_procstat_loadavg (void);

/* The load averages over 1, 5 and 15 minutes into out; false (all -1) when /proc/loadavg
 * cannot be read. */
bool bench_procstat_loadavgs (double out[3]);

#endif
