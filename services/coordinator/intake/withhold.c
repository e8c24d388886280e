/* withhold.c — what a consent's end does to the mail relying on it: every mailbox entry noted
 * under the consent that still waits is taken out (model/mailbox.c), counted, logged and
 * audited, and the sender of each is told in an ERROR letter from the coordinator which
 * letter (and, for a fan-out letter, which copy) was withheld and why.  An agency's succession
 * does the same to everything waiting in its mailbox. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/intake/casework_parts.h"
#include "coordinator/model/mailbox.h"
#include "coordinator/model/overview.h"
#include "coordinator/model/reports.h"
#include "coordinator/model/referrals.h"
#include "coordinator/model/stats.h"

/* What a withholding pass tells each withheld entry's sender. */
typedef struct {
    tsg_hub_casework_t *self;         /* the casework */
    const tsg_hub_consent_t *consent; /* the consent that ended */
    const char *reason;               /* "revoked" or "expired" */
    char detail[TSG_HUB_DETAIL_MAX];  /* "withheld: consent <id> revoked|expired" */
    size_t withheld;                  /* entries taken out */
} s_withhold_t;

/* Tells w's sender that its letter was withheld from recipient because consent ended. */
static void
s_tell_withheld (tsg_hub_casework_t *self, const tsg_hub_withdrawn_t *w, const char *recipient,
                 const tsg_hub_consent_t *consent, const char *detail)
{
    /* A fan-out letter may be withheld from some agencies only: say which.  Cut to fit (an
     * agency id is at most 32 bytes): the detail is an English sentence for logs and the
     * sender's API. */
    char text[TSG_HUB_DETAIL_MAX];
    if (w->copy)
        snprintf (text, sizeof text, "%.*s (the copy for %.32s)", (int) sizeof text - 64, detail,
                  recipient);
    else
        snprintf (text, sizeof text, "%s", detail);
    tsg_hub_casework_tell (self, w->sender, w->id,
                           TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, text,
                           consent->case_id, consent->id);
}

/* Which mailbox entry's referral id s_referral_of looks for. */
typedef struct {
    uint64_t seq;                     /* the entry */
    char id[TSG_UUID_TEXT_SIZE];      /* its referral id ("" when not a REFERRAL) */
    char case_id[TSG_UUID_TEXT_SIZE]; /* the case it is about ("" when none) */
} s_referral_of_t;

/* tsg_hub_mailbox_fn: the referral id of the entry, when it is a REFERRAL. */
static bool
s_referral_of (void *arg, uint64_t seq, const uint8_t *envelope, size_t len)
{
    s_referral_of_t *find = arg;
    tsg_envelope_t env;
    if (seq != find->seq)
        return false;
    if (tsg_envelope_decode (envelope, len, &env, NULL) != TSG_OK)
        return false;
    const tsg_letter_t *letter = env.letter;
    if (letter->header && tsg_uuid_valid (letter->header->case_id))
        memcpy (find->case_id, letter->header->case_id, TSG_UUID_TEXT_SIZE);
    if (letter->kind == TSUNAGU__V1__KIND__KIND_REFERRAL && letter->header
        && tsg_uuid_valid (letter->header->referral_id))
        memcpy (find->id, letter->header->referral_id, TSG_UUID_TEXT_SIZE);
    tsg_envelope_clear (&env);
    return false;
}

/* tsg_hub_consent_mail_fn: withholds one noted entry if it still waits; a referral's record
 * says so (model/referrals.h: tsg_hub_referral_withhold). */
static void
s_withhold_one (void *arg, const char *recipient, uint64_t seq)
{
    s_withhold_t *wh = arg;
    tsg_hub_casework_t *self = wh->self;
    s_referral_of_t find = { .seq = seq, .id = "", .case_id = "" };
    tsg_hub_mailbox_scan (self->txn, recipient, seq, s_referral_of, &find);
    tsg_hub_withdrawn_t w;
    if (!tsg_hub_mailbox_withdraw (self->txn, recipient, seq,
                                   TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, wh->detail,
                                   self->now_ms, &w))
        return;
    wh->withheld++;
    self->note_gone (self->arg, recipient, seq);
    if (find.id[0] && w.kind == TSUNAGU__V1__KIND__KIND_REFERRAL)
        tsg_hub_referral_withhold (self->txn, find.id, wh->reason, wh->consent->id, self->now_ms);
    tsg_hub_stat_add (self->txn, TSG_HUB_STAT_WITHHELD, 1);
    tsg_hub_stat_add2 (self->txn, TSG_HUB_STAT_WITHHELD_BY, wh->reason, 1);
    tsg_hub_report_note_withheld (self->txn, self->now_ms);
    char id[2 * TSG_MESSAGE_ID_SIZE + 1];
    tsg_hex_encode (w.id, TSG_MESSAGE_ID_SIZE, id);
    log_info ("withheld %s %.16s from %s for %s: consent %s %s", tsg_kind_name (w.kind), id,
              w.sender, recipient, wh->consent->id, wh->reason);
    hub_casework_audit (
        self, "withheld", w.id, w.sender, recipient, w.kind,
        json_pack ("{s:s, s:s, s:s, s:s, s:s}", "consent_id", wh->consent->id, "reason", wh->reason,
                   "case_id", wh->consent->case_id, "code",
                   tsg_error_code_name (TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS),
                   "detail", wh->detail));
    if (strcmp (w.sender, TSG_COORDINATOR_ID) != 0)
        s_tell_withheld (self, &w, recipient, wh->consent, wh->detail);
}

size_t
hub_casework_withhold (tsg_hub_casework_t *self, const tsg_hub_consent_t *c, const char *reason)
{
    s_withhold_t wh = { .self = self, .consent = c, .reason = reason };
    snprintf (wh.detail, sizeof wh.detail, "withheld: consent %s %s", c->id, reason);
    tsg_hub_consent_take_mail (self->txn, c->id, s_withhold_one, &wh);
    return wh.withheld;
}

/* The entries of a mailbox, collected before any is taken out. */
typedef struct {
    uint64_t *seqs; /* their sequence numbers, oldest first */
    size_t n;       /* in use */
    size_t cap;     /* allocated */
    bool failed;    /* memory ran out */
} s_entries_t;

/* tsg_hub_mailbox_fn: notes one entry. */
static bool
s_collect (void *arg, uint64_t seq, const uint8_t *envelope, size_t len)
{
    (void) envelope;
    (void) len;
    s_entries_t *e = arg;
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 64;
        uint64_t *seqs = realloc (e->seqs, cap * sizeof *seqs);
        if (!seqs) {
            e->failed = true;
            return false;
        }
        e->seqs = seqs;
        e->cap = cap;
    }
    e->seqs[e->n++] = seq;
    return true;
}

/* Withholds entry seq of previous's mailbox for its succession by agency (detail says so). */
static bool
s_withhold_succeeded (tsg_hub_casework_t *self, const char *previous, const char *agency,
                      uint64_t seq, const char *detail)
{
    s_referral_of_t find = { .seq = seq, .id = "", .case_id = "" };
    tsg_hub_mailbox_scan (self->txn, previous, seq, s_referral_of, &find);
    tsg_hub_withdrawn_t w;
    if (!tsg_hub_mailbox_withdraw (self->txn, previous, seq,
                                   TSUNAGU__V1__ERROR_CODE__ERROR_RECIPIENT_INACTIVE, detail,
                                   self->now_ms, &w))
        return false;
    self->note_gone (self->arg, previous, seq);
    if (find.id[0] && w.kind == TSUNAGU__V1__KIND__KIND_REFERRAL)
        tsg_hub_referral_withhold (self->txn, find.id, "succession", "", self->now_ms);
    tsg_hub_stat_add (self->txn, TSG_HUB_STAT_WITHHELD, 1);
    tsg_hub_stat_add2 (self->txn, TSG_HUB_STAT_WITHHELD_BY, "succession", 1);
    tsg_hub_report_note_withheld (self->txn, self->now_ms);
    char id[2 * TSG_MESSAGE_ID_SIZE + 1];
    tsg_hex_encode (w.id, TSG_MESSAGE_ID_SIZE, id);
    log_info ("withheld %s %.16s from %s for %s: %s was succeeded by %s", tsg_kind_name (w.kind),
              id, w.sender, previous, previous, agency);
    json_t *details = json_pack (
        "{s:s, s:s, s:s, s:s}", "reason", "succession", "agency", agency, "code",
        tsg_error_code_name (TSUNAGU__V1__ERROR_CODE__ERROR_RECIPIENT_INACTIVE), "detail", detail);
    if (details && find.case_id[0])
        json_object_set_new (details, "case_id", json_string (find.case_id));
    if (details && find.id[0])
        json_object_set_new (details, "referral_id", json_string (find.id));
    hub_casework_audit (self, "withheld", w.id, w.sender, previous, w.kind, details);
    /* The coordinator's own letters to previous (case updates, news) are simply dropped: the
     * successor gets its own. */
    if (strcmp (w.sender, TSG_COORDINATOR_ID) != 0) {
        char text[TSG_HUB_DETAIL_MAX];
        if (w.copy)
            snprintf (text, sizeof text, "%.*s (the copy for %.32s)", (int) sizeof text - 64,
                      detail, previous);
        else
            snprintf (text, sizeof text, "%s", detail);
        tsg_hub_casework_tell (self, w.sender, w.id,
                               TSUNAGU__V1__ERROR_CODE__ERROR_RECIPIENT_INACTIVE, text,
                               find.case_id[0] ? find.case_id : NULL, NULL);
    }
    return true;
}

size_t
hub_casework_withhold_mailbox (tsg_hub_casework_t *self, const char *previous, const char *agency)
{
    char detail[TSG_HUB_DETAIL_MAX];
    snprintf (detail, sizeof detail,
              "withheld: %.32s was succeeded by %.32s; send it again to %.32s", previous, agency,
              agency);
    s_entries_t entries = { NULL, 0, 0, false };
    tsg_hub_mailbox_scan (self->txn, previous, 0, s_collect, &entries);
    size_t withheld = 0;
    if (entries.failed && self->txn->rc == TSG_OK)
        self->txn->rc = TSG_ERR_NOMEM; /* half a mailbox withheld would be worse than none */
    for (size_t i = 0; !entries.failed && i < entries.n; i++)
        withheld += s_withhold_succeeded (self, previous, agency, entries.seqs[i], detail);
    free (entries.seqs);
    return withheld;
}
