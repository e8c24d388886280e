/* casework_parts.h — the casework's state and the pieces its flows share.  Private to the
 * casework's files:
 *   casework.c        the front: lifecycle, the batch, which flow takes which kind
 *   casework_parts.c  the shared pieces below (calls no other casework file)
 *   referral_flow.c   REFERRAL and REFERRAL_STATUS: referrals, and the cases they open
 *   case_flow.c       CASE_EVENT: a case moved by one of its agencies or the coordinator's staff
 *   consent_flow.c    CONSENT_GRANT, CONSENT_REVOKE and consents that expire
 *   withhold.c        the mail a consent's end withholds, and the telling of its senders
 *   fan_out.c         what goes on to every agency on a case: copies and CASE_UPDATE letters
 * Arrows: casework.c -> the flows -> withhold.c, fan_out.c -> casework_parts.c. */
#ifndef TSG_HUB_CASEWORK_PARTS_H_INCLUDED
#define TSG_HUB_CASEWORK_PARTS_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coordinator/intake/casework.h"
#include "coordinator/model/cases.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/consents.h"
#include "coordinator/model/timeline.h"

struct _tsg_hub_casework_t {
    const tsg_hub_directory_t *directory; /* agencies (borrowed) */
    const tsg_keys_t *keys;               /* the coordinator's keys, for its letters (borrowed) */
    tsg_hub_mail_fn *note_mail;           /* told of new mail */
    tsg_hub_gone_fn *note_gone;           /* told of withheld entries */
    void *arg;                            /* their argument */
    tsg_hub_audit_t *audit;               /* the audit log (borrowed; NULL: none) */
    tsg_txn_t *txn;                       /* the batch's write transaction (borrowed) */
    uint64_t now_ms;                      /* the batch's clock */
    tsg_hub_case_id_t *changed;           /* cases changed in this batch (may repeat) */
    size_t n_changed;                     /* entries of changed in use */
    size_t cap_changed;                   /* entries of changed allocated */
    tsg_hub_case_t *old;                  /* scratch: a case as stored */
    tsg_hub_case_t *now;                  /* scratch: the case as changed */
    tsg_hub_consent_t *consent;           /* scratch: the consent a letter names */
    tsg_hub_consent_t *record;            /* scratch: the consent a letter grants or ends */
};

/* Shorthand for a refusal with a formatted sentence (in a function with detail and size). */
#define REFUSE(code, ...)                                                                          \
    do {                                                                                           \
        snprintf (detail, size, __VA_ARGS__);                                                      \
        return TSUNAGU__V1__ERROR_CODE__##code;                                                    \
    } while (0)

/* ---- casework_parts.c ---------------------------------------------------------------- */

/* One audit record (details consumed); nothing without an audit log. */
void hub_casework_audit (tsg_hub_casework_t *self, const char *event, const uint8_t *id,
                         const char *sender, const char *recipient, Tsunagu__V1__Kind kind,
                         json_t *details);

/* Remembers that case_id changed, for its CASE_UPDATE at the end of the batch.  Memory
 * running out fails the transaction: an unannounced change would leave copies behind. */
void hub_casework_changed (tsg_hub_casework_t *self, const char *case_id);

/* A timeline entry of type by `by` at the batch's clock (message id from letter when given). */
void hub_casework_event_init (tsg_hub_casework_t *self, tsg_hub_event_t *ev,
                              tsg_hub_event_type_t type, const char *by,
                              const tsg_letter_t *letter);

/* The type of agency id in the directory ("" for the coordinator or an unknown agency). */
const char *hub_casework_type_of (const tsg_hub_casework_t *self, const char *id);

/* Holds letter from sender to the legal basis for carrying its personal data to recipient
 * (tsg_hub_legal_check), with the consent header.consent_id names: grant when it is that one
 * (a CONSENT_GRANT relying on the consent it registers), else from the register.  On success
 * adds the decision to *route; else the refusal code with the sentence in detail. */
Tsunagu__V1__ErrorCode hub_casework_legal (tsg_hub_casework_t *self, const char *sender,
                                           const tsg_letter_t *letter, const char *recipient,
                                           const char *case_id, const tsg_hub_case_t *c,
                                           const tsg_hub_consent_t *grant, tsg_hub_route_t *route,
                                           char *detail, size_t size);

/* The legal basis of a fan-out letter: each sealed body's recipient is checked, and the first
 * one not covered refuses the whole letter.  A letter without bodies is checked once. */
Tsunagu__V1__ErrorCode hub_casework_legal_fan_out (tsg_hub_casework_t *self, const char *sender,
                                                   const tsg_letter_t *letter, const char *case_id,
                                                   const tsg_hub_case_t *c,
                                                   const tsg_hub_consent_t *grant,
                                                   tsg_hub_route_t *route, char *detail,
                                                   size_t size);

/* True when case_id, not yet a case, already names consents granted by an agency other than
 * sender (who would otherwise open the case and so join it uninvited). */
bool hub_casework_case_id_claimed (tsg_hub_casework_t *self, const char *case_id,
                                   const char *sender);

/* Seals letter (from the coordinator, to agency `to`) with the coordinator's keys and stores
 * it in to's mailbox, telling note_mail when it went in.  Returns TSG_OK, or the sealing
 * error (the caller logs it), which also fails the batch's transaction. */
int hub_casework_post (tsg_hub_casework_t *self, const char *to, const tsg_letter_t *letter);

/* ---- the flows: each checks one kind of letter and, when it passes, applies it --------- */

/* referral_flow.c (casework.h: tsg_hub_casework_take says what each checks). */
Tsunagu__V1__ErrorCode hub_casework_referral (tsg_hub_casework_t *self, const char *sender,
                                              const tsg_letter_t *letter, tsg_hub_route_t *route,
                                              char *detail, size_t size);
Tsunagu__V1__ErrorCode hub_casework_status (tsg_hub_casework_t *self, const char *sender,
                                            const tsg_letter_t *letter, tsg_hub_route_t *route,
                                            char *detail, size_t size);

/* case_flow.c */
Tsunagu__V1__ErrorCode hub_casework_case_event (tsg_hub_casework_t *self, const char *sender,
                                                const tsg_letter_t *letter, const uint8_t *envelope,
                                                size_t len, tsg_hub_route_t *route, char *detail,
                                                size_t size);

/* consent_flow.c; hub_casework_consents_expire is tsg_hub_casework_expire. */
Tsunagu__V1__ErrorCode hub_casework_consent_grant (tsg_hub_casework_t *self, const char *sender,
                                                   const tsg_letter_t *letter,
                                                   const uint8_t *envelope, size_t len,
                                                   tsg_hub_route_t *route, char *detail,
                                                   size_t size);
Tsunagu__V1__ErrorCode hub_casework_consent_revoke (tsg_hub_casework_t *self, const char *sender,
                                                    const tsg_letter_t *letter,
                                                    const uint8_t *envelope, size_t len,
                                                    tsg_hub_route_t *route, char *detail,
                                                    size_t size);
size_t hub_casework_consents_expire (tsg_hub_casework_t *self);

/* ---- withhold.c ------------------------------------------------------------------------ */

/* Withholds every mailbox entry that relies on consent c, which ended for reason ("revoked"
 * or "expired"): each is taken out, counted, logged and audited, and its sender (unless the
 * coordinator) gets an ERROR letter saying so.  Returns how many. */
size_t hub_casework_withhold (tsg_hub_casework_t *self, const tsg_hub_consent_t *c,
                              const char *reason);

/* Withholds every entry waiting in previous's mailbox, which agency succeeded (each is sealed
 * to previous's key: nothing of it can go to agency): taken out, counted, logged and audited
 * (reason "succession"), a REFERRAL's record marked withheld, and each agency sender told by
 * an ERROR_RECIPIENT_INACTIVE letter naming agency.  Returns how many. */
size_t hub_casework_withhold_mailbox (tsg_hub_casework_t *self, const char *previous,
                                      const char *agency);

/* ---- fan_out.c ------------------------------------------------------------------------- */

/* Stores a fan-out letter (case event, consent letter) for every other agency on c (NULL: a
 * case not opened yet, so nobody): the letter's own record names the coordinator as its
 * recipient, and each agency gets an unchanged copy.  The copies that carry a sealed body are
 * noted under consent_id when it is given, so that the consent's end withholds them. */
void hub_casework_fan_out (tsg_hub_casework_t *self, const tsg_hub_case_t *c, const char *sender,
                           const tsg_letter_t *letter, const uint8_t *envelope, size_t len,
                           const char *consent_id);

/* For every case changed since begin, a CASE_UPDATE letter signed by the coordinator in the
 * mailbox of every agency on the case (revoked ones aside). */
void hub_casework_announce_changed (tsg_hub_casework_t *self);

#endif
