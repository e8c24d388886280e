/* The coordinator's control socket: how tsunaguctl asks a running coordinator to act.
 *
 * Transport.  A ZeroMQ REP socket bound at ipc://DATA_DIR/control.sock (DATA_DIR is the
 * coordinator's data_dir; the socket file is chmod 0600 right after the bind, and DATA_DIR is
 * 0700, so only the coordinator's own user can connect).  A client connects a REQ socket,
 * sends ONE frame and reads ONE frame back; then it may send the next request.  The
 * coordinator answers every request, in order, from its one loop, so a request waits at most
 * for the current batch of letters.  Clients should use a receive timeout (5 s is plenty)
 * and treat a timeout as "the coordinator is not running" (connecting to a missing socket
 * file does not fail in ZeroMQ).
 *
 * Request.  One JSON object in UTF-8, at most 64 KiB: {"command": "<name>", ...}.
 * Reply.    One JSON object: {"ok": true, ...} or
 *           {"ok": false, "error": "<code>", "message": "<English sentence>"}.
 * Codes:    bad_request (not JSON, not an object, a field missing or of the wrong JSON type),
 *           unknown_command, too_large, store (nothing was changed; try again), and for
 *           case events the refusal codes of the wire protocol, as tsg_error_code_name names
 *           them: unknown_case, not_permitted, stale_version, illegal_transition, malformed,
 *           missing_legal_basis; for the registry and the staff accounts the codes their
 *           commands list below.
 *
 * Commands.
 *
 *   {"command": "ping"}
 *     → {"ok": true, "coordinator": "coordinator", "version": "0.1.0",
 *        "registry_serial": n, "sessions": n}
 *
 *   {"command": "case-event",
 *    "case_id": "<uuid>",                  required
 *    "base_version": n,                    required: the case version the event is based on
 *                                          (GET /v1/cases/{id} "version", or `case show`)
 *    "type": "state|meeting|plan|note|close|reopen",   required
 *    "event_id": "<uuid>",                 optional: made up when absent
 *    "state": "<case state>",              type state: assessment, planning, conference,
 *                                          support, monitoring, watch, multi-agency, open
 *    "reason_code": "<short code>",        optional: says a reason was given (needed to
 *                                          reopen); no text travels, the coordinator holds none
 *    "close_reason": "goal-achieved|moved-away|died|declined|transferred|other",  type close
 *                                          (reason_code stands in for it when it is one)
 *    "meeting": {"kind": "shien|jusoteki|core|chiiki-care|kyogikai|yotaikyo|konkyu",
 *                "held_on": "YYYY-MM-DD",
 *                "attendees": ["<agency id>", ...], "decision":
 *                "plan-adopted|continue|escalate|close|other"},               type meeting
 *    "plan": {"roles": [{"agency": "<agency id>", "role": "<short label>"}, ...],
 *             "next_review_on": "YYYY-MM-DD"},                                 type plan
 *    "note": {"category": "visit|call|meeting|other", "written_on": "YYYY-MM-DD"},  type note
 *    "consent_id": "<uuid>"}               optional: the consent a jusoteki meeting rests on
 *     → {"ok": true, "case_id": "<uuid>", "event_id": "<uuid>", "version": n (the new
 *        version), "state": "<case state>", "state_label": "<Japanese label>"}
 *     The event is applied exactly like an agency's CASE_EVENT, as sent by "coordinator":
 *     the same checks (the coordinator may act on any case), the same timeline entry, and a
 *     coordinator-signed CASE_EVENT letter without bodies passed on to every agency on the
 *     case, followed by CASE_UPDATE letters.  A jusoteki meeting (重層的支援会議) needs an
 *     active consent of the case that covers every attendee (else missing_legal_basis).  The
 *     reply comes after the commit; the decision, either way, is in the audit log.
 *
 *   {"command": "overview"}
 *     → {"ok": true, ...the overview...}: the JSON of GET /v1/overview (api/overview.h,
 *        model/overview.h; docs/coordinator-api.yaml), for `tsunaguctl top`.  Offline
 *        (--apply) nobody is online and no letters are counted.
 *
 *   {"command": "alert-ack", "n": <alert number>, "actor": "<who acknowledges, 1-64 bytes>"}
 *     → {"ok": true, "changed": true|false, "alert": {alert view with acknowledged_at and
 *        acknowledged_by}}: the coordinator's staff acknowledge alert n (model/alerts.h).
 *     Written with its audit record (event "alert-ack", details {alert, kind, case_id, actor,
 *     via}) in one transaction; an alert acknowledged already is left as it was ("changed":
 *     false, no audit record).  Refusals: bad_request, unknown_alert, store.
 *
 *   The registry (admin.h: the coordinator is its one writer; every change is audited as event
 *   "registry" with the agency, the change, "actor" and "via"):
 *
 *   {"command": "agency-add", "id": "<agency id>", "type": "eldercare|disability|child|poverty",
 *    "name": "<UTF-8, at most 191 bytes>", "box_public": "<Z85>", "sign_public": "<Z85>",
 *    "response_due_days": n, "receive_due_days": n,   optional: 0 (the default) to 365
 *    "actor": "<who asks, 1-64 bytes>"}
 *   {"command": "agency-status", "id": "...", "status": "active|suspended|revoked", "actor": ...}
 *   {"command": "agency-due-days", "id": "...", "response_due_days": n and/or
 *    "receive_due_days": n, "actor": ...}
 *     → {"ok": true, "changed": true|false, "agency": {"id", "type", "name", "status",
 *        "response_due_days", "receive_due_days"}}
 *     Refusals: bad_request, agency_exists (add), unknown_agency, revoked (final: nothing but
 *     a new onboarding helps), store.  A running coordinator publishes the new directory by
 *     itself.
 *
 *   {"command": "agency-succeed", "id": "<OLD>", "successor": "<NEW>", "effective_on",
 *    "reason" (optional), "actor": ...}: agency succession (組織改編), succession.h: OLD's cases,
 *     roles and waiting mail (withheld, senders told), consents flagged for renewal, OLD
 *     revoked; also offline.  Refusals: bad_request, unknown_agency, revoked,
 *     illegal_transition, type_mismatch, store.
 *
 *   The staff accounts of the web dashboard (admin_users.h, model/users.h: the coordinator is
 *   their one writer and hashes every password with Argon2id; every change is audited as
 *   event "staff", kind the command, details {"user", "change": "add|passwd|role|disable|
 *   enable|remove", "role", "actor", "via"}, and "from_role" for a role change):
 *
 *   {"command": "user-add", "name": "<login>", "role": "viewer|coordinator|admin",
 *    "password": "<10-128 bytes of UTF-8, not the name>", "actor": "<who asks, 1-64 bytes>"}
 *   {"command": "user-passwd", "name": "...", "password": "...", "actor": ...}
 *   {"command": "user-role", "name": "...", "role": "...", "actor": ...}
 *   {"command": "user-disable", "name": "...", "actor": ...}
 *   {"command": "user-enable", "name": "...", "actor": ...}
 *   {"command": "user-remove", "name": "...", "actor": ...}
 *     → {"ok": true, "changed": true|false, "user": {"name", "role", "disabled", "created_at",
 *        "changed_at", "password_at", "changed_by"}} ("removed": true after user-remove, with
 *        the account as it was).  A login is 1-32 of a-z, 0-9, '.', '_' and '-', starting
 *        with a letter or a digit.  Asking for the role, or the state, a user has changes
 *        nothing ("changed": false, no audit record).  A web session of the user ends when it
 *        is disabled, removed or given a new password.  The password is plaintext only on
 *        this socket (0600) or the --apply pipe; it is never stored, logged or answered.
 *     Refusals: bad_request, user_exists (add), unknown_user, weak_password (shorter than 10
 *     bytes, longer than 128, not valid UTF-8, a control character, or the name), store.
 *
 * Offline.  While no coordinator runs on DATA_DIR (the lock DATA_DIR/coordinator.lock is free),
 * `tsunagu-coordinator -c FILE --apply` answers one request read from standard input on
 * standard output, exactly as the socket would (via "offline"), holding the lock meanwhile;
 * case-event is then refused not_running.  tsunaguctl chooses between the two by the lock. */
#ifndef TSG_HUB_CONTROL_H_INCLUDED
#define TSG_HUB_CONTROL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "coordinator/model/audit.h"
#include "coordinator/model/directory.h"
#include "coordinator/intake/intake.h"
#include "coordinator/api/api.h"
#include "coordinator/daemon/sessions.h"

/* Largest request accepted. */
#define TSG_HUB_CONTROL_MAX (64 * 1024)

typedef struct _tsg_hub_control_t tsg_hub_control_t;

/* What a request may act on (all borrowed). */
typedef struct {
    tsg_store_t *store;                   /* the store, written in a transaction per request */
    tsg_hub_intake_t *intake;             /* applies case events */
    const tsg_keys_t *keys;               /* signs the coordinator's letters */
    const tsg_hub_directory_t *directory; /* for ping */
    tsg_hub_sessions_t *sessions;         /* for ping (NULL: none) */
    const tsg_hub_api_t *api;             /* for overview: the live figures (NULL: none) */
    tsg_hub_audit_t *audit;               /* where registry changes are audited (NULL: the
                                             intake's audit log) */
    const char *via;                      /* how requests come, for the audit log: NULL for
                                             "control" (the socket), "offline" (one request
                                             of `tsunagu-coordinator --apply`) */
    const char *keys_path;                /* the coordinator's key file, beside which a
                                             rotation of its keys writes (NULL: none) */
} tsg_hub_control_env_t;

/* Binds the REP socket at ipc://data_dir/control.sock in ctx and makes the file 0600.  NULL
 * (logged) on failure. */
tsg_hub_control_t *tsg_hub_control_new (void *ctx, const char *data_dir);

/* Closes the socket and removes the file; safe on NULL and twice. */
void tsg_hub_control_destroy (tsg_hub_control_t **self_p);

/* The socket to poll for ZMQ_POLLIN. */
void *tsg_hub_control_socket (tsg_hub_control_t *self);

/* Answers one waiting request with env, without blocking.  Returns true when it did; the
 * intake's new-mail list then names the agencies whose mailboxes got letters (until the
 * next batch or request begins). */
bool tsg_hub_control_handle (tsg_hub_control_t *self, const tsg_hub_control_env_t *env);

/* The reply text (caller frees) to one request of len bytes: what the socket sends back. */
char *tsg_hub_control_answer (const tsg_hub_control_env_t *env, const char *request, size_t len);

#endif
