/* Logging in two tiers, after OpenSMTPD: *_warn adds strerror(errno), *_warnx does not.
 * fatal/fatalx log and exit(1); use them only during start-up. */
#ifndef TSG_LOG_H_INCLUDED
#define TSG_LOG_H_INCLUDED

#include <stdbool.h>

/* Sets the program name shown on every line and whether log_debug prints.
 * Lines go to stderr as "2026-11-23T07:00:00.123Z prog level: message". */
void log_init (const char *progname, bool verbose);
bool log_verbose (void);

void log_info (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void log_debug (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void log_warn (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void log_warnx (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void fatal (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));
void fatalx (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));

#endif
