/* signals.c — the stop flag and the handlers that set it (signals.h, tsg_agency.h). */
#include <signal.h>
#include <string.h>

#include "tsunagu/tsg_agency.h"
#include "agency/daemon/signals.h"

static volatile sig_atomic_t s_stop;

void
tsg_agency_stop (void)
{
    s_stop = 1;
}

bool
agency_stopping (void)
{
    return s_stop != 0;
}

static void
s_on_signal (int signo)
{
    (void) signo;
    tsg_agency_stop ();
}

void
tsg_agency_signals (void)
{
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction (SIGPIPE, &sa, NULL);
}
