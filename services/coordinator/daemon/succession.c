/* succession.c — agency succession (組織改編) as the control request "agency-succeed"
 * (succession.h): checked, then in one write transaction with its audit record every case of
 * the previous agency moves to its successor by a coordinator-signed SUCCESSION case event,
 * the consents naming it are flagged for renewal, its waiting mail is withheld and its senders
 * told, and it is revoked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coordinator/daemon/control_reply.h"
#include "coordinator/daemon/succession.h"
#include "coordinator/model/cases.h"
#include "coordinator/model/consents.h"
#include "coordinator/model/store.h"
#include "tsunagu/tsg_text.h"

#define ACTOR_MAX     64  /* bytes of the actor's name */
#define REASON_MAX    200 /* bytes of a reason */
#define CASES_PAGE    256 /* cases listed per page */
#define SUCCESSOR_WHY 192 /* bytes of a refusal's sentence */
#define JST_MS        (9ULL * 3600 * 1000)

/* What one request asks. */
typedef struct {
    const char *previous;    /* OLD: the agency succeeded */
    const char *agency;      /* NEW: its successor */
    const char *actor;       /* who asks */
    const char *reason;      /* why (--reason), or NULL */
    char effective_on[11];   /* the day (Japan time), today unless given */
    char why[SUCCESSOR_WHY]; /* what is wrong, when something is */
    uint64_t now_ms;         /* the clock of the change */
} s_request_t;

/* The cases the previous agency is on, collected before any changes. */
typedef struct {
    tsg_hub_case_id_t *ids; /* their ids */
    size_t n;               /* in use */
    size_t cap;             /* allocated */
    bool failed;            /* memory ran out */
} s_cases_t;

/* The consents of one case to flag. */
typedef struct {
    const s_request_t *req;               /* the request */
    const char *type;                     /* the successor's type */
    tsg_hub_consent_t *found;             /* their records */
    size_t n;                             /* in use */
    char *ids[TSG_HUB_CASE_AGENCIES_MAX]; /* their ids, for the letter */
} s_renew_t;

#define RENEW_MAX TSG_HUB_CASE_AGENCIES_MAX /* consents one case's event lists */

/* Reads and checks the request's fields; false with req->why said. */
static bool
s_read (const json_t *request, s_request_t *req)
{
    memset (req, 0, sizeof *req);
    req->previous = json_string_value (json_object_get (request, "id"));
    req->agency = json_string_value (json_object_get (request, "successor"));
    req->actor = json_string_value (json_object_get (request, "actor"));
    const json_t *reason = json_object_get (request, "reason");
    req->reason = json_string_value (reason);
    const char *on = json_string_value (json_object_get (request, "effective_on"));
    req->now_ms = tsg_now_ms ();
    if (!req->previous || !tsg_agency_id_valid (req->previous) || !req->agency
        || !tsg_agency_id_valid (req->agency)) {
        snprintf (req->why, sizeof req->why,
                  "\"id\" and \"successor\" must be agency ids: 1-32 of a-z, 0-9 and '-', "
                  "starting with a letter");
        return false;
    }
    if (strcmp (req->previous, req->agency) == 0) {
        snprintf (req->why, sizeof req->why,
                  "an agency cannot succeed itself: name the agency that takes over");
        return false;
    }
    if (!req->actor || !tsg_text_ok (req->actor, ACTOR_MAX)) {
        snprintf (req->why, sizeof req->why,
                  "\"actor\" must name who asks: 1-%d bytes of printable UTF-8", ACTOR_MAX);
        return false;
    }
    if (reason && (!req->reason || !tsg_text_ok (req->reason, REASON_MAX))) {
        snprintf (req->why, sizeof req->why,
                  "\"reason\" must say why: 1-%d bytes of printable UTF-8", REASON_MAX);
        return false;
    }
    if (on && !tsg_date_ok (on)) {
        snprintf (req->why, sizeof req->why, "\"effective_on\" must be a date YYYY-MM-DD");
        return false;
    }
    if (on)
        snprintf (req->effective_on, sizeof req->effective_on, "%s", on);
    else {
        time_t t = (time_t) ((req->now_ms + JST_MS) / 1000);
        struct tm tm;
        gmtime_r (&t, &tm);
        strftime (req->effective_on, sizeof req->effective_on, "%Y-%m-%d", &tm);
    }
    return true;
}

/* Why previous may not be succeeded by agency (the refusal's code, req->why said), or NULL:
 * previous active or suspended, agency active, both of one type (roles and the legal bases
 * of the types' statutory meetings are per type, and a consent covering previous by its type
 * then covers agency too). */
static const char *
s_refusal (const Tsunagu__V1__AgencyEntry *previous, const Tsunagu__V1__AgencyEntry *agency,
           s_request_t *req)
{
    if (previous->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED) {
        snprintf (req->why, sizeof req->why, "%s is revoked already: it has nothing to hand on",
                  previous->id);
        return "revoked";
    }
    if (previous->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_PENDING) {
        snprintf (req->why, sizeof req->why,
                  "%s is pending: it never took part, so there is nothing to succeed (revoke it)",
                  previous->id);
        return "illegal_transition";
    }
    if (agency->status != TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE) {
        snprintf (req->why, sizeof req->why,
                  "%s is %s: the successor must be active (approve or resume it first)", agency->id,
                  tsg_agency_status_name (agency->status));
        return "illegal_transition";
    }
    if (strcmp (previous->type, agency->type) != 0) {
        snprintf (req->why, sizeof req->why,
                  "%s is %s and %s is %s: a successor must be of the same type (roles and legal "
                  "bases are the type's)",
                  previous->id, previous->type, agency->id, agency->type);
        return "type_mismatch";
    }
    return NULL;
}

/* tsg_hub_case_fn: collects one case id. */
static bool
s_case_one (void *arg, const tsg_hub_case_t *c, bool overdue)
{
    (void) overdue;
    s_cases_t *cases = arg;
    if (cases->n == cases->cap) {
        size_t cap = cases->cap ? 2 * cases->cap : 16;
        tsg_hub_case_id_t *ids = realloc (cases->ids, cap * sizeof *ids);
        if (!ids) {
            cases->failed = true;
            return false;
        }
        cases->ids = ids;
        cases->cap = cap;
    }
    memcpy (cases->ids[cases->n++], c->id, TSG_UUID_TEXT_SIZE);
    return true;
}

/* Every case agency is on, in id order, into *cases; false when memory ran out. */
static bool
s_cases_of (tsg_txn_t *txn, const char *agency, s_cases_t *cases)
{
    tsg_hub_case_filter_t filter = { .agency = agency, .limit = CASES_PAGE };
    tsg_hub_case_page_t page;
    char cursor[TSG_HUB_CASE_CURSOR_SIZE] = "";
    do {
        filter.cursor = cursor[0] ? cursor : NULL;
        tsg_hub_cases_page (txn, &filter, s_case_one, cases, &page);
        snprintf (cursor, sizeof cursor, "%s", page.cursor);
    } while (!cases->failed && txn->rc == TSG_OK && (page.more || page.partial) && cursor[0]);
    return !cases->failed;
}

/* tsg_hub_consent_fn: keeps a consent that needs renewal. */
static bool
s_renew_one (void *arg, const tsg_hub_consent_t *c)
{
    s_renew_t *r = arg;
    if (r->n < RENEW_MAX
        && tsg_hub_consent_needs_renewal (c, r->req->previous, r->req->agency, r->type))
        r->found[r->n++] = *c;
    return true;
}

/* Flags the consents of case_id that need renewal (in r), written in txn. */
static void
s_flag_consents (tsg_txn_t *txn, const char *case_id, s_renew_t *r)
{
    r->n = 0;
    tsg_hub_consents_of_case (txn, case_id, s_renew_one, r);
    for (size_t i = 0; i < r->n; i++) {
        tsg_hub_consent_t *c = &r->found[i];
        tsg_hub_consent_t old = *c;
        c->renewal_at_ms = r->req->now_ms;
        snprintf (c->renewal_previous, sizeof c->renewal_previous, "%s", r->req->previous);
        snprintf (c->renewal_agency, sizeof c->renewal_agency, "%s", r->req->agency);
        tsg_hub_consent_put (txn, &old, c);
        r->ids[i] = c->id;
    }
}

/* The SUCCESSION event of case c, signed by the coordinator, into *out. */
static int
s_letter (const tsg_hub_control_env_t *env, const s_request_t *req, const tsg_hub_case_t *c,
          s_renew_t *r, uint8_t **out, size_t *out_len)
{
    char event_id[TSG_UUID_TEXT_SIZE];
    tsg_uuid_new (event_id);
    Tsunagu__V1__Succession su = TSUNAGU__V1__SUCCESSION__INIT;
    su.previous_agency = (char *) req->previous;
    su.agency = (char *) req->agency;
    su.effective_on = (char *) req->effective_on;
    su.n_consents_to_renew = r->n;
    su.consents_to_renew = r->ids;
    Tsunagu__V1__CaseEvent event = TSUNAGU__V1__CASE_EVENT__INIT;
    event.event_id = event_id;
    event.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_SUCCESSION;
    event.succession = &su;
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t message_id[TSG_MESSAGE_ID_SIZE];
    tsg_letter_prepare (&letter, &header, message_id, TSUNAGU__V1__KIND__KIND_CASE_EVENT,
                        TSG_COORDINATOR_ID, TSG_COORDINATOR_ID);
    header.case_id = (char *) c->id;
    header.base_version = c->version;
    header.case_event = &event;
    return tsg_envelope_seal (&letter, env->keys, out, out_len);
}

/* Moves every case of cases to the successor: consents flagged, the event applied through the
 * intake (timeline, fan-out, CASE_UPDATE at the end).  Appends the cases and the consents to
 * the JSON lists; false (req->why said) when one could not be applied. */
static bool
s_move_cases (const tsg_hub_control_env_t *env, tsg_txn_t *txn, s_request_t *req, const char *type,
              const s_cases_t *cases, json_t *moved, json_t *renewed)
{
    s_renew_t r = { .req = req, .type = type, .found = calloc (RENEW_MAX, sizeof *r.found) };
    tsg_hub_case_t *c = malloc (sizeof *c);
    bool ok = r.found && c;
    for (size_t i = 0; ok && i < cases->n; i++) {
        if (!tsg_hub_case_get (txn, cases->ids[i], c))
            continue;
        s_flag_consents (txn, c->id, &r);
        uint8_t *envelope = NULL;
        size_t len = 0;
        char detail[TSG_HUB_DETAIL_MAX];
        int rc = s_letter (env, req, c, &r, &envelope, &len);
        Tsunagu__V1__ErrorCode code =
            rc == TSG_OK ? tsg_hub_intake_staff (env->intake, envelope, len, detail, sizeof detail)
                         : TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED;
        free (envelope);
        if (rc != TSG_OK || code != 0) {
            snprintf (req->why, sizeof req->why, "case %s could not be moved: %.120s", c->id,
                      rc != TSG_OK ? tsg_strerror (rc) : detail);
            ok = false;
            break;
        }
        json_array_append_new (moved, json_string (c->id));
        for (size_t k = 0; k < r.n; k++)
            json_array_append_new (
                renewed, json_pack ("{s:s, s:s}", "consent_id", r.ids[k], "case_id", c->id));
    }
    if (!r.found || !c)
        snprintf (req->why, sizeof req->why, "out of memory; nothing changed");
    free (r.found);
    free (c);
    return ok;
}

/* Revokes previous, naming its successor, and audits the whole succession (details taken). */
static void
s_revoke (const tsg_hub_control_env_t *env, tsg_txn_t *txn, const s_request_t *req,
          Tsunagu__V1__AgencyEntry *previous, json_t *details)
{
    char *by = previous->status_changed_by, *reason = previous->status_reason,
         *successor = previous->succeeded_by;
    char text[REASON_MAX + 64];
    snprintf (text, sizeof text, "succeeded by %s%s%s", req->agency, req->reason ? ": " : "",
              req->reason ? req->reason : "");
    previous->status = TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED;
    previous->status_changed_at_ms = req->now_ms;
    previous->status_changed_by = (char *) req->actor;
    previous->status_reason = text;
    previous->succeeded_by = (char *) req->agency;
    tsg_registry_put (txn, previous);
    previous->status_changed_by = by;
    previous->status_reason = reason;
    previous->succeeded_by = successor;
    json_object_set_new (details, "agency", json_string (req->previous));
    json_object_set_new (details, "successor", json_string (req->agency));
    json_object_set_new (details, "effective_on", json_string (req->effective_on));
    json_object_set_new (details, "to", json_string ("revoked"));
    json_object_set_new (details, "actor", json_string (req->actor));
    json_object_set_new (details, "via", json_string (env->via ? env->via : "control"));
    if (req->reason)
        json_object_set_new (details, "reason", json_string (req->reason));
    tsg_hub_audit_add (tsg_hub_intake_audit (env->intake), "registry", NULL, NULL, NULL,
                       "agency-succeed", details);
}

/* The registry entries of the two agencies, in txn; NULL (txn aborted, the refusal in
 * *answer) when either is unknown or they may not be succeeded. */
static bool
s_entries (tsg_txn_t *txn, s_request_t *req, Tsunagu__V1__AgencyEntry **previous,
           Tsunagu__V1__AgencyEntry **agency, char **answer)
{
    *previous = tsg_registry_get (txn, req->previous);
    *agency = *previous ? tsg_registry_get (txn, req->agency) : NULL;
    const char *code = NULL;
    if (!*previous || !*agency) {
        snprintf (req->why, sizeof req->why, "no agency %s is registered",
                  *previous ? req->agency : req->previous);
        code = txn->rc == TSG_OK ? "unknown_agency" : "store";
    }
    else
        code = s_refusal (*previous, *agency, req);
    if (!code)
        return true;
    *answer = tsg_hub_control_refusal (code, req->why);
    if (*previous)
        tsunagu__v1__agency_entry__free_unpacked (*previous, NULL);
    if (*agency)
        tsunagu__v1__agency_entry__free_unpacked (*agency, NULL);
    tsg_txn_abort (txn);
    return false;
}

/* What an offline succession (tsunagu-coordinator --apply) makes for itself: the letters it
 * stores are signed with the coordinator's key file and wait in the mailboxes for the next
 * start. */
typedef struct {
    tsg_keys_t *keys;               /* loaded from env->keys_path */
    tsg_hub_directory_t *directory; /* the registry as stored */
    tsg_hub_intake_t *intake;       /* applies the events, audited to env->audit */
    tsg_hub_control_env_t env;      /* env with the above */
} s_offline_t;

static void
s_offline_clear (s_offline_t *o)
{
    tsg_hub_intake_destroy (&o->intake);
    tsg_hub_directory_destroy (&o->directory);
    tsg_keys_destroy (&o->keys);
}

/* Fills *o for env, which has no intake (offline); false (why said) when the keys or the
 * registry cannot be read. */
static bool
s_offline_open (const tsg_hub_control_env_t *env, s_offline_t *o, char *why, size_t size)
{
    memset (o, 0, sizeof *o);
    char err[256] = "";
    int rc = env->keys_path ? tsg_keys_load (env->keys_path, &o->keys, err, sizeof err)
                            : TSG_ERR_NOT_FOUND;
    if (rc != TSG_OK) {
        snprintf (why, size,
                  "a succession sends letters signed by the coordinator, whose keys "
                  "cannot be read: %.96s",
                  err[0] ? err : tsg_strerror (rc));
        return false;
    }
    o->directory = tsg_hub_directory_new (o->keys);
    tsg_txn_t txn;
    tsg_txn_begin (env->store, &txn, false);
    rc = o->directory ? tsg_hub_directory_load (o->directory, &txn) : TSG_ERR_NOMEM;
    tsg_txn_abort (&txn);
    o->intake = rc == TSG_OK ? tsg_hub_intake_new (o->directory, o->keys) : NULL;
    if (!o->intake) {
        snprintf (why, size, "the registry could not be read; nothing changed");
        s_offline_clear (o);
        return false;
    }
    tsg_hub_intake_set_audit (o->intake, env->audit);
    o->env = *env;
    o->env.intake = o->intake;
    o->env.keys = o->keys;
    o->env.directory = o->directory;
    return true;
}

static char *s_succeed (const tsg_hub_control_env_t *env, s_request_t *req);

char *
tsg_hub_succession_answer (const tsg_hub_control_env_t *env, const json_t *request)
{
    s_request_t req;
    if (!s_read (request, &req))
        return tsg_hub_control_refusal ("bad_request", req.why);
    if (env->intake && env->keys)
        return s_succeed (env, &req);
    s_offline_t offline;
    if (!s_offline_open (env, &offline, req.why, sizeof req.why))
        return tsg_hub_control_refusal ("store", req.why);
    char *answer = s_succeed (&offline.env, &req);
    s_offline_clear (&offline);
    return answer;
}

/* The succession req asks, checked and applied with env's intake. */
static char *
s_succeed (const tsg_hub_control_env_t *env, s_request_t *reqp)
{
    s_request_t req = *reqp;
    tsg_txn_t txn;
    tsg_txn_begin (env->store, &txn, true);
    Tsunagu__V1__AgencyEntry *previous = NULL, *agency = NULL;
    char *answer = NULL;
    if (!s_entries (&txn, &req, &previous, &agency, &answer))
        return answer;
    s_cases_t cases = { NULL, 0, 0, false };
    json_t *moved = json_array (), *renewed = json_array ();
    const char *was = tsg_agency_status_name (previous->status);
    tsg_hub_intake_begin (env->intake, &txn);
    bool ok = s_cases_of (&txn, req.previous, &cases) && moved && renewed;
    if (!ok)
        snprintf (req.why, sizeof req.why, "the cases of %s could not be read", req.previous);
    ok = ok && s_move_cases (env, &txn, &req, agency->type, &cases, moved, renewed);
    size_t withheld =
        ok ? tsg_hub_intake_withhold_succeeded (env->intake, req.previous, req.agency) : 0;
    if (ok) {
        s_revoke (env, &txn, &req, previous,
                  json_pack ("{s:s, s:s, s:O, s:O, s:I}", "type", agency->type, "from", was,
                             "cases", moved, "consents_to_renew", renewed, "withheld",
                             (json_int_t) withheld));
        tsg_hub_intake_end (env->intake);
    }
    int rc = TSG_ERR_IO;
    if (ok)
        rc = tsg_hub_audit_commit (tsg_hub_intake_audit (env->intake), &txn);
    else {
        tsg_txn_abort (&txn);
        tsg_hub_audit_rollback (tsg_hub_intake_audit (env->intake));
    }
    if (ok && rc == TSG_OK) {
        log_info ("registry: %s succeeded by %s by %s (%s): %zu cases, %zu consents to renew, "
                  "%zu letters withheld",
                  req.previous, req.agency, req.actor, env->via ? env->via : "control",
                  json_array_size (moved), json_array_size (renewed), withheld);
        answer = tsg_hub_control_dump (json_pack (
            "{s:b, s:b, s:s, s:s, s:s, s:s, s:O, s:O, s:I}", "ok", 1, "changed", 1, "agency",
            req.previous, "successor", req.agency, "was", was, "effective_on", req.effective_on,
            "cases", moved, "consents_to_renew", renewed, "withheld", (json_int_t) withheld));
    }
    else {
        log_warnx ("control: succession of %s by %s failed: %s", req.previous, req.agency,
                   ok ? tsg_strerror (rc) : req.why);
        answer = ok ? tsg_hub_control_refusal ("store", "the succession could not be stored; "
                                                        "nothing changed")
                    : tsg_hub_control_refusal ("store", req.why);
    }
    json_decref (moved);
    json_decref (renewed);
    free (cases.ids);
    tsunagu__v1__agency_entry__free_unpacked (previous, NULL);
    tsunagu__v1__agency_entry__free_unpacked (agency, NULL);
    return answer;
}
