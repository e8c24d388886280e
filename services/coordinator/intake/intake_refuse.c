/* intake_refuse.c — the intake's refusals: the answer, one log line and one audit record,
 * once per agency and cause for the ones a peer can repeat (quiet.h); the records of letters
 * let through; the alert for a full quota. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/alerts.h"
#include "coordinator/intake/intake_parts.h"
#include "coordinator/intake/legal_basis.h"

/* Short hex of a message id for logs (first 8 bytes). */
const char *
hub_intake_id_text (const uint8_t *id, size_t len, char out[17])
{
    if (!id || len != TSG_MESSAGE_ID_SIZE) {
        snprintf (out, 17, "-");
        return out;
    }
    tsg_hex_encode (id, 8, out);
    return out;
}

/* A JSON string of text, with bytes that are not UTF-8 (a sentence cut short) replaced. */
static json_t *
s_json_text (const char *text)
{
    json_t *value = json_string (text ? text : "");
    if (value)
        return value;
    char clean[TSG_HUB_DETAIL_MAX];
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *) text; *p && n + 1 < sizeof clean; p++)
        clean[n++] = *p < 0x80 && *p >= 0x20 ? (char) *p : '?';
    clean[n] = '\0';
    return json_string (clean);
}

/* Adds a uuid-shaped id of the letter's header to details under key (nothing else: a refused
 * letter's header is not trusted to hold ids only). */
static void
s_detail_id (json_t *details, const char *key, const char *id)
{
    if (id && tsg_uuid_valid (id))
        json_object_set_new (details, key, json_string (id));
}

/* Audits the refusal in answer of the letter being decided (self->letter, NULL when it could
 * not be read) from auth_id. */
void
hub_intake_audit_refused (tsg_hub_intake_t *self, const char *auth_id,
                          const tsg_hub_answer_t *answer)
{
    if (!self->audit)
        return;
    const tsg_letter_t *letter = self->letter;
    const tsg_header_t *h = letter ? letter->header : NULL;
    json_t *details = json_pack ("{s:s, s:o, s:b}", "code", tsg_error_code_name (answer->code),
                                 "detail", s_json_text (answer->detail), "final", answer->final);
    if (details && h) {
        if (h->legal_basis != TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_UNSPECIFIED)
            json_object_set_new (details, "basis",
                                 json_string (tsg_legal_basis_name (h->legal_basis)));
        s_detail_id (details, "case_id", h->case_id);
        s_detail_id (details, "referral_id", h->referral_id);
        s_detail_id (details, "consent_id", h->consent_id);
    }
    /* A decoded letter's recipient is an agency id or "coordinator" (tsg_envelope_decode). */
    tsg_hub_audit_add (self->audit, "refused", answer->has_about ? answer->about : NULL, auth_id,
                       letter && letter->recipient ? letter->recipient : "",
                       letter ? tsg_kind_name (letter->kind) : "unknown", details);
}

/* Audits a letter that was let through, with how (route). */
void
hub_intake_audit_allowed (tsg_hub_intake_t *self, const char *auth_id, const tsg_letter_t *letter,
                          const tsg_hub_route_t *route)
{
    if (!self->audit)
        return;
    json_t *details = json_pack ("{s:s, s:o, s:o}", "basis", tsg_legal_basis_name (route->basis),
                                 "flags", tsg_hub_legal_flags_json (route->flags), "categories",
                                 tsg_hub_categories_json (route->categories));
    if (details) {
        s_detail_id (details, "case_id", route->case_id);
        s_detail_id (details, "referral_id", route->referral_id);
        s_detail_id (details, "consent_id", route->consent_id);
        if (letter->n_sealed_bodies > 0)
            json_object_set_new (details, "sealed_bodies",
                                 json_integer ((json_int_t) letter->n_sealed_bodies));
    }
    tsg_hub_audit_add (self->audit, "allowed", letter->message_id.data, auth_id, letter->recipient,
                       tsg_kind_name (letter->kind), details);
}

/* Fills answer with a refusal; logs and audits it (always when !repeatable; for a repeatable
 * cause only the first time in its window, quiet.h). */
static bool
s_refuse_v (tsg_hub_intake_t *self, bool repeatable, tsg_hub_answer_t *answer, const char *auth_id,
            const char *what, Tsunagu__V1__ErrorCode code, bool final, const char *fmt, va_list ap)
{
    answer->type = TSG_HUB_ANSWER_ERROR;
    answer->code = code;
    answer->final = final;
    vsnprintf (answer->detail, sizeof answer->detail, fmt, ap);
    uint64_t repeats = 0;
    if (repeatable
        && !tsg_hub_quiet_note (self->quiet, auth_id, code, tsg_monotonic_ms (), &repeats))
        return false;
    char id[17];
    char again[64] = "";
    if (repeats > 0)
        snprintf (again, sizeof again, " (refused %llu more times for this since)",
                  (unsigned long long) repeats);
    log_info ("refused %s %s from %s: %s%s: %s%s", what,
              hub_intake_id_text (answer->has_about ? answer->about : NULL,
                                  answer->has_about ? TSG_MESSAGE_ID_SIZE : 0, id),
              auth_id, tsg_error_code_name (code), final ? "" : " (not final)", answer->detail,
              again);
    hub_intake_audit_refused (self, auth_id, answer);
    return true;
}

void
hub_intake_refuse (tsg_hub_intake_t *self, tsg_hub_answer_t *answer, const char *auth_id,
                   const char *what, Tsunagu__V1__ErrorCode code, bool final, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    s_refuse_v (self, false, answer, auth_id, what, code, final, fmt, ap);
    va_end (ap);
}

bool
hub_intake_refuse_repeatable (tsg_hub_intake_t *self, tsg_hub_answer_t *answer, const char *auth_id,
                              const char *what, Tsunagu__V1__ErrorCode code, bool final,
                              const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    bool logged = s_refuse_v (self, true, answer, auth_id, what, code, final, fmt, ap);
    va_end (ap);
    return logged;
}

/* Raises an alert for the coordinator's staff: agency's quota (or the store) is full. */
void
hub_intake_alert_full (tsg_hub_intake_t *self, const char *agency, Tsunagu__V1__ErrorCode code,
                       const char *detail)
{
    tsg_hub_alert_t alert;
    memset (&alert, 0, sizeof alert);
    alert.at_ms = self->now_ms;
    snprintf (alert.sender, sizeof alert.sender, "%s", agency);
    snprintf (alert.kind, sizeof alert.kind, "%s",
              code == TSUNAGU__V1__ERROR_CODE__ERROR_STORE_FULL ? "store_full" : "quota");
    snprintf (alert.detail, sizeof alert.detail, "%s", detail);
    tsg_hub_alert_add (self->txn, &alert);
    log_warnx ("ALERT %llu: %s: %s", (unsigned long long) alert.n, alert.kind, detail);
}

void
hub_intake_ignore (tsg_hub_intake_t *self, tsg_hub_answer_t *answer, const char *auth_id,
                   Tsunagu__V1__ErrorCode code, const char *fmt, ...)
{
    char why[TSG_HUB_DETAIL_MAX];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (why, sizeof why, fmt, ap);
    va_end (ap);
    answer->type = TSG_HUB_ANSWER_NONE;
    answer->needs_commit = false;
    uint64_t repeats = 0;
    if (tsg_hub_quiet_note (self->quiet, auth_id, code, tsg_monotonic_ms (), &repeats))
        log_info ("ignored a receipt from %s: %s (%llu more since the last such line)", auth_id,
                  why, (unsigned long long) repeats);
    if ((unsigned) code < TSG_HUB_ERROR_CODES)
        self->counters.ignored[code]++;
}

/* The refusal for a letter that tsg_envelope_decode would not accept.  Reads what it can of
 * the letter to name it in the answer; such a letter consumes no sequence number. */
void
hub_intake_undecodable (tsg_hub_intake_t *self, tsg_hub_answer_t *answer, const char *auth_id,
                        const uint8_t *frame, size_t len, int rc, const char *why)
{
    Tsunagu__V1__ErrorCode code = rc == TSG_ERR_TOO_LARGE
                                      ? TSUNAGU__V1__ERROR_CODE__ERROR_TOO_LARGE
                                      : TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED;
    Tsunagu__V1__Envelope *envelope =
        len <= TSG_ENVELOPE_MAX ? tsunagu__v1__envelope__unpack (NULL, len, frame) : NULL;
    tsg_letter_t *letter =
        envelope ? tsunagu__v1__letter__unpack (NULL, envelope->signed_.len, envelope->signed_.data)
                 : NULL;
    if (letter) {
        if (letter->message_id.len == TSG_MESSAGE_ID_SIZE) {
            memcpy (answer->about, letter->message_id.data, TSG_MESSAGE_ID_SIZE);
            answer->has_about = true;
        }
        /* Version 0 means no version at all: that is malformed, not another version. */
        if (letter->version != TSUNAGU_PROTOCOL_VERSION && letter->version != 0)
            code = TSUNAGU__V1__ERROR_CODE__ERROR_BAD_VERSION;
        else if (letter->body.len > TSG_BODY_MAX)
            code = TSUNAGU__V1__ERROR_CODE__ERROR_TOO_LARGE;
        tsunagu__v1__letter__free_unpacked (letter, NULL);
    }
    if (envelope)
        tsunagu__v1__envelope__free_unpacked (envelope, NULL);
    hub_intake_refuse_repeatable (self, answer, auth_id, "letter", code, true, "%s",
                                  why ? why : "the envelope cannot be read");
}
