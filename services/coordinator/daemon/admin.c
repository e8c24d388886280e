/* admin.c — the administrator's changes to the registry: checked, written with their audit
 * record in one transaction, answered after the commit (admin.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "coordinator/daemon/admin.h"
#include "coordinator/daemon/admin_users.h"
#include "coordinator/daemon/control_reply.h"
#include "coordinator/daemon/succession.h"
#include "coordinator/intake/intake.h"
#include "coordinator/model/codec.h"
#include "tsunagu/tsg_agency_types.h"
#include "tsunagu/tsg_text.h"
#include "tsunagu/tsunagu.h"

#define ACTOR_MAX    64  /* bytes of the actor's name */
#define DUE_DAYS_MAX 365 /* the longest due days an entry may hold (0: the default) */

/* What one request asks, read from its JSON. */
typedef struct {
    const char *id;     /* the agency */
    const char *actor;  /* who asks */
    const char *reason; /* why (--reason), or NULL */
    char why[160];      /* what is wrong with the request, when it is */
} s_request_t;

#define REASON_MAX 200 /* bytes of a reason */

/* Reads the fields every registry request has; false (why said) when one is wrong. */
static bool
s_request_read (const json_t *request, s_request_t *out)
{
    out->id = json_string_value (json_object_get (request, "id"));
    out->actor = json_string_value (json_object_get (request, "actor"));
    if (!out->id || !tsg_agency_id_valid (out->id)) {
        snprintf (out->why, sizeof out->why,
                  "\"id\" must be an agency id: 1-32 of a-z, 0-9 and "
                  "'-', starting with a letter");
        return false;
    }
    if (!out->actor || !tsg_text_ok (out->actor, ACTOR_MAX)) {
        snprintf (out->why, sizeof out->why,
                  "\"actor\" must name who asks: 1-%d bytes of printable UTF-8", ACTOR_MAX);
        return false;
    }
    const json_t *reason = json_object_get (request, "reason");
    out->reason = json_string_value (reason);
    if (reason && (!out->reason || !tsg_text_ok (out->reason, REASON_MAX))) {
        snprintf (out->why, sizeof out->why,
                  "\"reason\" must say why: 1-%d bytes of printable UTF-8", REASON_MAX);
        return false;
    }
    return true;
}

/* A due-days member of request into *out (untouched when absent); false when it is not a
 * number of days from 0 to 365. */
static bool
s_days_read (const json_t *request, const char *member, bool *present, uint32_t *out)
{
    const json_t *value = json_object_get (request, member);
    *present = value != NULL;
    if (!value)
        return true;
    if (!json_is_integer (value) || json_integer_value (value) < 0
        || json_integer_value (value) > DUE_DAYS_MAX)
        return false;
    *out = (uint32_t) json_integer_value (value);
    return true;
}

/* A 32-byte key from Z85 text into key; false when it is not one. */
static bool
s_key_read (const json_t *request, const char *member, uint8_t key[32])
{
    const char *text = json_string_value (json_object_get (request, member));
    return text && tsg_key_from_z85 (text, key);
}

/* The entry as the answer shows it. */
static json_t *
s_entry_json (const Tsunagu__V1__AgencyEntry *entry)
{
    return json_pack ("{s:s, s:s, s:s, s:s, s:I, s:I}", "id", entry->id, "type", entry->type,
                      "name", entry->name, "status", tsg_agency_status_name (entry->status),
                      "response_due_days", (json_int_t) entry->response_due_days,
                      "receive_due_days", (json_int_t) entry->receive_due_days);
}

/* Writes entry with its audit record (details stolen) and commits; the answer's text, which
 * says the status was (NULL for a new entry). */
static char *
s_write (const tsg_hub_control_env_t *env, tsg_txn_t *txn, const char *command,
         const s_request_t *req, const Tsunagu__V1__AgencyEntry *entry, const char *was,
         json_t *details)
{
    tsg_registry_put (txn, entry);
    json_object_set_new (details, "agency", json_string (entry->id));
    json_object_set_new (details, "actor", json_string (req->actor));
    int rc = tsg_hub_control_commit (env, txn, "registry", command, details);
    if (rc != TSG_OK) {
        log_warnx ("control: %s %s could not be stored: %s", command, entry->id, tsg_strerror (rc));
        return tsg_hub_control_refusal ("store", "the change could not be stored; nothing changed");
    }
    log_info ("registry: %s %s by %s (%s)", command, entry->id, req->actor,
              env->via ? env->via : "control");
    return tsg_hub_control_dump (json_pack ("{s:b, s:b, s:s?, s:o}", "ok", 1, "changed", 1, "was",
                                            was, "agency", s_entry_json (entry)));
}

/* The current entry of req->id in a new write transaction; NULL (the refusal in *answer) when
 * absent or unreadable. */
static Tsunagu__V1__AgencyEntry *
s_entry_open (const tsg_hub_control_env_t *env, tsg_txn_t *txn, const s_request_t *req,
              char **answer)
{
    tsg_txn_begin (env->store, txn, true);
    Tsunagu__V1__AgencyEntry *entry = tsg_registry_get (txn, req->id);
    if (!entry) {
        char why[96];
        snprintf (why, sizeof why, "no agency %s is registered", req->id);
        *answer = tsg_hub_control_refusal (txn->rc == TSG_OK ? "unknown_agency" : "store", why);
        tsg_txn_abort (txn);
    }
    return entry;
}

static bool
s_same_key (ProtobufCBinaryData key, const uint8_t other[32])
{
    return key.len == 32 && sodium_memcmp (key.data, other, 32) == 0;
}

/* True when e holds box or sign, as its keys or as the next ones of a rotation. */
static bool
s_key_taken (const Tsunagu__V1__AgencyEntry *e, const uint8_t box[32], const uint8_t sign[32])
{
    return s_same_key (e->box_public, box) || s_same_key (e->sign_public, sign)
           || s_same_key (e->next_box_public, box) || s_same_key (e->next_sign_public, sign)
           || s_same_key (e->box_public, sign) || s_same_key (e->next_box_public, sign);
}

/* Why agency req->id with keys box and sign may not be added (the refusal's code, req->why
 * said), or NULL: its id must be new, and its keys nobody's (ZAP and the directory find an
 * agency by its keys, so two agencies with one key would be one agency to them). */
static const char *
s_add_conflict (tsg_txn_t *txn, s_request_t *req, const uint8_t box[32], const uint8_t sign[32])
{
    Tsunagu__V1__AgencyEntry **entries = NULL;
    size_t count = 0;
    if (tsg_registry_list (txn, &entries, &count) != TSG_OK || txn->rc != TSG_OK) {
        snprintf (req->why, sizeof req->why, "the registry could not be read; nothing changed");
        return "store";
    }
    const char *code = NULL;
    for (size_t i = 0; i < count && !code; i++) {
        const Tsunagu__V1__AgencyEntry *e = entries[i];
        if (strcmp (e->id, req->id) == 0) {
            snprintf (req->why, sizeof req->why, "agency %s is already registered (%s)", req->id,
                      tsg_agency_status_name (e->status));
            code = "agency_exists";
        }
        else if (s_key_taken (e, box, sign)) {
            snprintf (req->why, sizeof req->why,
                      "its keys are agency %s's: every agency needs keys of its own", e->id);
            code = "bad_request";
        }
    }
    tsg_registry_free_list (entries, count);
    return code;
}

/* {"command": "agency-add", "id", "type", "name", "box_public", "sign_public" (Z85),
 *  "response_due_days", "receive_due_days" (optional, 0..365), "actor"}. */
static char *
s_add (const tsg_hub_control_env_t *env, const json_t *request)
{
    s_request_t req;
    if (!s_request_read (request, &req))
        return tsg_hub_control_refusal ("bad_request", req.why);
    const char *type = json_string_value (json_object_get (request, "type"));
    const char *name = json_string_value (json_object_get (request, "name"));
    const char *why = NULL;
    uint8_t box[32], sign[32];
    uint32_t response = 0, receive = 0;
    bool present;
    if (!type || !tsg_agency_policy_find (type))
        return tsg_hub_control_refusal ("bad_request",
                                        "\"type\" must be eldercare, disability, child or poverty");
    if (!tsg_agency_name_ok (name, &why)) {
        snprintf (req.why, sizeof req.why, "\"name\" %s", why);
        return tsg_hub_control_refusal ("bad_request", req.why);
    }
    if (!s_key_read (request, "box_public", box) || !s_key_read (request, "sign_public", sign))
        return tsg_hub_control_refusal ("bad_request", "\"box_public\" and \"sign_public\" must be "
                                                       "32-byte keys in Z85 (40 characters)");
    if (!s_days_read (request, "response_due_days", &present, &response)
        || !s_days_read (request, "receive_due_days", &present, &receive))
        return tsg_hub_control_refusal ("bad_request", "due days are whole days from 0 (the "
                                                       "default) to 365");
    tsg_txn_t txn;
    tsg_txn_begin (env->store, &txn, true);
    const char *code = s_add_conflict (&txn, &req, box, sign);
    if (code) {
        tsg_txn_abort (&txn);
        return tsg_hub_control_refusal (code, req.why);
    }
    Tsunagu__V1__AgencyEntry entry = TSUNAGU__V1__AGENCY_ENTRY__INIT;
    entry.id = (char *) req.id;
    entry.type = (char *) type;
    entry.name = (char *) name;
    entry.box_public = (ProtobufCBinaryData){ 32, box };
    entry.sign_public = (ProtobufCBinaryData){ 32, sign };
    bool pending = json_is_true (json_object_get (request, "pending"));
    entry.status = pending ? TSUNAGU__V1__AGENCY_STATUS__AGENCY_PENDING
                           : TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE;
    entry.created_at_ms = tsg_now_ms ();
    entry.response_due_days = response;
    entry.receive_due_days = receive;
    entry.status_changed_at_ms = entry.created_at_ms;
    entry.status_changed_by = (char *) req.actor;
    entry.status_reason = (char *) (req.reason ? req.reason : "");
    json_t *details =
        json_pack ("{s:s, s:s}", "type", type, "status", tsg_agency_status_name (entry.status));
    if (req.reason)
        json_object_set_new (details, "reason", json_string (req.reason));
    return s_write (env, &txn, "agency-add", &req, &entry, NULL, details);
}

/* The verbs of the lifecycle (docs/configuration.md): pending → active (approve) → suspended
 * ⇄ active (suspend, resume) → revoked (final; a pending agency may be revoked too). */
static const struct {
    const char *verb;
    Tsunagu__V1__AgencyStatus from_a, from_b; /* the statuses it applies to */
    Tsunagu__V1__AgencyStatus to;
} s_verbs[] = {
    {
        "approve",
        TSUNAGU__V1__AGENCY_STATUS__AGENCY_PENDING,
        TSUNAGU__V1__AGENCY_STATUS__AGENCY_PENDING,
        TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE,
    },
    {
        "suspend",
        TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE,
        TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE,
        TSUNAGU__V1__AGENCY_STATUS__AGENCY_SUSPENDED,
    },
    {
        "resume",
        TSUNAGU__V1__AGENCY_STATUS__AGENCY_SUSPENDED,
        TSUNAGU__V1__AGENCY_STATUS__AGENCY_SUSPENDED,
        TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE,
    },
    {
        "revoke",
        TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE,
        TSUNAGU__V1__AGENCY_STATUS__AGENCY_SUSPENDED,
        TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED,
    },
};

/* The verb of request: "verb", or the one an older tsunaguctl means by "status". */
static int
s_verb (const json_t *request)
{
    const char *verb = json_string_value (json_object_get (request, "verb"));
    const char *status = json_string_value (json_object_get (request, "status"));
    if (!verb && status)
        verb = strcmp (status, "active") == 0      ? "resume"
               : strcmp (status, "suspended") == 0 ? "suspend"
               : strcmp (status, "revoked") == 0   ? "revoke"
                                                   : NULL;
    for (size_t i = 0; verb && i < sizeof s_verbs / sizeof s_verbs[0]; i++)
        if (strcmp (verb, s_verbs[i].verb) == 0)
            return (int) i;
    return -1;
}

/* Why verb v may not change an agency of status was (into why), or NULL. */
static const char *
s_illegal (int v, Tsunagu__V1__AgencyStatus was, const char *id, char *why, size_t size)
{
    const char *name = tsg_agency_status_name (was);
    if (was == TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED) {
        snprintf (why, size,
                  "%s is revoked, which is final: onboard the agency again with new keys", id);
        return "revoked";
    }
    bool pending = was == TSUNAGU__V1__AGENCY_STATUS__AGENCY_PENDING;
    if (v == 3 && pending) /* a pending agency may be turned down */
        return NULL;
    if (was == s_verbs[v].from_a || was == s_verbs[v].from_b)
        return NULL;
    if (pending)
        snprintf (why, size, "%s is pending: approve it (agency approve %s) or revoke it", id, id);
    else if (v == 0)
        snprintf (why, size, "%s is %s, not pending: only a pending agency is approved", id, name);
    else
        snprintf (why, size, "%s is %s: it cannot be %s", id, name,
                  v == 1 ? "suspended" : "resumed (only a suspended agency is)");
    return "illegal_transition";
}

/* {"command": "agency-status", "id", "verb": "approve|suspend|resume|revoke", "reason"
 * (optional), "actor"}: the lifecycle above; a change to the status an agency
 * has already changes nothing and says so ("changed": false).  (An older tsunaguctl's
 * "status": "active|suspended|revoked" means resume, suspend, revoke.) */
static char *
s_status (const tsg_hub_control_env_t *env, const json_t *request)
{
    s_request_t req;
    if (!s_request_read (request, &req))
        return tsg_hub_control_refusal ("bad_request", req.why);
    int v = s_verb (request);
    if (v < 0)
        return tsg_hub_control_refusal ("bad_request",
                                        "\"verb\" must be approve, suspend, resume or revoke");
    Tsunagu__V1__AgencyStatus target = s_verbs[v].to;
    tsg_txn_t txn;
    char *answer = NULL;
    Tsunagu__V1__AgencyEntry *entry = s_entry_open (env, &txn, &req, &answer);
    if (!entry)
        return answer;
    Tsunagu__V1__AgencyStatus was = entry->status;
    const char *code = NULL;
    if (was == target) {
        tsg_txn_abort (&txn);
        answer = tsg_hub_control_dump (
            json_pack ("{s:b, s:b, s:o}", "ok", 1, "changed", 0, "agency", s_entry_json (entry)));
    }
    else if ((code = s_illegal (v, was, req.id, req.why, sizeof req.why))) {
        tsg_txn_abort (&txn);
        answer = tsg_hub_control_refusal (code, req.why);
    }
    else {
        /* The unpacked entry's own strings go back before it is freed. */
        char *by = entry->status_changed_by, *reason = entry->status_reason;
        entry->status = target;
        entry->status_changed_at_ms = tsg_now_ms ();
        entry->status_changed_by = (char *) req.actor;
        entry->status_reason = (char *) (req.reason ? req.reason : "");
        json_t *details =
            json_pack ("{s:s, s:s, s:s}", "verb", s_verbs[v].verb, "from",
                       tsg_agency_status_name (was), "to", tsg_agency_status_name (target));
        if (req.reason)
            json_object_set_new (details, "reason", json_string (req.reason));
        answer = s_write (env, &txn, "agency-status", &req, entry, tsg_agency_status_name (was),
                          details);
        entry->status_changed_by = by;
        entry->status_reason = reason;
    }
    tsunagu__v1__agency_entry__free_unpacked (entry, NULL);
    return answer;
}

/* {"command": "agency-due-days", "id", "response_due_days" and/or "receive_due_days" (0..365,
 * 0: the default), "actor"}: not for a revoked agency. */
static char *
s_due_days (const tsg_hub_control_env_t *env, const json_t *request)
{
    s_request_t req;
    if (!s_request_read (request, &req))
        return tsg_hub_control_refusal ("bad_request", req.why);
    uint32_t response = 0, receive = 0;
    bool has_response, has_receive;
    if (!s_days_read (request, "response_due_days", &has_response, &response)
        || !s_days_read (request, "receive_due_days", &has_receive, &receive)
        || (!has_response && !has_receive))
        return tsg_hub_control_refusal ("bad_request",
                                        "\"response_due_days\" or \"receive_due_days\" is needed: "
                                        "whole days from 0 (the default) to 365");
    tsg_txn_t txn;
    char *answer = NULL;
    Tsunagu__V1__AgencyEntry *entry = s_entry_open (env, &txn, &req, &answer);
    if (!entry)
        return answer;
    if (entry->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED) {
        tsg_txn_abort (&txn);
        snprintf (req.why, sizeof req.why, "%s is revoked; its due days no longer matter", req.id);
        answer = tsg_hub_control_refusal ("revoked", req.why);
    }
    else if ((!has_response || entry->response_due_days == response)
             && (!has_receive || entry->receive_due_days == receive)) {
        tsg_txn_abort (&txn);
        answer = tsg_hub_control_dump (
            json_pack ("{s:b, s:b, s:o}", "ok", 1, "changed", 0, "agency", s_entry_json (entry)));
    }
    else {
        json_t *details = json_pack ("{s:I, s:I}", "from_response_due_days",
                                     (json_int_t) entry->response_due_days, "from_receive_due_days",
                                     (json_int_t) entry->receive_due_days);
        if (has_response)
            entry->response_due_days = response;
        if (has_receive)
            entry->receive_due_days = receive;
        json_object_set_new (details, "response_due_days",
                             json_integer ((json_int_t) entry->response_due_days));
        json_object_set_new (details, "receive_due_days",
                             json_integer ((json_int_t) entry->receive_due_days));
        answer = s_write (env, &txn, "agency-due-days", &req, entry,
                          tsg_agency_status_name (entry->status), details);
    }
    tsunagu__v1__agency_entry__free_unpacked (entry, NULL);
    return answer;
}

#define ROTATE_DAYS_MAX 90 /* the longest a key rotation may wait for the agency */

/* {"command": "agency-rotate", "id", "box_public", "sign_public" (Z85: the new keys),
 *  "deadline_ms" (when the old keys are refused even if the agency was not heard with the new
 *  ones), "reason" (optional), "actor"}: the new keys are admitted beside the current ones
 * until the agency's first letter signed with them (intake/intake_keys.c) or the deadline
 * (daemon/hub_timers.c) ends the rotation.  Not for a revoked agency; a rotation under way is
 * replaced. */
static char *
s_rotate (const tsg_hub_control_env_t *env, const json_t *request)
{
    s_request_t req;
    if (!s_request_read (request, &req))
        return tsg_hub_control_refusal ("bad_request", req.why);
    uint8_t box[32], sign[32];
    if (!s_key_read (request, "box_public", box) || !s_key_read (request, "sign_public", sign))
        return tsg_hub_control_refusal ("bad_request", "\"box_public\" and \"sign_public\" must be "
                                                       "32-byte keys in Z85 (40 characters)");
    const json_t *deadline = json_object_get (request, "deadline_ms");
    uint64_t now = tsg_now_ms ();
    if (!json_is_integer (deadline) || (uint64_t) json_integer_value (deadline) <= now
        || (uint64_t) json_integer_value (deadline) > now + ROTATE_DAYS_MAX * 86400000ULL)
        return tsg_hub_control_refusal ("bad_request", "\"deadline_ms\" must be a time in the next "
                                                       "90 days");
    tsg_txn_t txn;
    tsg_txn_begin (env->store, &txn, true);
    Tsunagu__V1__AgencyEntry **entries = NULL;
    size_t count = 0;
    const char *code = NULL;
    if (tsg_registry_list (&txn, &entries, &count) != TSG_OK || txn.rc != TSG_OK) {
        snprintf (req.why, sizeof req.why, "the registry could not be read; nothing changed");
        code = "store";
    }
    for (size_t i = 0; i < count && !code; i++)
        if (s_key_taken (entries[i], box, sign)) {
            snprintf (req.why, sizeof req.why, "the new keys are %s's already: make new ones",
                      entries[i]->id);
            code = "bad_request";
        }
    tsg_registry_free_list (entries, count);
    Tsunagu__V1__AgencyEntry *entry = NULL;
    char *answer = NULL;
    if (code) {
        tsg_txn_abort (&txn);
        return tsg_hub_control_refusal (code, req.why);
    }
    tsg_txn_abort (&txn);
    entry = s_entry_open (env, &txn, &req, &answer);
    if (!entry)
        return answer;
    if (entry->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED) {
        tsg_txn_abort (&txn);
        snprintf (req.why, sizeof req.why, "%s is revoked; its keys no longer matter", req.id);
        answer = tsg_hub_control_refusal ("revoked", req.why);
    }
    else {
        bool replaces = entry->next_box_public.len == 32;
        ProtobufCBinaryData old_box = entry->next_box_public, old_sign = entry->next_sign_public;
        entry->next_box_public = (ProtobufCBinaryData){ 32, box };
        entry->next_sign_public = (ProtobufCBinaryData){ 32, sign };
        entry->rotate_deadline_ms = (uint64_t) json_integer_value (deadline);
        char until[40];
        tsg_iso8601 (entry->rotate_deadline_ms, until);
        json_t *details = json_pack ("{s:s, s:b}", "deadline", until, "replaces", replaces);
        if (req.reason)
            json_object_set_new (details, "reason", json_string (req.reason));
        answer = s_write (env, &txn, "agency-rotate", &req, entry,
                          tsg_agency_status_name (entry->status), details);
        entry->next_box_public = old_box;
        entry->next_sign_public = old_sign;
    }
    tsunagu__v1__agency_entry__free_unpacked (entry, NULL);
    return answer;
}

char *
tsg_hub_admin_answer (const tsg_hub_control_env_t *env, const char *command, const json_t *request)
{
    if (strcmp (command, "agency-add") == 0)
        return s_add (env, request);
    if (strcmp (command, "agency-status") == 0)
        return s_status (env, request);
    if (strcmp (command, "agency-due-days") == 0)
        return s_due_days (env, request);
    if (strcmp (command, "agency-rotate") == 0)
        return s_rotate (env, request);
    if (strcmp (command, "agency-succeed") == 0)
        return tsg_hub_succession_answer (env, request);
    return tsg_hub_admin_users_answer (env, command, request); /* the staff accounts' */
}
