/* The administrator's changes to the registry of agencies, as control requests (control.h
 * documents them): agency-add, agency-status, agency-due-days.
 *
 * Each request is checked as if it came from a stranger (every field, the id, the keys, the
 * state machine active ⇄ suspended → revoked), applied in one write transaction of its own
 * together with its audit record (event "registry", kind the command, details naming the
 * agency, the change and the actor: who asked, through what), and answered after the commit.
 * A refusal changes nothing.  The coordinator is the one writer of its registry: tsunaguctl
 * only asks. */
#ifndef TSG_HUB_ADMIN_H_INCLUDED
#define TSG_HUB_ADMIN_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>

#include "coordinator/daemon/control.h"

/* The answer (caller frees) to command with request, or NULL when command is none of the
 * registry's. */
char *tsg_hub_admin_answer (const tsg_hub_control_env_t *env, const char *command,
                            const json_t *request);

#endif
