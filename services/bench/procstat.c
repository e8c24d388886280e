/* Reading a process's resident memory (/proc/PID/status), CPU time (/proc/PID/stat) and bytes
 * written (/proc/PID/io), and the machine's load average (/proc/loadavg). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "procstat.h"

/* The CPU times of /proc/PID/stat: fields 14 (utime) and 15 (stime), in clock ticks, after the
 * command name, which sits in parentheses and may itself hold spaces or parentheses. */
static bool
s_read_cpu (pid_t pid, double *cpu_s)
{
    char path[64], line[1024];
    snprintf (path, sizeof path, "/proc/%ld/stat", (long) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return false;
    bool ok = fgets (line, sizeof line, file) != NULL;
    fclose (file);
    char *after = ok ? strrchr (line, ')') : NULL;
    unsigned long utime = 0, stime = 0;
    /* After ")": state (3), then fields 4..13, then utime (14) and stime (15). */
    if (!after
        || sscanf (after + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                   &stime)
               != 2)
        return false;
    long ticks = sysconf (_SC_CLK_TCK);
    *cpu_s = (double) (utime + stime) / (double) (ticks > 0 ? ticks : 100);
    return true;
}

bool
bench_procstat_read (pid_t pid, bench_procstat_t *out)
{
    memset (out, 0, sizeof *out);
    char path[64], line[256];
    snprintf (path, sizeof path, "/proc/%ld/status", (long) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return false;
    bool rss = false;
    while (fgets (line, sizeof line, file)) {
        if (strncmp (line, "VmRSS:", 6) == 0)
            rss = sscanf (line + 6, "%ld", &out->rss_kb) == 1;
        else if (strncmp (line, "RssAnon:", 8) == 0)
            sscanf (line + 8, "%ld", &out->anon_kb);
    }
    fclose (file);
    if (!rss || !s_read_cpu (pid, &out->cpu_s)) {
        memset (out, 0, sizeof *out);
        return false;
    }
    return true;
}

bool
bench_procio_read (pid_t pid, bench_procio_t *out)
{
    memset (out, 0, sizeof *out);
    char path[64], line[128];
    snprintf (path, sizeof path, "/proc/%ld/io", (long) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return false;
    const struct {
        const char *key;
        uint64_t *value;
    } fields[] = { { "write_bytes:", &out->write_bytes },
                   { "cancelled_write_bytes:", &out->cancelled },
                   { "wchar:", &out->wchar } };
    int found = 0;
    while (fgets (line, sizeof line, file))
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
            size_t n = strlen (fields[i].key);
            unsigned long long value = 0;
            if (strncmp (line, fields[i].key, n) == 0 && sscanf (line + n, "%llu", &value) == 1) {
                *fields[i].value = value;
                found++;
            }
        }
    fclose (file);
    if (found != 3) {
        memset (out, 0, sizeof *out);
        return false;
    }
    return true;
}

bool
bench_disk_written (const char *path, uint64_t *bytes)
{
    *bytes = 0;
    struct stat st;
    if (stat (path, &st) != 0 || major (st.st_dev) == 0)
        return false;
    char sys[96];
    snprintf (sys, sizeof sys, "/sys/dev/block/%u:%u/stat", major (st.st_dev), minor (st.st_dev));
    FILE *file = fopen (sys, "r");
    if (!file)
        return false;
    unsigned long long sectors = 0;
    /* reads, merged, sectors read, ms reading, writes, merged, sectors written, ... */
    bool ok = fscanf (file, "%*u %*u %*u %*u %*u %*u %llu", &sectors) == 1;
    fclose (file);
    *bytes = ok ? (uint64_t) sectors * 512 : 0;
    return ok;
}

double
bench_procstat_loadavg (void)
{
    double loads[3];
    bench_procstat_loadavgs (loads);
    return loads[0];
}

bool
bench_procstat_loadavgs (double out[3])
{
    out[0] = out[1] = out[2] = -1;
    FILE *file = fopen ("/proc/loadavg", "r");
    if (!file)
        return false;
    bool ok = fscanf (file, "%lf %lf %lf", &out[0], &out[1], &out[2]) == 3;
    fclose (file);
    if (!ok)
        out[0] = out[1] = out[2] = -1;
    return ok;
}
