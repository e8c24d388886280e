/* The two state machines of DESIGN §4, as one shared table each, so agency daemons and the
 * coordinator enforce exactly the same rules: a referral's closed loop, and a case's lifecycle. */
#ifndef TSG_STATES_H_INCLUDED
#define TSG_STATES_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "tsunagu.pb-c.h"

/* A referral's state.  requested → received → accepted | rejected | cancelled;
 * accepted → in-progress | on-hold | completed | failed | cancelled; in-progress ↔ on-hold;
 * both → completed | failed | cancelled; entered-in-error from any. */
typedef enum {
    TSG_REF_REQUESTED,
    TSG_REF_RECEIVED,
    TSG_REF_ACCEPTED,
    TSG_REF_REJECTED,
    TSG_REF_CANCELLED,
    TSG_REF_IN_PROGRESS,
    TSG_REF_ON_HOLD,
    TSG_REF_COMPLETED,
    TSG_REF_FAILED,
    TSG_REF_ENTERED_IN_ERROR,
    TSG_REF_STATE_COUNT
} tsg_ref_state_t;

/* Which side of a referral asks for a change. */
typedef enum {
    TSG_PARTY_SENDER,    /* the agency that made the referral */
    TSG_PARTY_RECIPIENT, /* the agency it was made to */
} tsg_party_t;

/* How a completed or failed referral ended. */
typedef enum {
    TSG_OUTCOME_NONE,
    TSG_OUTCOME_GOT_HELP,
    TSG_OUTCOME_COULD_NOT_CONTACT,
    TSG_OUTCOME_NOT_ELIGIBLE,
    TSG_OUTCOME_NO_CAPACITY,
    TSG_OUTCOME_DECLINED,
    TSG_OUTCOME_REFERRED_ELSEWHERE,
    TSG_OUTCOME_COUNT
} tsg_outcome_t;

/* "requested", "in-progress", ...; NULL for an out-of-range value. */
const char *tsg_ref_state_name (tsg_ref_state_t state);
bool tsg_ref_state_parse (const char *text, tsg_ref_state_t *out);
/* Japanese label for screens: 依頼, 受付, 受理, ... */
const char *tsg_ref_state_label_ja (tsg_ref_state_t state);
bool tsg_ref_state_terminal (tsg_ref_state_t state);

/* "got-help", ...; NULL for TSG_OUTCOME_NONE or out of range. */
const char *tsg_outcome_name (tsg_outcome_t outcome);
bool tsg_outcome_parse (const char *text, tsg_outcome_t *out);

/* The Japanese label of an outcome (支援につながった, ...); NULL for TSG_OUTCOME_NONE or out of
 * range. */
const char *tsg_outcome_label_ja (tsg_outcome_t outcome);

/* Checks one referral state change.  Returns NULL when `by` may move a referral from
 * `from` to `to` with this reason and outcome, else an English sentence saying why not
 * (illegal transition, wrong party, reason missing, outcome missing or not allowed).
 * reason may be NULL or empty: that is "no reason". */
const char *tsg_ref_transition_check (tsg_ref_state_t from, tsg_ref_state_t to, tsg_party_t by,
                                      const char *reason, tsg_outcome_t outcome);

/* A case's state (the coordinator's view of one household). */
typedef enum {
    TSG_CASE_OPEN,         /* 相談受付 */
    TSG_CASE_MULTI_AGENCY, /* 多機関協働 */
    TSG_CASE_ASSESSMENT,   /* 課題整理・コア会議 */
    TSG_CASE_PLANNING,     /* プラン作成 */
    TSG_CASE_CONFERENCE,   /* 重層的支援会議 / 支援会議 */
    TSG_CASE_SUPPORT,      /* 支援中 */
    TSG_CASE_MONITORING,   /* 進捗確認 */
    TSG_CASE_WATCH,        /* 見守り */
    TSG_CASE_CLOSED,       /* 終結 */
    TSG_CASE_STATE_COUNT
} tsg_case_state_t;

const char *tsg_case_state_name (tsg_case_state_t state);
bool tsg_case_state_parse (const char *text, tsg_case_state_t *out);
const char *tsg_case_state_label_ja (tsg_case_state_t state);

/* Checks one case state change.  Returns NULL when allowed, else why not.  Closing needs a
 * reason; reopening (closed → open) needs a reason; every other change is free-form. */
const char *tsg_case_transition_check (tsg_case_state_t from, tsg_case_state_t to,
                                       const char *reason);

/* Response due dates (DESIGN §4).  A referral created at created_ms (UTC ms) to an agency
 * whose policy gives receive_days to acknowledge and response_days to accept or reject is due
 * at the end (23:59:59.999) of the Japan-time day created_date + days.  Urgency shortens it:
 * high halves response_days (rounded up, at least 1); emergency makes the acknowledgement due
 * the same day and the response the next day.  Days of 0 mean the defaults (receive 1, response 7).
 */
void tsg_due_dates (uint64_t created_ms, unsigned receive_days, unsigned response_days, int urgency,
                    uint64_t *receive_due_ms, uint64_t *response_due_ms);

/* The built-in response due days of an agency type (eldercare 7, disability 14, child 3,
 * poverty 7), or 7 for anything else. */
unsigned tsg_type_response_due_days (const char *type);

/* "active", "suspended", "revoked": an agency's registration (AgencyStatus). */
const char *tsg_agency_status_name (Tsunagu__V1__AgencyStatus status);

#endif
