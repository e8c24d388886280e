/* The process's signals: SIGINT and SIGTERM ask every running loop to stop (tsg_agency_stop),
 * SIGPIPE is ignored.  The stop flag is process-wide, and lives here alone. */
#ifndef AGENCY_DAEMON_SIGNALS_H_INCLUDED
#define AGENCY_DAEMON_SIGNALS_H_INCLUDED

#include <stdbool.h>

/* True once a stop was asked for (tsg_agency_stop, or a signal). */
bool agency_stopping (void);

#endif
