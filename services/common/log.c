/* log.c — timestamped lines on stderr, in two tiers (with and without strerror). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"

static const char *s_progname = "tsunagu"; /* shown on every line */
static bool s_verbose = false;             /* log_debug prints when true */

void
log_init (const char *progname, bool verbose)
{
    s_progname = progname;
    s_verbose = verbose;
}

bool
log_verbose (void)
{
    return s_verbose;
}

static void
s_vlog (const char *level, int errnum, const char *fmt, va_list ap)
{
    char stamp[32];
    char line[2048];
    tsg_iso8601 (tsg_now_ms (), stamp);
    vsnprintf (line, sizeof line, fmt, ap);
    if (errnum)
        fprintf (stderr, "%s %s %s: %s: %s\n", stamp, s_progname, level, line, strerror (errnum));
    else
        fprintf (stderr, "%s %s %s: %s\n", stamp, s_progname, level, line);
    fflush (stderr);
}

void
log_info (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    s_vlog ("info", 0, fmt, ap);
    va_end (ap);
}

void
log_debug (const char *fmt, ...)
{
    if (!s_verbose)
        return;
    va_list ap;
    va_start (ap, fmt);
    s_vlog ("debug", 0, fmt, ap);
    va_end (ap);
}

void
log_warn (const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start (ap, fmt);
    s_vlog ("warn", saved, fmt, ap);
    va_end (ap);
}

void
log_warnx (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    s_vlog ("warn", 0, fmt, ap);
    va_end (ap);
}

void
fatal (const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start (ap, fmt);
    s_vlog ("fatal", saved, fmt, ap);
    va_end (ap);
    exit (1);
}

void
fatalx (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    s_vlog ("fatal", 0, fmt, ap);
    va_end (ap);
    exit (1);
}
