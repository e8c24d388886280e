/* intake_parts.h — the intake's state and the pieces its files share (intake.c decides each
 * letter, intake_refuse.c refuses, logs and audits, intake_unsequenced.c takes HELLOs and
 * receipts, intake_effects.c keeps what a batch did for the loop).  Private to those files.
 * Arrows: intake.c -> intake_unsequenced.c -> intake_refuse.c, intake_effects.c. */
#ifndef TSG_HUB_INTAKE_PARTS_H_INCLUDED
#define TSG_HUB_INTAKE_PARTS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/intake/casework.h"
#include "coordinator/intake/intake.h"
#include "coordinator/intake/quiet.h"
#include "coordinator/intake/refusals.h"

/* One acknowledged mailbox entry. */
typedef struct {
    char recipient[TSG_ID_MAX + 1]; /* whose mailbox */
    uint64_t seq;                   /* which entry */
} hub_intake_acked_t;

struct _tsg_hub_intake_t {
    const tsg_hub_directory_t *directory; /* senders and recipients (borrowed) */
    tsg_hub_casework_t *casework;         /* referrals, cases and consents */
    tsg_hub_audit_t *audit;               /* routing decisions (borrowed; NULL: none) */
    tsg_hub_quiet_t *quiet;               /* refusal causes already logged */
    tsg_hub_limits_t limits;              /* quotas and the dedup window */
    tsg_hub_prune_cursor_t prune;         /* where the retention sweep goes on */
    bool store_full;                      /* refuse new letters: the store is near its ceiling */
    uint64_t resync_ms;                   /* the restore this store came from (0: none) */
    const tsg_letter_t *letter;           /* the letter being decided (NULL: unreadable) */
    tsg_hub_intake_counters_t counters;   /* letters stored and refused since start */
    tsg_hub_refusals_t *refusals;         /* ... refused, by sender (the dashboard) */
    tsg_txn_t *txn;                       /* the batch's write transaction (borrowed) */
    uint64_t now_ms;                      /* the batch's wall clock */
    char (*new_mail)[TSG_ID_MAX + 1];     /* recipients given new mail in this batch */
    size_t new_mail_count;                /* entries of new_mail in use */
    size_t new_mail_capacity;             /* entries of new_mail allocated */
    hub_intake_acked_t *acked;            /* entries deleted by acknowledgements */
    size_t acked_count;                   /* entries of acked in use */
    size_t acked_capacity;                /* entries of acked allocated */
};

/* intake_resync.c: true when seq, past last + 1, is sender's first letter since the restore
 * (self->resync_ms): its sequence is set to seq - 1 in the batch, the lost numbers audited. */
bool hub_intake_resynced (tsg_hub_intake_t *self, const char *auth_id, uint64_t last, uint64_t seq);

/* intake_keys.c: true when env, which did not verify with sender's signing key, verifies with
 * the keys of a rotation (agency rotate-keys): with its previous key when the letter was made
 * before the switch; or with the next key of a rotation under way — the agency is heard with
 * its new keys, so the rotation ends in the batch's transaction (the new keys become its keys,
 * the old transport key is refused from then on) and is audited. */
bool hub_intake_rotated (tsg_hub_intake_t *self, const char *auth_id,
                         const Tsunagu__V1__AgencyEntry *sender, const tsg_envelope_t *env);

/* intake_effects.c: notes that recipient has new mail, and that mailbox entry seq of
 * recipient was acknowledged or withheld (deleted).  An allocation failure only delays
 * forwarding until the recipient's next session event, so it is logged, not fatal. */
void hub_intake_note_new_mail (tsg_hub_intake_t *self, const char *recipient);

void hub_intake_note_acked (tsg_hub_intake_t *self, const char *recipient, uint64_t seq);

/* True for the agency-to-agency kinds that travel with a sequence number. */
static inline bool
hub_intake_kind_sequenced (Tsunagu__V1__Kind kind)
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

/* Short hex of a message id for logs (first 8 bytes). */
const char *hub_intake_id_text (const uint8_t *id, size_t len, char out[17]);

/* Audits the refusal in answer of the letter being decided (self->letter, NULL when it could
 * not be read) from auth_id. */
void hub_intake_audit_refused (tsg_hub_intake_t *self, const char *auth_id,
                               const tsg_hub_answer_t *answer);

/* Audits a letter that was let through, with how (route). */
void hub_intake_audit_allowed (tsg_hub_intake_t *self, const char *auth_id,
                               const tsg_letter_t *letter, const tsg_hub_route_t *route);

/* Raises an alert for the coordinator's staff: agency's quota (or the store) is full. */
void hub_intake_alert_full (tsg_hub_intake_t *self, const char *agency, Tsunagu__V1__ErrorCode code,
                            const char *detail);

/* The refusal for a letter that tsg_envelope_decode would not accept.  Reads what it can of
 * the letter to name it in the answer; such a letter consumes no sequence number. */
void hub_intake_undecodable (tsg_hub_intake_t *self, tsg_hub_answer_t *answer, const char *auth_id,
                             const uint8_t *frame, size_t len, int rc, const char *why);

/* A letter without a sequence number: HELLO or an acknowledgement; nothing else.  Neither
 * is held to the clock check: a HELLO changes nothing but the session (and its answer is how
 * an agency learns that its clock is wrong), and a receipt only acknowledges mail addressed
 * to the agency that sends it, found by message id. */
void hub_intake_unsequenced (tsg_hub_intake_t *self, const char *auth_id, const tsg_envelope_t *env,
                             const uint8_t *frame, size_t len, tsg_hub_answer_t *answer);

/* The refusal of any letter from an agency that is not active: one final sentence for a
 * revoked or unknown agency, a not-final one for a suspended agency (it resumes by itself).
 * Nothing it sends takes a sequence number or changes anything; receipts go unanswered. */
void hub_intake_inactive (tsg_hub_intake_t *self, const char *auth_id, const tsg_letter_t *letter,
                          const Tsunagu__V1__AgencyEntry *sender, tsg_hub_answer_t *answer);

/* A refusal of a letter that was read and decided on: logged and audited every time. */
void hub_intake_refuse (tsg_hub_intake_t *self, tsg_hub_answer_t *answer, const char *auth_id,
                        const char *what, Tsunagu__V1__ErrorCode code, bool final, const char *fmt,
                        ...) __attribute__ ((format (printf, 7, 8)));
/* A refusal a peer can repeat without limit (identity, shape, signature, an inactive
 * sender, a full quota): logged and audited once per agency and cause per window, then
 * counted.  True when this one was logged. */
bool hub_intake_refuse_repeatable (tsg_hub_intake_t *self, tsg_hub_answer_t *answer,
                                   const char *auth_id, const char *what,
                                   Tsunagu__V1__ErrorCode code, bool final, const char *fmt, ...)
    __attribute__ ((format (printf, 7, 8)));
/* Notes a problem with an acknowledgement, which is never answered: logged once per agency
 * and cause per window, counted, and the answer left empty. */
void hub_intake_ignore (tsg_hub_intake_t *self, tsg_hub_answer_t *answer, const char *auth_id,
                        Tsunagu__V1__ErrorCode code, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));

#endif
