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

/* The last step of a request that changes the store: details (stolen) get "via" (how the
 * request came: env->via, else "control"), go to the audit log as one record of event and kind
 * (when there is a log), and txn is committed with it (tsg_hub_audit_commit).  Its rc; NULL
 * details (out of memory) with a log fails the commit: a change is never made unaudited. */
int tsg_hub_control_commit (const tsg_hub_control_env_t *env, tsg_txn_t *txn, const char *event,
                            const char *kind, json_t *details);

#endif
