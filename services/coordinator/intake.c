/* intake.c — checks each inbound letter (identity, shape, signature, sequence, clock, recipient)
 * and stores it, refuses it, re-answers it or applies it as an acknowledgement. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/alerts.h"
#include "coordinator/casework.h"
#include "coordinator/codec.h"
#include "coordinator/consents.h"
#include "coordinator/intake.h"
#include "coordinator/legal_basis.h"
#include "coordinator/quiet.h"
#include "coordinator/stats.h"

/* One acknowledged mailbox entry. */
typedef struct {
    char recipient[TSG_ID_MAX + 1]; /* whose mailbox */
    uint64_t seq;                   /* which entry */
} s_acked_t;

struct _tsg_hub_intake_t {
    const tsg_hub_directory_t *directory; /* senders and recipients (borrowed) */
    tsg_hub_casework_t *casework;         /* referrals, cases and consents */
    tsg_hub_audit_t *audit;               /* routing decisions (borrowed; NULL: none) */
    tsg_hub_quiet_t *quiet;               /* refusal causes already logged */
    tsg_hub_limits_t limits;              /* quotas and the dedup window */
    tsg_hub_prune_cursor_t prune;         /* where the retention sweep goes on */
    bool store_full;                      /* refuse new letters: the store is near its ceiling */
    const tsg_letter_t *letter;           /* the letter being decided (NULL: unreadable) */
    tsg_hub_intake_counters_t counters;   /* letters stored and refused since start */
    tsg_txn_t *txn;                       /* the batch's write transaction (borrowed) */
    uint64_t now_ms;                      /* the batch's wall clock */
    char (*new_mail)[TSG_ID_MAX + 1];     /* recipients given new mail in this batch */
    size_t new_mail_count;                /* entries of new_mail in use */
    size_t new_mail_capacity;             /* entries of new_mail allocated */
    s_acked_t *acked;                     /* entries deleted by acknowledgements */
    size_t acked_count;                   /* entries of acked in use */
    size_t acked_capacity;                /* entries of acked allocated */
};

static void s_note_new_mail (tsg_hub_intake_t *self, const char *recipient);

static void s_note_acked (tsg_hub_intake_t *self, const char *recipient, uint64_t seq);

/* tsg_hub_mail_fn for the casework. */
static void
s_mail_noted (void *arg, const char *recipient)
{
    s_note_new_mail (arg, recipient);
}

/* tsg_hub_gone_fn for the casework: a withheld entry leaves the session's window as an
 * acknowledged one does. */
static void
s_gone_noted (void *arg, const char *recipient, uint64_t seq)
{
    s_note_acked (arg, recipient, seq);
}

tsg_hub_intake_t *
tsg_hub_intake_new (const tsg_hub_directory_t *directory, const tsg_keys_t *keys)
{
    tsg_hub_intake_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->directory = directory;
    self->limits = tsg_hub_limits_default ();
    self->casework = tsg_hub_casework_new (directory, keys, s_mail_noted, s_gone_noted, self);
    self->quiet = tsg_hub_quiet_new ();
    if (!self->casework || !self->quiet)
        tsg_hub_intake_destroy (&self);
    return self;
}

void
tsg_hub_intake_destroy (tsg_hub_intake_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_hub_casework_destroy (&(*self_p)->casework);
    tsg_hub_quiet_destroy (&(*self_p)->quiet);
    free ((*self_p)->new_mail);
    free ((*self_p)->acked);
    free (*self_p);
    *self_p = NULL;
}

void
tsg_hub_intake_set_audit (tsg_hub_intake_t *self, tsg_hub_audit_t *audit)
{
    self->audit = audit;
    tsg_hub_casework_set_audit (self->casework, audit);
}

tsg_hub_audit_t *
tsg_hub_intake_audit (const tsg_hub_intake_t *self)
{
    return self->audit;
}

void
tsg_hub_intake_begin (tsg_hub_intake_t *self, tsg_txn_t *txn)
{
    self->txn = txn;
    self->now_ms = tsg_now_ms ();
    self->new_mail_count = 0;
    self->acked_count = 0;
    tsg_hub_casework_begin (self->casework, txn, self->now_ms);
}

void
tsg_hub_intake_end (tsg_hub_intake_t *self)
{
    tsg_hub_casework_end (self->casework);
}

void
tsg_hub_intake_set_limits (tsg_hub_intake_t *self, const tsg_hub_limits_t *limits)
{
    self->limits = *limits;
}

const tsg_hub_limits_t *
tsg_hub_intake_limits (const tsg_hub_intake_t *self)
{
    return &self->limits;
}

bool
tsg_hub_intake_store_full (const tsg_hub_intake_t *self)
{
    return self->store_full;
}

void
tsg_hub_intake_set_store_full (tsg_hub_intake_t *self, bool full)
{
    if (full != self->store_full)
        log_warnx (full ? "store: near its ceiling; new letters are refused (store_full) until "
                          "mail is delivered or pruned"
                        : "store: room again; new letters are taken");
    self->store_full = full;
}

void
tsg_hub_intake_registry_changed (tsg_hub_intake_t *self)
{
    tsg_hub_quiet_clear (self->quiet);
}

uint64_t
tsg_hub_intake_repeats (const tsg_hub_intake_t *self, Tsunagu__V1__ErrorCode code)
{
    return tsg_hub_quiet_repeats (self->quiet, code);
}

const tsg_hub_intake_counters_t *
tsg_hub_intake_counters (const tsg_hub_intake_t *self)
{
    return &self->counters;
}

size_t
tsg_hub_intake_new_mail_count (const tsg_hub_intake_t *self)
{
    return self->new_mail_count;
}

const char *
tsg_hub_intake_new_mail (const tsg_hub_intake_t *self, size_t index)
{
    return index < self->new_mail_count ? self->new_mail[index] : NULL;
}

size_t
tsg_hub_intake_acked_count (const tsg_hub_intake_t *self)
{
    return self->acked_count;
}

const char *
tsg_hub_intake_acked (const tsg_hub_intake_t *self, size_t index, uint64_t *seq)
{
    if (index >= self->acked_count)
        return NULL;
    *seq = self->acked[index].seq;
    return self->acked[index].recipient;
}

/* Notes that recipient has new mail.  An allocation failure only delays forwarding until
 * the recipient's next session event, so it is logged, not fatal. */
static void
s_note_new_mail (tsg_hub_intake_t *self, const char *recipient)
{
    for (size_t i = 0; i < self->new_mail_count; i++)
        if (strcmp (self->new_mail[i], recipient) == 0)
            return;
    if (self->new_mail_count == self->new_mail_capacity) {
        size_t capacity = self->new_mail_capacity ? self->new_mail_capacity * 2 : 16;
        void *grown = realloc (self->new_mail, capacity * sizeof *self->new_mail);
        if (!grown) {
            log_warnx ("intake: out of memory noting new mail");
            return;
        }
        self->new_mail = grown;
        self->new_mail_capacity = capacity;
    }
    snprintf (self->new_mail[self->new_mail_count++], TSG_ID_MAX + 1, "%s", recipient);
}

static void
s_note_acked (tsg_hub_intake_t *self, const char *recipient, uint64_t seq)
{
    if (self->acked_count == self->acked_capacity) {
        size_t capacity = self->acked_capacity ? self->acked_capacity * 2 : 64;
        void *grown = realloc (self->acked, capacity * sizeof *self->acked);
        if (!grown) {
            log_warnx ("intake: out of memory noting an acknowledgement");
            return;
        }
        self->acked = grown;
        self->acked_capacity = capacity;
    }
    s_acked_t *entry = &self->acked[self->acked_count++];
    snprintf (entry->recipient, sizeof entry->recipient, "%s", recipient);
    entry->seq = seq;
}

/* Short hex of a message id for logs (first 8 bytes). */
static const char *
s_id_text (const uint8_t *id, size_t len, char out[17])
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
static void
s_audit_refused (tsg_hub_intake_t *self, const char *auth_id, const tsg_hub_answer_t *answer)
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
static void
s_audit_allowed (tsg_hub_intake_t *self, const char *auth_id, const tsg_letter_t *letter,
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
              s_id_text (answer->has_about ? answer->about : NULL,
                         answer->has_about ? TSG_MESSAGE_ID_SIZE : 0, id),
              auth_id, tsg_error_code_name (code), final ? "" : " (not final)", answer->detail,
              again);
    s_audit_refused (self, auth_id, answer);
    return true;
}

/* A refusal of a letter that was read and decided on: logged and audited every time. */
static void s_refuse (tsg_hub_intake_t *self, tsg_hub_answer_t *answer, const char *auth_id,
                      const char *what, Tsunagu__V1__ErrorCode code, bool final, const char *fmt,
                      ...) __attribute__ ((format (printf, 7, 8)));

static void
s_refuse (tsg_hub_intake_t *self, tsg_hub_answer_t *answer, const char *auth_id, const char *what,
          Tsunagu__V1__ErrorCode code, bool final, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    s_refuse_v (self, false, answer, auth_id, what, code, final, fmt, ap);
    va_end (ap);
}

/* A refusal a peer can repeat without limit (identity, shape, signature, an inactive
 * sender, a full quota): logged and audited once per agency and cause per window, then
 * counted.  True when this one was logged. */
static bool s_refuse_repeatable (tsg_hub_intake_t *self, tsg_hub_answer_t *answer,
                                 const char *auth_id, const char *what, Tsunagu__V1__ErrorCode code,
                                 bool final, const char *fmt, ...)
    __attribute__ ((format (printf, 7, 8)));

static bool
s_refuse_repeatable (tsg_hub_intake_t *self, tsg_hub_answer_t *answer, const char *auth_id,
                     const char *what, Tsunagu__V1__ErrorCode code, bool final, const char *fmt,
                     ...)
{
    va_list ap;
    va_start (ap, fmt);
    bool logged = s_refuse_v (self, true, answer, auth_id, what, code, final, fmt, ap);
    va_end (ap);
    return logged;
}

/* Raises an alert for the coordinator's staff: agency's quota (or the store) is full. */
static void
s_alert_full (tsg_hub_intake_t *self, const char *agency, Tsunagu__V1__ErrorCode code,
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

/* Notes a problem with an acknowledgement, which is never answered: logged once per agency
 * and cause per window, counted, and the answer left empty. */
static void s_ignore (tsg_hub_intake_t *self, tsg_hub_answer_t *answer, const char *auth_id,
                      Tsunagu__V1__ErrorCode code, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));

static void
s_ignore (tsg_hub_intake_t *self, tsg_hub_answer_t *answer, const char *auth_id,
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
static void
s_undecodable (tsg_hub_intake_t *self, tsg_hub_answer_t *answer, const char *auth_id,
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
    s_refuse_repeatable (self, answer, auth_id, "letter", code, true, "%s",
                         why ? why : "the envelope cannot be read");
}

/* True for the agency-to-agency kinds that travel with a sequence number. */
static bool
s_kind_sequenced (Tsunagu__V1__Kind kind)
{
    switch (kind) {
    case TSUNAGU__V1__KIND__KIND_REFERRAL:
    case TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS:
    case TSUNAGU__V1__KIND__KIND_CONSENT_GRANT:
    case TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE:
    case TSUNAGU__V1__KIND__KIND_CASE_EVENT: return true;
    default: return false;
    }
}

/* True when created_at is within the accepted clock skew of now: not more than 5 minutes
 * ahead, and not older than the dedup window (an older id may have been forgotten). */
static bool
s_clock_ok (const tsg_hub_intake_t *self, uint64_t created_at)
{
    if (created_at > self->now_ms + TSG_HUB_SKEW_AHEAD_MS)
        return false;
    return self->now_ms < self->limits.dedup_ms
           || created_at >= self->now_ms - self->limits.dedup_ms;
}

/* The cleartext header carries ids, codes, dates and issue tags only (proto/README.md §2): a
 * field of another shape may hide a name or a phone number, which the coordinator would then
 * keep.  Returns 0 or the refusal, with the sentence in detail. */
static Tsunagu__V1__ErrorCode
s_check_header (const tsg_letter_t *letter, char *detail, size_t size)
{
    const tsg_header_t *h = letter->header;
    if (!h)
        return 0;
    const struct {
        const char *name;  /* the field */
        const char *value; /* its text */
    } ids[] = { { "case_id", h->case_id },
                { "referral_id", h->referral_id },
                { "consent_id", h->consent_id } },
      dates[] = { { "due_date", h->due_date }, { "receive_due_date", h->receive_due_date } };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i].value && *ids[i].value && !tsg_uuid_valid (ids[i].value)) {
            snprintf (detail, size, "header.%s must be a lowercase UUID", ids[i].name);
            return TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED;
        }
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++)
        if (dates[i].value && *dates[i].value && !tsg_hub_date_ok (dates[i].value)) {
            snprintf (detail, size, "header.%s must be a date YYYY-MM-DD", dates[i].name);
            return TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED;
        }
    tsg_ref_state_t state;
    if (h->status && *h->status && !tsg_ref_state_parse (h->status, &state)
        && strcmp (h->status, "revoked") != 0 && strcmp (h->status, "expired") != 0) {
        snprintf (detail, size,
                  "header.status must be a referral state (or revoked for a consent revoke)");
        return letter->kind == TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS
                   ? TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION
                   : TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED;
    }
    tsg_outcome_t outcome;
    if (h->outcome && *h->outcome && !tsg_outcome_parse (h->outcome, &outcome)) {
        snprintf (detail, size, "header.outcome must be an outcome code such as got-help");
        return letter->kind == TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS
                   ? TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION
                   : TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED;
    }
    /* The coordinator holds no personal data: a tag that looks like some is refused. */
    for (size_t i = 0; i < h->n_tags; i++) {
        char why[TSG_CLEARTEXT_WHY_SIZE];
        /* (An empty or overlong tag is malformed: the casework says so.) */
        if (h->tags[i] && *h->tags[i] && strlen (h->tags[i]) <= TSG_TAG_LEN_MAX
            && !tsg_cleartext_tag_ok (h->tags[i], why, sizeof why)) {
            snprintf (detail, size, "tags[%zu] %s", i, why);
            return TSUNAGU__V1__ERROR_CODE__ERROR_PERSONAL_DATA;
        }
    }
    /* The urgent flag marks an abuse report, and recipients act on it at once. */
    if (h->urgent && h->legal_basis != TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY) {
        snprintf (detail, size,
                  "only an emergency report (legal basis emergency) may be flagged urgent");
        return TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS;
    }
    return 0;
}

/* The checks a new sequenced letter must pass before it is stored.  Returns 0 (stored may
 * go ahead) or the error code, with the sentence in detail. */
static Tsunagu__V1__ErrorCode
s_check_new (const tsg_hub_intake_t *self, const tsg_letter_t *letter, char *detail, size_t size)
{
    const char *kind = tsg_kind_name (letter->kind);
    if (!s_kind_sequenced (letter->kind)) {
        snprintf (detail, size, "agencies may not send %s letters with a sequence number", kind);
        return TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED;
    }
    if (!s_clock_ok (self, letter->created_at_ms)) {
        snprintf (detail, size,
                  "created_at is more than 5 minutes ahead or %llu days behind the coordinator's "
                  "clock",
                  (unsigned long long) (self->limits.dedup_ms / (24 * 3600 * 1000)));
        return TSUNAGU__V1__ERROR_CODE__ERROR_CLOCK_SKEW;
    }
    Tsunagu__V1__ErrorCode header_code = s_check_header (letter, detail, size);
    if (header_code != 0)
        return header_code;
    /* The sender's type is the registry's; a header that says otherwise is not believed. */
    const Tsunagu__V1__AgencyEntry *from = tsg_hub_directory_find (self->directory, letter->sender);
    const char *claimed = letter->header ? letter->header->sender_type : NULL;
    if (from && claimed && *claimed && strcmp (claimed, from->type) != 0) {
        snprintf (detail, size,
                  "header.sender_type is \"%.32s\" but agency \"%s\" is registered as %s", claimed,
                  letter->sender, from->type);
        return TSUNAGU__V1__ERROR_CODE__ERROR_SENDER_MISMATCH;
    }
    /* Case events and consent letters go to the coordinator, which passes them on to the
     * case's agencies. */
    bool to_coordinator = strcmp (letter->recipient, TSG_COORDINATOR_ID) == 0;
    bool fans_out = tsg_hub_casework_fans_out (letter->kind);
    if (fans_out || to_coordinator) {
        if (fans_out && to_coordinator)
            return 0;
        if (to_coordinator)
            snprintf (detail, size, "the coordinator takes only case-event and consent letters");
        else
            snprintf (detail, size, "%s letters go to the coordinator", kind);
        return TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED;
    }
    const Tsunagu__V1__AgencyEntry *to =
        tsg_hub_directory_find (self->directory, letter->recipient);
    if (!to) {
        snprintf (detail, size, "no agency \"%s\" is registered", letter->recipient);
        return TSUNAGU__V1__ERROR_CODE__ERROR_UNKNOWN_RECIPIENT;
    }
    if (to->status != TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE) {
        snprintf (detail, size, "agency \"%s\" is %s", letter->recipient,
                  tsg_agency_status_name (to->status));
        return TSUNAGU__V1__ERROR_CODE__ERROR_RECIPIENT_INACTIVE;
    }
    if ((letter->body.len > 0 || letter->n_sealed_bodies > 0)
        && (!letter->header
            || letter->header->legal_basis == TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_UNSPECIFIED)) {
        snprintf (detail, size, "a letter with a body must name its legal basis");
        return TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS;
    }
    return 0;
}

/* A letter with a sequence number: dedup, order, then store or refuse (proto/README.md §4). */
static void
s_sequenced (tsg_hub_intake_t *self, const char *auth_id, const tsg_envelope_t *env,
             const uint8_t *frame, size_t len, tsg_hub_answer_t *answer)
{
    tsg_txn_t *txn = self->txn;
    const tsg_letter_t *letter = env->letter;
    const char *kind = tsg_kind_name (letter->kind);
    const uint8_t *id = letter->message_id.data;
    uint64_t seq = letter->sequence;
    /* Whatever follows reads or writes the batch's transaction. */
    answer->needs_commit = true;
    uint64_t last = tsg_hub_sender_last (txn, auth_id);
    if (txn->rc != TSG_OK) {
        tsg_hub_answer_store_failed (answer);
        return;
    }
    if (seq <= last) {
        tsg_hub_message_t known;
        if (tsg_hub_message_get (txn, id, &known) && strcmp (known.sender, auth_id) == 0) {
            if (known.state == TSG_HUB_MSG_REFUSED) {
                answer->type = TSG_HUB_ANSWER_ERROR;
                answer->code = known.error_code;
                answer->final = true;
                snprintf (answer->detail, sizeof answer->detail, "%s", known.detail);
            }
            else
                answer->type = TSG_HUB_ANSWER_STORED;
            if (log_verbose ()) {
                char text[17];
                log_debug ("resend of %s %s seq %llu from %s: answered again", kind,
                           s_id_text (id, TSG_MESSAGE_ID_SIZE, text), (unsigned long long) seq,
                           auth_id);
            }
        }
        else
            s_refuse_repeatable (
                self, answer, auth_id, kind, TSUNAGU__V1__ERROR_CODE__ERROR_OUT_OF_ORDER, true,
                "sequence %llu was already used by another letter", (unsigned long long) seq);
        return;
    }
    if (seq > last + 1) {
        s_refuse_repeatable (
            self, answer, auth_id, kind, TSUNAGU__V1__ERROR_CODE__ERROR_OUT_OF_ORDER, false,
            "expected sequence %llu, got %llu: resend from the first unacknowledged letter",
            (unsigned long long) (last + 1), (unsigned long long) seq);
        return;
    }

    /* seq == last + 1: this letter takes the number, whether it is stored or refused. */
    tsg_hub_sender_set (txn, auth_id, seq);
    char detail[TSG_HUB_DETAIL_MAX];
    Tsunagu__V1__ErrorCode code = s_check_new (self, letter, detail, sizeof detail);
    tsg_hub_message_t known;
    bool id_taken = tsg_hub_message_get (txn, id, &known);
    if (code == 0 && id_taken) {
        code = TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED;
        snprintf (detail, sizeof detail, "the message id was already used");
    }
    /* Room: the store near its ceiling, or this sender's or this mailbox's quota full. */
    bool fans_out = tsg_hub_casework_fans_out (letter->kind);
    if (code == 0 && !id_taken && self->store_full) {
        code = TSUNAGU__V1__ERROR_CODE__ERROR_STORE_FULL;
        snprintf (detail, sizeof detail,
                  "the coordinator's store is near its ceiling; the letter was not taken");
    }
    if (code == 0 && !id_taken
        && !tsg_hub_quota_check (txn, &self->limits, auth_id, fans_out ? NULL : letter->recipient,
                                 len, detail, sizeof detail)) {
        code = TSUNAGU__V1__ERROR_CODE__ERROR_QUOTA_EXCEEDED;
        tsg_hub_stat_add2 (txn, TSG_HUB_STAT_QUOTA_REFUSED, auth_id, 1);
    }
    /* Referrals, cases and consents: checked against their records and the legal basis and,
     * when fine, applied. */
    tsg_hub_route_t route;
    memset (&route, 0, sizeof route);
    if (code == 0 && tsg_hub_casework_takes (letter->kind))
        code = tsg_hub_casework_take (self->casework, auth_id, letter, frame, len, &route, detail,
                                      sizeof detail);
    if (code != 0) {
        /* A full quota or store refuses letter after letter for one cause: logged once. */
        if (code == TSUNAGU__V1__ERROR_CODE__ERROR_QUOTA_EXCEEDED
            || code == TSUNAGU__V1__ERROR_CODE__ERROR_STORE_FULL) {
            if (s_refuse_repeatable (self, answer, auth_id, kind, code, true, "%s", detail))
                s_alert_full (self, auth_id, code, detail);
        }
        else
            s_refuse (self, answer, auth_id, kind, code, true, "%s", detail);
        if (!id_taken) {
            tsg_hub_message_t msg = { .state = TSG_HUB_MSG_REFUSED,
                                      .kind = letter->kind,
                                      .error_code = code,
                                      .at_ms = self->now_ms };
            snprintf (msg.sender, sizeof msg.sender, "%s", auth_id);
            snprintf (msg.recipient, sizeof msg.recipient, "%s", letter->recipient);
            snprintf (msg.detail, sizeof msg.detail, "%s", answer->detail);
            tsg_hub_message_put (txn, id, &msg);
        }
        return;
    }
    /* A fan-out letter was stored by the casework, once for each agency on the case; mail
     * under a consent is noted, so that the consent's end withholds it. */
    uint64_t mailbox_seq = 0;
    if (!fans_out) {
        mailbox_seq = tsg_hub_mailbox_put (txn, letter->recipient, auth_id, letter->kind, id, frame,
                                           len, self->now_ms);
        if (mailbox_seq != 0) {
            s_note_new_mail (self, letter->recipient);
            if (route.consent_id[0])
                tsg_hub_consent_note_mail (txn, route.consent_id, letter->recipient, mailbox_seq);
        }
    }
    if (txn->rc != TSG_OK) {
        tsg_hub_answer_store_failed (answer);
        return;
    }
    s_audit_allowed (self, auth_id, letter, &route);
    answer->type = TSG_HUB_ANSWER_STORED;
    self->counters.stored++;
    if (log_verbose ()) {
        char text[17];
        log_debug ("stored %s %s seq %llu from %s for %s (mailbox %llu, %zu bytes)", kind,
                   s_id_text (id, TSG_MESSAGE_ID_SIZE, text), (unsigned long long) seq, auth_id,
                   letter->recipient, (unsigned long long) mailbox_seq, len);
    }
}

/* An acknowledgement (RECEIPT DELIVERED or REJECTED) from auth_id.  Never answered: a
 * receipt that cannot be applied is counted (and logged once per cause). */
static void
s_receipt (tsg_hub_intake_t *self, const char *auth_id, const tsg_letter_t *letter,
           const uint8_t *frame, size_t len, tsg_hub_answer_t *answer)
{
    const Tsunagu__V1__Receipt *receipt = letter->receipt;
    if (!receipt) {
        s_ignore (self, answer, auth_id, TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED,
                  "a receipt letter carries no receipt");
        return;
    }
    if (receipt->type != TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED
        && receipt->type != TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED) {
        s_ignore (self, answer, auth_id, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED,
                  "agencies may send only delivered or rejected receipts");
        return;
    }
    /* The coordinator relays the receipt unchanged, so its cleartext detail must be fit to
     * keep: one that looks like personal data is applied but not passed on, and the sender is
     * told by the coordinator instead. */
    char why[TSG_CLEARTEXT_WHY_SIZE];
    bool detail_ok = tsg_cleartext_detail_ok (receipt->detail, why, sizeof why);
    tsg_hub_ack_t ack;
    tsg_hub_mailbox_ack (self->txn, auth_id, letter, frame, len, self->now_ms, detail_ok, &ack);
    if (ack.outcome == TSG_HUB_ACK_DONE && ack.held_back[0]) {
        uint64_t repeats = 0;
        if (tsg_hub_quiet_note (self->quiet, auth_id, TSUNAGU__V1__ERROR_CODE__ERROR_PERSONAL_DATA,
                                tsg_monotonic_ms (), &repeats))
            log_warnx ("a receipt from %s: its detail %s; applied, not passed on to %s", auth_id,
                       why, ack.held_back);
        char detail[TSG_HUB_DETAIL_MAX];
        snprintf (detail, sizeof detail, "%s by %s; its reason was not passed on: it %s",
                  receipt->type == TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED ? "rejected"
                                                                               : "acknowledged",
                  auth_id, why);
        tsg_hub_casework_tell (self->casework, ack.held_back, ack.about,
                               TSUNAGU__V1__ERROR_CODE__ERROR_PERSONAL_DATA, detail,
                               letter->header && tsg_uuid_valid (letter->header->case_id)
                                   ? letter->header->case_id
                                   : NULL,
                               NULL);
    }
    char text[17];
    const uint8_t *about = receipt->about_message_id.data;
    size_t about_len = receipt->about_message_id.len;
    switch (ack.outcome) {
    case TSG_HUB_ACK_DONE:
        s_note_acked (self, ack.recipient, ack.seq);
        if (ack.relayed_to[0])
            s_note_new_mail (self, ack.relayed_to);
        if (log_verbose ())
            log_debug ("%s acknowledged %s (mailbox %llu)%s%s", auth_id,
                       s_id_text (about, about_len, text), (unsigned long long) ack.seq,
                       ack.relayed_to[0] ? "; receipt relayed to " : "", ack.relayed_to);
        break;
    case TSG_HUB_ACK_IGNORED:
        if (log_verbose ())
            log_debug ("%s acknowledged %s again: %s", auth_id, s_id_text (about, about_len, text),
                       ack.why);
        break;
    case TSG_HUB_ACK_REFUSED:
        s_ignore (self, answer, auth_id, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, "%s",
                  ack.why);
        break;
    }
}

/* True when created_at is more than the accepted skew ahead of the batch's clock; how far
 * ahead (ms) in *ahead. */
static bool
s_clock_ahead (const tsg_hub_intake_t *self, uint64_t created_at, uint64_t *ahead)
{
    *ahead = created_at > self->now_ms ? created_at - self->now_ms : 0;
    return created_at > self->now_ms + TSG_HUB_SKEW_AHEAD_MS;
}

/* A letter without a sequence number: HELLO or an acknowledgement; nothing else.  Neither
 * is held to the clock check: a HELLO changes nothing but the session (and its answer is how
 * an agency learns that its clock is wrong), and a receipt only acknowledges mail addressed
 * to the agency that sends it, found by message id. */
static void
s_unsequenced (tsg_hub_intake_t *self, const char *auth_id, const tsg_envelope_t *env,
               const uint8_t *frame, size_t len, tsg_hub_answer_t *answer)
{
    const tsg_letter_t *letter = env->letter;
    const char *kind = tsg_kind_name (letter->kind);
    switch (letter->kind) {
    case TSUNAGU__V1__KIND__KIND_HELLO: {
        answer->type = TSG_HUB_ANSWER_HELLO;
        answer->hello = true;
        answer->rewind = letter->hello && letter->hello->resend_from_oldest;
        uint64_t ahead = 0, repeats = 0;
        if (s_clock_ahead (self, letter->created_at_ms, &ahead)
            && tsg_hub_quiet_note (self->quiet, auth_id, TSUNAGU__V1__ERROR_CODE__ERROR_CLOCK_SKEW,
                                   tsg_monotonic_ms (), &repeats))
            log_warnx ("agency %s's clock is %llu s ahead of the coordinator's: its letters are "
                       "refused until it is set right",
                       auth_id, (unsigned long long) (ahead / 1000));
        break;
    }
    case TSUNAGU__V1__KIND__KIND_RECEIPT:
        s_receipt (self, auth_id, letter, frame, len, answer);
        break;
    default:
        if (s_kind_sequenced (letter->kind))
            s_refuse_repeatable (self, answer, auth_id, kind,
                                 TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, true,
                                 "a %s letter needs a sequence number from 1", kind);
        else
            s_refuse_repeatable (self, answer, auth_id, kind,
                                 TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, true,
                                 "agencies may not send %s letters", kind);
        break;
    }
}

/* The refusal of any letter from an agency that is not active: one final sentence for a
 * revoked or unknown agency, a not-final one for a suspended agency (it resumes by itself).
 * Nothing it sends takes a sequence number or changes anything; receipts go unanswered. */
static void
s_inactive (tsg_hub_intake_t *self, const char *auth_id, const tsg_letter_t *letter,
            const Tsunagu__V1__AgencyEntry *sender, tsg_hub_answer_t *answer)
{
    const char *kind = tsg_kind_name (letter->kind);
    bool suspended = sender && sender->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_SUSPENDED;
    Tsunagu__V1__ErrorCode code = !sender     ? TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED
                                  : suspended ? TSUNAGU__V1__ERROR_CODE__ERROR_AGENCY_SUSPENDED
                                              : TSUNAGU__V1__ERROR_CODE__ERROR_AGENCY_REVOKED;
    if (letter->kind == TSUNAGU__V1__KIND__KIND_RECEIPT) {
        s_ignore (self, answer, auth_id, code, "agency \"%s\" is %s", auth_id,
                  sender ? tsg_agency_status_name (sender->status) : "not registered");
        return;
    }
    if (suspended)
        s_refuse_repeatable (self, answer, auth_id, kind, code, false,
                             "agency \"%s\" is suspended: nothing it sends is taken until it "
                             "is resumed",
                             auth_id);
    else
        s_refuse_repeatable (self, answer, auth_id, kind, code, true,
                             "agency \"%s\" is %s: nothing it sends is taken", auth_id,
                             sender ? tsg_agency_status_name (sender->status) : "not registered");
}

void
tsg_hub_intake_letter (tsg_hub_intake_t *self, const char *auth_id, const uint8_t *frame,
                       size_t len, tsg_hub_answer_t *answer)
{
    memset (answer, 0, sizeof *answer);
    if (!auth_id || !tsg_agency_id_valid (auth_id)) {
        s_refuse_repeatable (self, answer, auth_id ? auth_id : "?", "letter",
                             TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, true,
                             "the connection is not authenticated as an agency");
        return;
    }
    tsg_envelope_t env = { NULL, NULL };
    const char *why = NULL;
    int rc = tsg_envelope_decode (frame, len, &env, &why);
    if (rc != TSG_OK) {
        s_undecodable (self, answer, auth_id, frame, len, rc, why);
        return;
    }
    const tsg_letter_t *letter = env.letter;
    const char *kind = tsg_kind_name (letter->kind);
    memcpy (answer->about, letter->message_id.data, TSG_MESSAGE_ID_SIZE);
    answer->has_about = true;
    self->letter = letter;

    const Tsunagu__V1__AgencyEntry *sender = tsg_hub_directory_find (self->directory, auth_id);
    if (strcmp (letter->sender, auth_id) != 0)
        s_refuse_repeatable (
            self, answer, auth_id, kind, TSUNAGU__V1__ERROR_CODE__ERROR_SENDER_MISMATCH, true,
            "the letter claims to be from \"%s\" but the connection belongs to \"%s\"",
            letter->sender, auth_id);
    else if (!sender || sender->status != TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE)
        s_inactive (self, auth_id, letter, sender, answer);
    /* Whoever holds the transport key but not the signing key changes nothing: a letter
     * that does not verify takes no sequence number and leaves no record. */
    else if (!tsg_envelope_verify (&env, sender->sign_public.data))
        s_refuse_repeatable (self, answer, auth_id, kind,
                             TSUNAGU__V1__ERROR_CODE__ERROR_BAD_SIGNATURE, true,
                             "the signature does not verify with the sender's key");
    else {
        /* Only from here on may the letter move the agency's session (hub.c). */
        answer->verified = true;
        if (letter->sequence > 0)
            s_sequenced (self, auth_id, &env, frame, len, answer);
        else
            s_unsequenced (self, auth_id, &env, frame, len, answer);
    }
    self->letter = NULL;
    tsg_envelope_clear (&env);
    if (answer->type == TSG_HUB_ANSWER_ERROR && (unsigned) answer->code < TSG_HUB_ERROR_CODES)
        self->counters.refused[answer->code]++;
}

Tsunagu__V1__ErrorCode
tsg_hub_intake_staff (tsg_hub_intake_t *self, const uint8_t *frame, size_t len, char *detail,
                      size_t size)
{
    tsg_envelope_t env = { NULL, NULL };
    const char *why = NULL;
    if (tsg_envelope_decode (frame, len, &env, &why) != TSG_OK) {
        snprintf (detail, size, "%s", why ? why : "the event cannot be encoded");
        return TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED;
    }
    Tsunagu__V1__ErrorCode code = TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED;
    tsg_hub_route_t route;
    memset (&route, 0, sizeof route);
    if (env.letter->kind != TSUNAGU__V1__KIND__KIND_CASE_EVENT
        || strcmp (env.letter->sender, TSG_COORDINATOR_ID) != 0)
        snprintf (detail, size, "only the coordinator's own case events are taken here");
    else
        code = tsg_hub_casework_take (self->casework, TSG_COORDINATOR_ID, env.letter, frame, len,
                                      &route, detail, size);
    self->letter = env.letter;
    if (code != 0) {
        if ((unsigned) code < TSG_HUB_ERROR_CODES)
            self->counters.refused[code]++;
        log_info ("refused the coordinator's case event: %s: %s", tsg_error_code_name (code),
                  detail);
        tsg_hub_answer_t answer = { .type = TSG_HUB_ANSWER_ERROR, .code = code, .final = true };
        memcpy (answer.about, env.letter->message_id.data, TSG_MESSAGE_ID_SIZE);
        answer.has_about = true;
        snprintf (answer.detail, sizeof answer.detail, "%s", detail);
        s_audit_refused (self, TSG_COORDINATOR_ID, &answer);
    }
    else {
        self->counters.stored++;
        s_audit_allowed (self, TSG_COORDINATOR_ID, env.letter, &route);
    }
    self->letter = NULL;
    tsg_envelope_clear (&env);
    return code;
}

size_t
tsg_hub_intake_expire (tsg_hub_intake_t *self, tsg_store_t *store)
{
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    uint64_t next = tsg_hub_consents_next_end (&txn);
    tsg_txn_abort (&txn);
    if (next > tsg_now_ms ())
        return 0;
    tsg_txn_begin (store, &txn, true);
    tsg_hub_intake_begin (self, &txn);
    size_t ended = tsg_hub_casework_expire (self->casework);
    tsg_hub_intake_end (self);
    if (self->audit && txn.rc == TSG_OK && tsg_hub_audit_flush (self->audit, &txn) != TSG_OK
        && txn.rc == TSG_OK)
        txn.rc = TSG_ERR_IO;
    int rc = tsg_txn_commit (&txn);
    if (rc != TSG_OK) {
        if (self->audit)
            tsg_hub_audit_rollback (self->audit);
        log_warnx ("store: ended consents could not be committed (%s); trying again",
                   tsg_strerror (rc));
        self->new_mail_count = 0;
        self->acked_count = 0;
        return 0;
    }
    return ended;
}

size_t
tsg_hub_intake_prune (tsg_hub_intake_t *self, tsg_store_t *store)
{
    uint64_t now = tsg_now_ms ();
    if (now <= self->limits.dedup_ms)
        return 0;
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);
    size_t n = tsg_hub_messages_prune (&txn, &self->prune, now - self->limits.dedup_ms,
                                       8 * TSG_HUB_PRUNE_KEYS);
    tsg_hub_stat_add (&txn, TSG_HUB_STAT_PRUNED, (int64_t) n);
    if (n == 0 || tsg_txn_commit (&txn) != TSG_OK) {
        tsg_txn_abort (&txn);
        return 0;
    }
    return n;
}

void
tsg_hub_answer_store_failed (tsg_hub_answer_t *answer)
{
    if (!answer->needs_commit)
        return;
    answer->type = TSG_HUB_ANSWER_ERROR;
    answer->code = TSUNAGU__V1__ERROR_CODE__ERROR_STORE;
    answer->final = false;
    snprintf (answer->detail, sizeof answer->detail,
              "the coordinator could not store the letter; resend it later");
}

int
tsg_hub_answer_seal (const tsg_hub_answer_t *answer, const char *recipient, const tsg_keys_t *keys,
                     uint8_t **out, size_t *out_len)
{
    tsg_letter_t letter;
    uint8_t message_id[TSG_MESSAGE_ID_SIZE];
    Tsunagu__V1__Receipt receipt = TSUNAGU__V1__RECEIPT__INIT;
    Tsunagu__V1__ErrorReport error = TSUNAGU__V1__ERROR_REPORT__INIT;
    Tsunagu__V1__Hello hello = TSUNAGU__V1__HELLO__INIT;
    uint8_t about[TSG_MESSAGE_ID_SIZE];
    memcpy (about, answer->about, sizeof about);
    switch (answer->type) {
    case TSG_HUB_ANSWER_STORED:
        tsg_letter_prepare (&letter, NULL, message_id, TSUNAGU__V1__KIND__KIND_RECEIPT,
                            TSG_COORDINATOR_ID, recipient);
        receipt.type = TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_STORED;
        receipt.about_message_id.data = about;
        receipt.about_message_id.len = sizeof about;
        receipt.at_ms = letter.created_at_ms;
        letter.receipt = &receipt;
        break;
    case TSG_HUB_ANSWER_ERROR:
        tsg_letter_prepare (&letter, NULL, message_id, TSUNAGU__V1__KIND__KIND_ERROR,
                            TSG_COORDINATOR_ID, recipient);
        error.code = answer->code;
        if (answer->has_about) {
            error.about_message_id.data = about;
            error.about_message_id.len = sizeof about;
        }
        error.detail = (char *) answer->detail;
        error.final = answer->final;
        letter.error = &error;
        break;
    case TSG_HUB_ANSWER_HELLO:
        /* It names the HELLO it answers; its created_at_ms is the coordinator's clock. */
        tsg_letter_prepare (&letter, NULL, message_id, TSUNAGU__V1__KIND__KIND_HELLO,
                            TSG_COORDINATOR_ID, recipient);
        if (answer->has_about) {
            hello.about_message_id.data = about;
            hello.about_message_id.len = sizeof about;
        }
        hello.rewound = answer->rewind;
        letter.hello = &hello;
        break;
    default: return TSG_ERR_NOT_FOUND;
    }
    return tsg_envelope_seal (&letter, keys, out, out_len);
}
