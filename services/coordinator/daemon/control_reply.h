/* The control socket's answers (control.h): {"ok": true, ...} or a refusal, as text. */
#ifndef TSG_HUB_CONTROL_REPLY_H_INCLUDED
#define TSG_HUB_CONTROL_REPLY_H_INCLUDED

#include <jansson.h>

#include "coordinator/daemon/control.h"

/* The compact text of reply (stolen; NULL stands for out of memory, answered as a refusal).
 * The caller frees the text. */
char *tsg_hub_control_dump (json_t *reply);

/* {"ok": false, "error": code, "message": message} as text (caller frees). */
char *tsg_hub_control_refusal (const char *code, const char *message);

/* The audit log a request's changes go to: env's own, else the running intake's (NULL: none). */
tsg_hub_audit_t *tsg_hub_control_audit (const tsg_hub_control_env_t *env);

#endif
