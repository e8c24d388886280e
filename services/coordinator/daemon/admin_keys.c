/* admin_keys.c — the rotation of the coordinator's own keys as control requests
 * (admin_keys.h). */
#include <stdio.h>
#include <string.h>

#include "coordinator/daemon/admin_keys.h"
#include "coordinator/daemon/control_reply.h"
#include "coordinator/daemon/own_keys.h"
#include "coordinator/model/store.h"
#include "tsunagu/tsg_text.h"

#define ACTOR_MAX       64
#define REASON_MAX      200
#define DEADLINE_MIN_MS (3600ULL * 1000)
#define DEADLINE_MAX_MS (90ULL * 86400 * 1000)

/* actor and reason of request; NULL (the refusal in *answer) when one is wrong. */
static bool
s_read (const json_t *request, const char **actor, const char **reason, char **answer)
{
    *actor = json_string_value (json_object_get (request, "actor"));
    const json_t *r = json_object_get (request, "reason");
    *reason = json_string_value (r);
    if (!*actor || !tsg_text_ok (*actor, ACTOR_MAX)) {
        *answer = tsg_hub_control_refusal (
            "bad_request", "\"actor\" must name who asks: 1-64 bytes of printable UTF-8");
        return false;
    }
    if (r && (!*reason || !tsg_text_ok (*reason, REASON_MAX))) {
        *answer = tsg_hub_control_refusal (
            "bad_request", "\"reason\" must say why: 1-200 bytes of printable UTF-8");
        return false;
    }
    return true;
}

/* Adds the audit record (details stolen) and commits; the refusal text when it failed. */
static char *
s_commit (const tsg_hub_control_env_t *env, tsg_txn_t *txn, const char *kind, const char *actor,
          const char *reason, json_t *details)
{
    json_object_set_new (details, "actor", json_string (actor));
    if (reason)
        json_object_set_new (details, "reason", json_string (reason));
    int rc = tsg_hub_control_commit (env, txn, "registry", kind, details);
    if (rc == TSG_OK)
        return NULL;
    log_warnx ("control: %s could not be stored: %s", kind, tsg_strerror (rc));
    return tsg_hub_control_refusal ("store", "the change could not be stored; nothing changed");
}

static char *
s_rotate (const tsg_hub_control_env_t *env, const json_t *request)
{
    const char *actor, *reason;
    char *answer = NULL;
    if (!s_read (request, &actor, &reason, &answer))
        return answer;
    const json_t *deadline = json_object_get (request, "deadline_ms");
    uint64_t now = tsg_now_ms ();
    if (!json_is_integer (deadline) || json_integer_value (deadline) < 0
        || (uint64_t) json_integer_value (deadline) < now + DEADLINE_MIN_MS
        || (uint64_t) json_integer_value (deadline) > now + DEADLINE_MAX_MS)
        return tsg_hub_control_refusal ("bad_request", "\"deadline_ms\" must be a time from one "
                                                       "hour to 90 days ahead");
    if (!env->keys_path)
        return tsg_hub_control_refusal ("no_keys", "the configuration names no key file");
    tsg_txn_t txn;
    tsg_txn_begin (env->store, &txn, true);
    tsg_hub_rotation_t r;
    char why[512] = "";
    int rc = tsg_hub_own_keys_announce (
        env->keys_path, &txn, (uint64_t) json_integer_value (deadline), &r, why, sizeof why);
    if (rc != TSG_OK) {
        tsg_txn_abort (&txn);
        return tsg_hub_control_refusal (rc == TSG_ERR_EXISTS ? "rotation_under_way" : "store", why);
    }
    char box[41], sign[41], until[32];
    tsg_key_to_z85 (r.next_box, box);
    tsg_key_to_z85 (r.next_sign, sign);
    tsg_iso8601 (r.switch_by_ms, until);
    answer = s_commit (env, &txn, "coordinator-keys-announced", actor, reason,
                       json_pack ("{s:s, s:s}", "next_sign_public", sign, "switch_by", until));
    if (answer)
        return answer;
    log_info ("keys: the coordinator's next keys (signing %s) are handed over to the agencies; "
              "the switch comes when all hold them, at %s at the latest",
              sign, until);
    return tsg_hub_control_dump (json_pack ("{s:b, s:s, s:s, s:s}", "ok", 1, "next_box_public", box,
                                            "next_sign_public", sign, "switch_by", until));
}

static char *
s_finish (const tsg_hub_control_env_t *env, const json_t *request)
{
    const char *actor, *reason;
    char *answer = NULL;
    if (!s_read (request, &actor, &reason, &answer))
        return answer;
    if (!env->keys_path)
        return tsg_hub_control_refusal ("no_keys", "the configuration names no key file");
    tsg_txn_t txn;
    tsg_txn_begin (env->store, &txn, true);
    tsg_hub_rotation_t r;
    if (!tsg_hub_rotation_get (&txn, &r) || r.state != TSG_HUB_ROTATION_ANNOUNCED) {
        tsg_txn_abort (&txn);
        return tsg_hub_control_refusal ("no_rotation",
                                        "no rotation of the coordinator's keys is under way");
    }
    if (!env->intake) { /* offline: nobody to hand over to; the files switch now */
        tsg_txn_abort (&txn);
        char why[512] = "";
        int rc = tsg_hub_own_keys_switch (env->keys_path, env->store, tsg_hub_control_audit (env),
                                          actor, env->via ? env->via : "offline",
                                          reason ? reason : "finish", why, sizeof why);
        return rc == TSG_OK
                   ? tsg_hub_control_dump (json_pack ("{s:b, s:b}", "ok", 1, "switched", 1))
                   : tsg_hub_control_refusal ("store", why);
    }
    r.switch_by_ms = tsg_now_ms ();
    tsg_hub_rotation_put (&txn, &r);
    tsg_registry_touch (&txn);
    answer = s_commit (env, &txn, "coordinator-keys-finish", actor, reason, json_object ());
    return answer ? answer
                  : tsg_hub_control_dump (json_pack ("{s:b, s:b}", "ok", 1, "switched", 0));
}

char *
tsg_hub_admin_keys_answer (const tsg_hub_control_env_t *env, const char *command,
                           const json_t *request)
{
    if (strcmp (command, "coordinator-rotate") == 0)
        return s_rotate (env, request);
    if (strcmp (command, "coordinator-rotate-finish") == 0)
        return s_finish (env, request);
    return NULL;
}
