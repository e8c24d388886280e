/* admin_users.c — the administrator's changes to the staff accounts: checked, the password
 * hashed and wiped, written with their audit record in one transaction, answered after the
 * commit (admin_users.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/daemon/admin_users.h"
#include "coordinator/daemon/control_reply.h"
#include "coordinator/intake/intake.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/users.h"
#include "tsunagu/tsg_text.h"
#include "tsunagu/tsunagu.h"

/* What one request names, read from its JSON. */
typedef struct {
    const char *command; /* the command, for the audit log and the log */
    const char *name;    /* the account */
    const char *actor;   /* who asks */
    char why[192];       /* what is wrong with the request, when it is */
} s_request_t;

/* The string member of request, or NULL when it is absent, not a string, or holds a NUL
 * (which would make the text seen here shorter than the one sent). */
static const char *
s_string (const json_t *request, const char *member)
{
    const json_t *value = json_object_get (request, member);
    const char *text = json_string_value (value);
    return text && strlen (text) == json_string_length (value) ? text : NULL;
}

/* Overwrites the request's password, wherever it is, with zeros. */
static void
s_wipe_password (const json_t *request)
{
    const json_t *value = json_object_get (request, "password");
    if (json_is_string (value))
        sodium_memzero ((char *) json_string_value (value), json_string_length (value));
}

/* Reads the name and the actor every request has; false (why said) when one is wrong. */
static bool
s_request_read (const char *command, const json_t *request, s_request_t *out)
{
    out->command = command;
    out->why[0] = '\0';
    out->name = s_string (request, "name");
    out->actor = s_string (request, "actor");
    if (!out->name || !tsg_hub_user_name_ok (out->name)) {
        snprintf (out->why, sizeof out->why,
                  "\"name\" must be a login name: 1-%d of a-z, 0-9, '.', '_' and '-', starting "
                  "with a letter or a digit",
                  TSG_HUB_USER_NAME_MAX);
        return false;
    }
    if (!out->actor || !tsg_text_ok (out->actor, TSG_HUB_USER_ACTOR_MAX)) {
        snprintf (out->why, sizeof out->why,
                  "\"actor\" must name who asks: 1-%d bytes of printable UTF-8",
                  TSG_HUB_USER_ACTOR_MAX);
        return false;
    }
    return true;
}

/* The request's "role" into *out; false when it names none. */
static bool
s_role_read (const json_t *request, tsg_hub_staff_role_t *out)
{
    return tsg_hub_staff_role_parse (s_string (request, "role"), out);
}

/* Checks the request's password and hashes it into hash; NULL then, else the refusal. */
static char *
s_password_hash (const json_t *request, const s_request_t *req, char hash[TSG_HUB_USER_HASH_SIZE])
{
    const char *password = s_string (request, "password");
    const char *why = NULL;
    if (!password)
        return tsg_hub_control_refusal ("bad_request",
                                        "\"password\" must be a string (without NUL characters)");
    if (!tsg_hub_user_password_ok (req->name, password, &why))
        return tsg_hub_control_refusal ("weak_password", why);
    if (tsg_hub_user_password_hash (password, hash) != TSG_OK) {
        log_warnx ("control: %s %s: the password could not be hashed (out of memory)", req->command,
                   req->name);
        return tsg_hub_control_refusal ("store", "the password could not be hashed (out of "
                                                 "memory); nothing changed");
    }
    return NULL;
}

/* {"ok": true, "changed": changed, "user": user} as text. */
static char *
s_reply (const tsg_hub_user_t *user, bool changed, bool removed)
{
    json_t *reply = json_pack ("{s:b, s:b, s:o}", "ok", 1, "changed", changed, "user",
                               tsg_hub_user_json (user));
    if (reply && removed)
        json_object_set_new (reply, "removed", json_true ());
    return tsg_hub_control_dump (reply);
}

/* Writes user (or removes it, when removed) with its audit record and commits; the answer.
 * change names what happened ("add", "passwd", "role", "disable", "enable", "remove"); from,
 * when not NULL, the role the user had. */
static char *
s_write (const tsg_hub_control_env_t *env, tsg_txn_t *txn, const s_request_t *req,
         const tsg_hub_user_t *user, const char *change, const char *from, bool removed)
{
    if (removed)
        tsg_hub_user_remove (txn, user->name);
    else
        tsg_hub_user_put (txn, user);
    const char *via = env->via ? env->via : "control";
    json_t *details =
        json_pack ("{s:s, s:s, s:s, s:s, s:s}", "user", user->name, "change", change, "role",
                   tsg_hub_staff_role_name (user->role), "actor", req->actor, "via", via);
    if (details && from)
        json_object_set_new (details, "from_role", json_string (from));
    tsg_hub_audit_t *audit = tsg_hub_control_audit (env);
    if (audit && details)
        tsg_hub_audit_add (audit, "staff", NULL, NULL, NULL, req->command, details);
    else {
        json_decref (details);
        if (audit && txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOMEM; /* a change is never made unaudited */
    }
    int rc = tsg_hub_audit_commit (audit, txn);
    if (rc != TSG_OK) {
        log_warnx ("control: %s %s could not be stored: %s", req->command, user->name,
                   tsg_strerror (rc));
        return tsg_hub_control_refusal ("store", "the change could not be stored; nothing changed");
    }
    log_info ("staff: %s %s (%s) by %s (%s)", req->command, user->name,
              tsg_hub_staff_role_name (user->role), req->actor, via);
    return s_reply (user, true, removed);
}

/* The account req->name in *user, in a new write transaction; false (the refusal in *answer,
 * the transaction ended) when there is none or the store failed. */
static bool
s_open (const tsg_hub_control_env_t *env, tsg_txn_t *txn, s_request_t *req, tsg_hub_user_t *user,
        char **answer)
{
    tsg_txn_begin (env->store, txn, true);
    if (tsg_hub_user_get (txn, req->name, user))
        return true;
    if (txn->rc == TSG_OK) {
        snprintf (req->why, sizeof req->why, "there is no user %s", req->name);
        *answer = tsg_hub_control_refusal ("unknown_user", req->why);
    }
    else
        *answer = tsg_hub_control_refusal ("store", "the accounts could not be read; nothing "
                                                    "changed");
    tsg_txn_abort (txn);
    return false;
}

/* {"command": "user-add", "name", "role", "password", "actor"}. */
static char *
s_add (const tsg_hub_control_env_t *env, const s_request_t *in, const json_t *request)
{
    s_request_t req = *in;
    tsg_hub_user_t user = { 0 };
    if (!s_role_read (request, &user.role))
        return tsg_hub_control_refusal ("bad_request",
                                        "\"role\" must be viewer, coordinator or admin");
    char *refusal = s_password_hash (request, &req, user.hash);
    if (refusal)
        return refusal;
    tsg_txn_t txn;
    tsg_txn_begin (env->store, &txn, true);
    tsg_hub_user_t existing;
    if (tsg_hub_user_get (&txn, req.name, &existing) || txn.rc != TSG_OK) {
        bool failed = txn.rc != TSG_OK;
        tsg_txn_abort (&txn);
        if (failed)
            return tsg_hub_control_refusal ("store", "the accounts could not be read; nothing "
                                                     "changed");
        snprintf (req.why, sizeof req.why, "user %s already exists (%s%s)", req.name,
                  tsg_hub_staff_role_name (existing.role), existing.disabled ? ", disabled" : "");
        return tsg_hub_control_refusal ("user_exists", req.why);
    }
    tsg_hub_copy (user.name, sizeof user.name, req.name);
    tsg_hub_copy (user.changed_by, sizeof user.changed_by, req.actor);
    user.created_at_ms = user.changed_at_ms = user.password_at_ms = tsg_now_ms ();
    return s_write (env, &txn, &req, &user, "add", NULL, false);
}

/* {"command": "user-passwd", "name", "password", "actor"}: every session of the user ends. */
static char *
s_passwd (const tsg_hub_control_env_t *env, const s_request_t *in, const json_t *request)
{
    s_request_t req = *in;
    char hash[TSG_HUB_USER_HASH_SIZE];
    char *answer = s_password_hash (request, &req, hash);
    if (answer)
        return answer;
    tsg_txn_t txn;
    tsg_hub_user_t user;
    if (!s_open (env, &txn, &req, &user, &answer))
        return answer;
    memcpy (user.hash, hash, sizeof user.hash);
    tsg_hub_copy (user.changed_by, sizeof user.changed_by, req.actor);
    user.changed_at_ms = user.password_at_ms = tsg_now_ms ();
    return s_write (env, &txn, &req, &user, "passwd", NULL, false);
}

/* {"command": "user-role", "name", "role", "actor"}: the same role changes nothing. */
static char *
s_role (const tsg_hub_control_env_t *env, const s_request_t *in, const json_t *request)
{
    s_request_t req = *in;
    tsg_hub_staff_role_t role;
    if (!s_role_read (request, &role))
        return tsg_hub_control_refusal ("bad_request",
                                        "\"role\" must be viewer, coordinator or admin");
    tsg_txn_t txn;
    tsg_hub_user_t user;
    char *answer = NULL;
    if (!s_open (env, &txn, &req, &user, &answer))
        return answer;
    if (user.role == role) {
        tsg_txn_abort (&txn);
        return s_reply (&user, false, false);
    }
    const char *from = tsg_hub_staff_role_name (user.role);
    user.role = role;
    tsg_hub_copy (user.changed_by, sizeof user.changed_by, req.actor);
    user.changed_at_ms = tsg_now_ms ();
    return s_write (env, &txn, &req, &user, "role", from, false);
}

/* {"command": "user-disable" | "user-enable", "name", "actor"}: a disabled user cannot log in
 * and its sessions end; asking for what is already so changes nothing. */
static char *
s_disabled (const tsg_hub_control_env_t *env, const s_request_t *in, bool disabled)
{
    s_request_t req = *in;
    tsg_txn_t txn;
    tsg_hub_user_t user;
    char *answer = NULL;
    if (!s_open (env, &txn, &req, &user, &answer))
        return answer;
    if (user.disabled == disabled) {
        tsg_txn_abort (&txn);
        return s_reply (&user, false, false);
    }
    user.disabled = disabled;
    tsg_hub_copy (user.changed_by, sizeof user.changed_by, req.actor);
    user.changed_at_ms = tsg_now_ms ();
    return s_write (env, &txn, &req, &user, disabled ? "disable" : "enable", NULL, false);
}

static char *
s_disable (const tsg_hub_control_env_t *env, const s_request_t *in, const json_t *request)
{
    (void) request;
    return s_disabled (env, in, true);
}

static char *
s_enable (const tsg_hub_control_env_t *env, const s_request_t *in, const json_t *request)
{
    (void) request;
    return s_disabled (env, in, false);
}

/* {"command": "user-remove", "name", "actor"}: the answer shows the account as it was. */
static char *
s_remove (const tsg_hub_control_env_t *env, const s_request_t *in, const json_t *request)
{
    (void) request;
    s_request_t req = *in;
    tsg_txn_t txn;
    tsg_hub_user_t user;
    char *answer = NULL;
    if (!s_open (env, &txn, &req, &user, &answer))
        return answer;
    return s_write (env, &txn, &req, &user, "remove", NULL, true);
}

/* The commands, each with what answers it once the name and the actor are read. */
static const struct {
    const char *command; /* its name */
    char *(*answer) (const tsg_hub_control_env_t *env, const s_request_t *req,
                     const json_t *request); /* its answer (caller frees) */
} s_commands[] = {
    { "user-add", s_add },         { "user-passwd", s_passwd }, { "user-role", s_role },
    { "user-disable", s_disable }, { "user-enable", s_enable }, { "user-remove", s_remove },
};

char *
tsg_hub_admin_users_answer (const tsg_hub_control_env_t *env, const char *command,
                            const json_t *request)
{
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++) {
        if (strcmp (command, s_commands[i].command) != 0)
            continue;
        s_request_t req;
        char *answer = s_request_read (s_commands[i].command, request, &req)
                           ? s_commands[i].answer (env, &req, request)
                           : tsg_hub_control_refusal ("bad_request", req.why);
        s_wipe_password (request);
        return answer;
    }
    return NULL;
}
