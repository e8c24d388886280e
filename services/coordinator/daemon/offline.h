/* The coordinator's one-request offline mode: while no coordinator runs on the data directory,
 * `tsunagu-coordinator -c FILE --apply` answers one control request (control.h) read from
 * standard input, so that even changes made before the first start (an agency registered
 * right after `tsunaguctl init`) are made and audited by the coordinator's own code. */
#ifndef TSG_HUB_OFFLINE_H_INCLUDED
#define TSG_HUB_OFFLINE_H_INCLUDED

#include <stdio.h>

#include "coordinator/daemon/conf.h"

/* Takes the data directory's lock (refusing while a coordinator holds it), opens the store and
 * the audit log, reads one request (at most TSG_HUB_CONTROL_MAX bytes) from in and writes its
 * answer, one JSON object and a newline, to out.  Returns the exit status: 0 when an answer was
 * written (ok or not), 3 when a coordinator runs (the answer says "running"), 1 otherwise. */
int tsg_hub_offline_apply (const tsg_hub_conf_t *conf, FILE *in, FILE *out);

#endif
