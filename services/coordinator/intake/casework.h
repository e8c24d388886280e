/* Closed-loop referrals, case lifecycles and consents inside the batch's write transaction:
 * REFERRAL letters open referrals and cases, REFERRAL_STATUS letters move referrals,
 * CASE_EVENT letters move cases and are fanned out, CONSENT_GRANT and CONSENT_REVOKE letters
 * keep the consent register and are fanned out, every personal-data letter is held to its
 * legal basis, a revoked or expired consent withholds the mail that relies on it, and every
 * changed case is announced with CASE_UPDATE letters before the batch commits. */
#ifndef TSG_HUB_CASEWORK_H_INCLUDED
#define TSG_HUB_CASEWORK_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/model/audit.h"
#include "coordinator/model/directory.h"

typedef struct _tsg_hub_casework_t tsg_hub_casework_t;

/* Told of every agency whose mailbox got a letter. */
typedef void (tsg_hub_mail_fn) (void *arg, const char *recipient);

/* Told of every mailbox entry taken out without delivery (withheld). */
typedef void (tsg_hub_gone_fn) (void *arg, const char *recipient, uint64_t seq);

/* A new casework that checks against directory and signs its own letters (CASE_UPDATE, ERROR
 * about withheld mail, CONSENT_REVOKE at expiry) with keys (both borrowed; directory may be
 * reloaded between batches), telling note_mail of new mail and note_gone of withheld entries
 * (both with arg).  NULL on allocation failure. */
tsg_hub_casework_t *tsg_hub_casework_new (const tsg_hub_directory_t *directory,
                                          const tsg_keys_t *keys, tsg_hub_mail_fn *note_mail,
                                          tsg_hub_gone_fn *note_gone, void *arg);

/* Frees it; safe on NULL and twice. */
void tsg_hub_casework_destroy (tsg_hub_casework_t **self_p);

/* Records its decisions (withheld, alert, consent granted, revoked, expired) in audit
 * (borrowed; NULL: none). */
void tsg_hub_casework_set_audit (tsg_hub_casework_t *self, tsg_hub_audit_t *audit);

/* How a letter that passed was let through: for the mailbox index and the audit. */
typedef struct {
    Tsunagu__V1__LegalBasis basis;        /* the basis the letter named */
    unsigned flags;                       /* TSG_HUB_LEGAL_* (over all of a fan-out's bodies) */
    unsigned categories;                  /* the data categories it declared (bit set) */
    char consent_id[TSG_UUID_TEXT_SIZE];  /* personal data under consent: the consent ("") */
    char case_id[TSG_UUID_TEXT_SIZE];     /* the case it is about ("" when none) */
    char referral_id[TSG_UUID_TEXT_SIZE]; /* the referral it is about ("" when none) */
} tsg_hub_route_t;

/* Starts a batch in txn (a write transaction, borrowed until the next begin) at now_ms (UTC,
 * the coordinator's clock); forgets the previous batch's changed cases. */
void tsg_hub_casework_begin (tsg_hub_casework_t *self, tsg_txn_t *txn, uint64_t now_ms);

/* True for the kinds casework takes: REFERRAL, REFERRAL_STATUS, CASE_EVENT, CONSENT_GRANT,
 * CONSENT_REVOKE. */
bool tsg_hub_casework_takes (Tsunagu__V1__Kind kind);

/* True for the kinds addressed to the coordinator and fanned out to the agencies on the case:
 * CASE_EVENT, CONSENT_GRANT, CONSENT_REVOKE. */
bool tsg_hub_casework_fans_out (Tsunagu__V1__Kind kind);

/* Stores in sender's mailbox a coordinator-signed ERROR (code, final, detail, about the
 * letter about; header case_id and consent_id when given): durable news of what became of a
 * letter after it was stored, acknowledged like any forwarded letter.  Nothing for an agency
 * that is not registered or is revoked. */
void tsg_hub_casework_tell (tsg_hub_casework_t *self, const char *sender,
                            const uint8_t about[TSG_MESSAGE_ID_SIZE], Tsunagu__V1__ErrorCode code,
                            const char *detail, const char *case_id, const char *consent_id);

/* Checks a verified letter from sender (an agency; "coordinator" for the coordinator's staff)
 * whose serialized envelope is envelope, against the referral, case and consent records and
 * its legal basis (legal_basis.h, for the recipient or each sealed body's recipient), and
 * applies it when it passes:
 *   REFERRAL         needs uuid referral_id and case_id, a new referral id, no self-referral;
 *                    records the referral (due dates from the recipient's registry entry) and
 *                    opens or joins the case; an emergency report raises an alert (ALERTS, a
 *                    warning in the log, the audit);
 *   REFERRAL_STATUS  ERROR_UNKNOWN_REFERRAL, ERROR_NOT_PERMITTED (neither party, or not
 *                    addressed to the other party), ERROR_STALE_VERSION, then
 *                    ERROR_ILLEGAL_TRANSITION from the shared table; moves the referral;
 *   CASE_EVENT       ERROR_UNKNOWN_CASE, then tsg_hub_case_event_check, and a 重層的支援会議
 *                    needs an active consent of the case covering every attendee
 *                    (ERROR_MISSING_LEGAL_BASIS); moves the case;
 *   CONSENT_GRANT    header.consent checked (tsg_hub_consent_from_info), a new consent id, the
 *                    sender on the case when the case exists; registers the consent;
 *   CONSENT_REVOKE   header.consent_id a known consent not revoked yet, the sender its
 *                    granter or on its case; withholds every mailbox entry relying on it
 *                    (ERROR letters to their senders) and marks it revoked.
 * The fan-out kinds are stored here: the letter's MESSAGES record (recipient "coordinator")
 * and an unchanged copy in the mailbox of every other agency on the case.  The caller stores
 * REFERRAL and REFERRAL_STATUS letters in their recipient's mailbox (and notes them under
 * route->consent_id).  Returns 0 with *route filled, or the refusal code with an English
 * sentence in detail; a refused letter changes nothing.  A failed transaction shows in
 * txn->rc. */
Tsunagu__V1__ErrorCode tsg_hub_casework_take (tsg_hub_casework_t *self, const char *sender,
                                              const tsg_letter_t *letter, const uint8_t *envelope,
                                              size_t len, tsg_hub_route_t *route, char *detail,
                                              size_t size);

/* Ends the consents whose validity passed by the batch's clock (at most 64 per call): withholds
 * the mail relying on each, marks it expired, and sends every agency on its case (and its
 * granter) a CONSENT_REVOKE signed by the coordinator (header.status "expired", header.consent
 * the consent).  Returns how many ended. */
size_t tsg_hub_casework_expire (tsg_hub_casework_t *self);

/* Agency succession: withholds every entry waiting in previous's mailbox (sealed to its key,
 * so nothing of it can go to its successor agency) and tells each agency sender by an
 * ERROR_RECIPIENT_INACTIVE letter naming agency; a REFERRAL's record says withheld, reason
 * "succession".  Returns how many were withheld; a failure shows in the batch's txn->rc. */
size_t tsg_hub_casework_withhold_mailbox (tsg_hub_casework_t *self, const char *previous,
                                          const char *agency);

/* Ends the batch: for every case changed since begin, a CASE_UPDATE letter signed by the
 * coordinator in the mailbox of every agency on the case (revoked ones aside). */
void tsg_hub_casework_end (tsg_hub_casework_t *self);

/* Cases changed since begin (for logs and tests). */
size_t tsg_hub_casework_changed (const tsg_hub_casework_t *self);

#endif
