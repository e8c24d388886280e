/* control_reply.c — the text of the control socket's answers. */
#include <stdlib.h>
#include <string.h>

#include "coordinator/daemon/control_reply.h"

char *
tsg_hub_control_dump (json_t *reply)
{
    char *text = reply ? json_dumps (reply, JSON_COMPACT) : NULL;
    json_decref (reply);
    return text ? text
                : strdup ("{\"ok\":false,\"error\":\"store\",\"message\":\"out of memory\"}");
}

char *
tsg_hub_control_refusal (const char *code, const char *message)
{
    return tsg_hub_control_dump (
        json_pack ("{s:b, s:s, s:s}", "ok", 0, "error", code, "message", message));
}

tsg_hub_audit_t *
tsg_hub_control_audit (const tsg_hub_control_env_t *env)
{
    return env->audit ? env->audit : env->intake ? tsg_hub_intake_audit (env->intake) : NULL;
}

int
tsg_hub_control_commit (const tsg_hub_control_env_t *env, tsg_txn_t *txn, const char *event,
                        const char *kind, json_t *details)
{
    json_object_set_new (details, "via", json_string (env->via ? env->via : "control"));
    tsg_hub_audit_t *audit = tsg_hub_control_audit (env);
    if (audit && details)
        tsg_hub_audit_add (audit, event, NULL, NULL, NULL, kind, details);
    else {
        json_decref (details);
        if (audit && txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOMEM; /* a change is never made unaudited */
    }
    return tsg_hub_audit_commit (audit, txn);
}
