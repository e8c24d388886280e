/* Reading a process's resident memory (/proc/PID/status) and CPU time (/proc/PID/stat). */
#include <stdio.h>
#include <string.h>
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

double
bench_procstat_loadavg (void)
{
    FILE *file = fopen ("/proc/loadavg", "r");
    double load = -1;
    if (file) {
        if (fscanf (file, "%lf", &load) != 1)
            load = -1;
        fclose (file);
    }
    return load;
}
