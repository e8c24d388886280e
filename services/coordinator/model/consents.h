/* The coordinator's consent register (CONSENTS) and its indices in CONSENT_INDEX: consents by
 * case, active consents by the end of their validity, and the mailbox entries that rely on
 * each consent, so that a revocation or an expiry can withhold them at once.  The register
 * holds ids, codes and dates only: the subject is a pseudonym and the signed form travels
 * sealed to the agencies, never here. */
#ifndef TSG_HUB_CONSENTS_H_INCLUDED
#define TSG_HUB_CONSENTS_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/model/cases.h"
#include "coordinator/model/directory.h"
#include "coordinator/model/referrals.h"

#define TSG_HUB_CONSENT_COVER_MAX 32 /* agencies one consent names */
#define TSG_HUB_CONSENT_TYPES_MAX 4  /* agency types one consent names */
#define TSG_HUB_SUBJECT_MAX       64 /* bytes of a pseudonymous subject id */

/* The personal-data categories a body may hold, as bits of a set. */
typedef enum {
    TSG_HUB_CAT_IDENTITY = 1u << 0,   /* "identity" */
    TSG_HUB_CAT_HEALTH = 1u << 1,     /* "health" */
    TSG_HUB_CAT_DISABILITY = 1u << 2, /* "disability" */
    TSG_HUB_CAT_FINANCES = 1u << 3,   /* "finances" */
    TSG_HUB_CAT_FAMILY = 1u << 4,     /* "family" */
    TSG_HUB_CAT_CHILDREN = 1u << 5,   /* "children" */
    TSG_HUB_CAT_FREE_TEXT = 1u << 6,  /* "free-text" */
} tsg_hub_category_t;

#define TSG_HUB_CATEGORIES 7

/* The bit of a category name, or 0 for an unknown one; and the name of one bit (NULL when it
 * is not exactly one category). */
unsigned tsg_hub_category_bit (const char *name);
const char *tsg_hub_category_name (unsigned bit);

/* A JSON array of the names in a category set. */
json_t *tsg_hub_categories_json (unsigned set);

/* Where a consent stands in the register. */
typedef enum {
    TSG_HUB_CONSENT_ACTIVE = 1,  /* granted; in force between valid_from and valid_until */
    TSG_HUB_CONSENT_REVOKED = 2, /* revoked by an agency */
    TSG_HUB_CONSENT_EXPIRED = 3, /* valid_until passed (the coordinator ended it) */
} tsg_hub_consent_state_t;

/* "active", "revoked", "expired". */
const char *tsg_hub_consent_state_name (tsg_hub_consent_state_t state);

/* One consent as the register keeps it. */
typedef struct {
    char id[TSG_UUID_TEXT_SIZE];           /* the consent id */
    char case_id[TSG_UUID_TEXT_SIZE];      /* the case it belongs to */
    tsg_hub_consent_state_t state;         /* see above */
    char subject[TSG_HUB_SUBJECT_MAX + 1]; /* pseudonymous subject id ("H001-1") */
    char purpose[TSG_HUB_CODE_MAX];        /* referral | case-conference | ... */
    char method[TSG_HUB_CODE_MAX];         /* written | verbal */
    char obtained_by[TSG_ID_MAX + 1];      /* the agency whose staff obtained it */
    char granted_by[TSG_ID_MAX + 1];       /* the agency that registered it */
    char valid_from[11];                   /* YYYY-MM-DD, Japan time, inclusive */
    char valid_until[11];                  /* YYYY-MM-DD, Japan time, inclusive */
    uint64_t from_ms;                      /* the first ms of valid_from (UTC ms) */
    uint64_t until_ms;                     /* the first ms after valid_until (UTC ms) */
    uint64_t granted_at_ms;                /* when the coordinator registered it */
    uint64_t ended_at_ms;                  /* revoked or expired at (0 while active) */
    char ended_by[TSG_ID_MAX + 1];         /* who revoked it; "coordinator" at expiry */
    unsigned categories;                   /* the categories it covers (bit set) */
    size_t n_agencies;                     /* agencies in use */
    char agencies[TSG_HUB_CONSENT_COVER_MAX][TSG_ID_MAX + 1]; /* the agencies it covers */
    size_t n_types;                                           /* types in use */
    char types[TSG_HUB_CONSENT_TYPES_MAX][TSG_HUB_TYPE_MAX];  /* the agency types it covers */
    uint64_t renewal_at_ms;                /* flagged for renewal at (0: not flagged) */
    char renewal_previous[TSG_ID_MAX + 1]; /* ... because this agency it names was succeeded */
    char renewal_agency[TSG_ID_MAX + 1];   /* ... by this one, which it does not cover */
} tsg_hub_consent_t;

/* Turns the ConsentInfo of a CONSENT_GRANT about case_id into *out (state active, the dates
 * as times; granted_by and granted_at left to the caller), checking it: a UUID consent id, a
 * pseudonymous subject (1..64 of [A-Za-z0-9._-] that does not look like a name or hold a date
 * of birth: tsg_cleartext.h), registered agencies and known types to cover (at least one),
 * known categories (at least one, none twice), purpose and method codes, obtained_by a
 * registered agency, and dates with valid_from <= valid_until whose end is after now_ms.
 * Returns 0, or ERROR_MALFORMED / ERROR_NOT_PERMITTED / ERROR_PERSONAL_DATA (the subject
 * looks like personal data) with an English sentence in detail. */
Tsunagu__V1__ErrorCode tsg_hub_consent_from_info (const Tsunagu__V1__ConsentInfo *info,
                                                  const char *case_id,
                                                  const tsg_hub_directory_t *directory,
                                                  uint64_t now_ms, tsg_hub_consent_t *out,
                                                  char *detail, size_t size);

/* Fills info (strings borrowed from c, arrays in the caller's rows) from the record: what the
 * coordinator puts in the CONSENT_REVOKE letters it signs itself. */
typedef struct {
    Tsunagu__V1__ConsentInfo info;             /* the message */
    char *agencies[TSG_HUB_CONSENT_COVER_MAX]; /* pointers into the record */
    char *types[TSG_HUB_CONSENT_TYPES_MAX];    /* pointers into the record */
    char *categories[TSG_HUB_CATEGORIES];      /* static names */
} tsg_hub_consent_info_t;

void tsg_hub_consent_to_info (const tsg_hub_consent_t *c, tsg_hub_consent_info_t *out);

/* True when c names agency (by id) or its type. */
bool tsg_hub_consent_covers (const tsg_hub_consent_t *c, const char *agency, const char *type);

/* Agency succession (組織改編): true when c, active, names previous by id and does not cover
 * agency (of type) by id or type — it does not extend to agency, so it needs renewal.  A
 * consent that covers previous only by its type covers agency of the same type as well. */
bool tsg_hub_consent_needs_renewal (const tsg_hub_consent_t *c, const char *previous,
                                    const char *agency, const char *type);

/* Reads consent id into *out.  False when absent, unreadable, or the transaction failed. */
bool tsg_hub_consent_get (tsg_txn_t *txn, const char *id, tsg_hub_consent_t *out);

/* Writes c and keeps the indices and the per-state gauges in line: old is the record as
 * stored before (NULL for a new consent).  Only active consents are in the expiry index. */
void tsg_hub_consent_put (tsg_txn_t *txn, const tsg_hub_consent_t *old, const tsg_hub_consent_t *c);

/* Called for each consent of a case, in consent id order; return false to stop.  c is valid
 * only during the call. */
typedef bool (tsg_hub_consent_fn) (void *arg, const tsg_hub_consent_t *c);

void tsg_hub_consents_of_case (tsg_txn_t *txn, const char *case_id, tsg_hub_consent_fn *fn,
                               void *arg);

/* The earliest end of validity among active consents (UTC ms), or UINT64_MAX when none. */
uint64_t tsg_hub_consents_next_end (tsg_txn_t *txn);

/* Writes into ids (at most max) the active consents whose validity ended at or before now_ms,
 * earliest first; returns how many. */
size_t tsg_hub_consents_ended (tsg_txn_t *txn, uint64_t now_ms, tsg_hub_case_id_t *ids, size_t max);

/* Notes that mailbox entry (recipient, seq) holds a letter that relies on consent_id. */
void tsg_hub_consent_note_mail (tsg_txn_t *txn, const char *consent_id, const char *recipient,
                                uint64_t seq);

/* Called for each mailbox entry noted for a consent. */
typedef void (tsg_hub_consent_mail_fn) (void *arg, const char *recipient, uint64_t seq);

/* Calls fn for every entry noted for consent_id (some may be gone from the mailbox since:
 * delivered), in the order noted, and forgets them.  Returns how many were noted. */
size_t tsg_hub_consent_take_mail (tsg_txn_t *txn, const char *consent_id,
                                  tsg_hub_consent_mail_fn *fn, void *arg);

/* The consent as JSON for the read side: id, case, state, status at now_ms ("active",
 * "pending" before valid_from, "expired", "revoked"), subject, cover, categories, purpose,
 * method, obtained_by, granted_by, dates, and renewal: null, or {needed: true, reason
 * "succession", previous_agency, agency, since} once a succession flagged it. */
json_t *tsg_hub_consent_json (const tsg_hub_consent_t *c, uint64_t now_ms);

/* {"consents": [...]} for case_id. */
json_t *tsg_hub_view_consents (tsg_txn_t *txn, const char *case_id, uint64_t now_ms);

#endif
