/* The legal basis of a personal-data letter (DESIGN §4): one pure function that decides, from
 * the letter's header, its parties, the case record, the consent it names and the time,
 * whether the coordinator may pass it to one recipient, and on which basis. */
#ifndef TSG_HUB_LEGAL_BASIS_H_INCLUDED
#define TSG_HUB_LEGAL_BASIS_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/model/cases.h"
#include "coordinator/model/consents.h"
#include "coordinator/model/mailbox.h"

/* Flags of an allowed letter. */
#define TSG_HUB_LEGAL_PERSONAL 0x1u /* it carries personal data (a body under a basis) */
#define TSG_HUB_LEGAL_URGENT   0x2u /* an emergency report: route at once, flagged */
#define TSG_HUB_LEGAL_ALERT    0x4u /* the coordinator's staff must be alerted */

/* What the decision is made from.  Everything is borrowed. */
typedef struct {
    const tsg_letter_t *letter;       /* kind, header, body and sealed bodies */
    const char *sender_type;          /* the sender's agency type ("" for the coordinator) */
    const char *recipient;            /* the agency that would receive the personal data */
    const char *recipient_type;       /* its type */
    const char *case_id;              /* the case the letter is about ("" or NULL: none) */
    const tsg_hub_case_t *c;          /* that case as stored (NULL: not opened yet) */
    const tsg_hub_consent_t *consent; /* the consent header.consent_id names (NULL: none) */
    uint64_t now_ms;                  /* the coordinator's clock (UTC ms) */
} tsg_hub_legal_in_t;

/* The decision. */
typedef struct {
    Tsunagu__V1__ErrorCode code;     /* 0: allowed; else the refusal */
    Tsunagu__V1__LegalBasis basis;   /* the basis named */
    unsigned flags;                  /* TSG_HUB_LEGAL_*, when allowed */
    unsigned categories;             /* the data categories declared (bit set) */
    char detail[TSG_HUB_DETAIL_MAX]; /* the refusal: an English sentence naming what is missing */
} tsg_hub_legal_t;

/* Decides whether in->letter may carry personal data to in->recipient:
 *   - a letter without body or sealed bodies carries none and passes (an emergency report is
 *     checked all the same: it raises an alert);
 *   - none: header.data_categories must be empty;
 *   - consent: header.consent_id names a consent (in->consent) that is active (not revoked
 *     or expired, valid_from <= today <= valid_until in Japan), of the same case, covering
 *     the recipient (id or type) and every declared category.  A CONSENT_REVOKE relying on
 *     the consent it revokes is judged as if that consent were still in force;
 *   - support-meeting: sender and recipient on the case's latest 支援会議 roster;
 *   - statutory-meeting: the sender type's meeting held on the case, recipient on its roster;
 *   - emergency: a REFERRAL with urgency emergency and header.urgent from eldercare,
 *     disability or child; allowed with URGENT and ALERT;
 *   - anything else with personal data is refused.
 * Every basis but none needs at least one data category; names must be known and distinct
 * (ERROR_MALFORMED otherwise).  Refusals are ERROR_MISSING_LEGAL_BASIS, with a sentence
 * naming what is missing.  Returns out->code.  Reads nothing but its arguments. */
Tsunagu__V1__ErrorCode tsg_hub_legal_check (const tsg_hub_legal_in_t *in, tsg_hub_legal_t *out);

/* The statutory meeting of an agency type (eldercare 地域ケア会議, disability 協議会, child
 * 要保護児童対策地域協議会, poverty 生活困窮者自立支援法の支援会議), or 0 for none. */
int tsg_hub_statutory_meeting (const char *type);

/* The agency type whose statutory meeting kind is, or NULL when kind is not statutory. */
const char *tsg_hub_statutory_meeting_type (int kind);

/* True for the types that may send an emergency (abuse) report: eldercare, disability, child. */
bool tsg_hub_may_send_emergency (const char *type);

/* A JSON array of the flag names ("personal", "urgent", "alert"). */
json_t *tsg_hub_legal_flags_json (unsigned flags);

#endif
