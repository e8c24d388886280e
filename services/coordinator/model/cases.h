/* The coordinator's record of each case (CASES) and its indices by state, agency and tag, so
 * that listing cases by any of them is a range read.  Only ids, codes, dates and tags. */
#ifndef TSG_HUB_CASES_H_INCLUDED
#define TSG_HUB_CASES_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"

#define TSG_HUB_CASE_AGENCIES_MAX 32                /* agencies on one case */
#define TSG_HUB_CASE_TAGS_MAX     TSG_CASE_TAGS_MAX /* tags kept per case (tsg_wire.h) */
#define TSG_HUB_CASE_ROSTER_MAX   32                /* attendees of one meeting */
#define TSG_HUB_CASE_ROLES_MAX    32                /* roles in one plan */
#define TSG_HUB_ROLE_MAX          64                /* bytes of one role label */
#define TSG_HUB_CODE_MAX          24 /* bytes of a code (close reason, event type), with NUL */
#define TSG_HUB_MEETING_KINDS     8  /* Tsunagu__V1__MeetingKind values (0 unused, 1 core) */

/* One agency's role in the adopted plan. */
typedef struct {
    char agency[TSG_ID_MAX + 1];     /* the agency */
    char role[TSG_HUB_ROLE_MAX + 1]; /* a short label of its task (never personal data) */
} tsg_hub_role_t;

/* One case: the household's lifecycle as the coordinator sees it. */
typedef struct {
    char id[TSG_UUID_TEXT_SIZE];            /* the case id */
    tsg_case_state_t state;                 /* the current state */
    uint64_t version;                       /* 1 at creation, +1 per change */
    uint64_t created_at_ms;                 /* when its first referral was made */
    uint64_t updated_at_ms;                 /* the last change (coordinator clock) */
    uint64_t first_received_at_ms;          /* first referral received (0: none) */
    uint64_t first_accepted_at_ms;          /* first referral accepted (0: none) */
    uint64_t plan_at_ms;                    /* first plan adopted (0: none) */
    uint64_t closed_at_ms;                  /* closed at (0 while not closed) */
    uint32_t reopened;                      /* times reopened */
    uint32_t referrals;                     /* referrals made on the case */
    uint64_t events;                        /* timeline entries so far */
    char opened_by[TSG_ID_MAX + 1];         /* the agency of the first referral */
    char close_reason[TSG_HUB_CODE_MAX];    /* closed: why */
    char next_review_on[11];                /* the plan's next review (YYYY-MM-DD) */
    char last_event_id[TSG_UUID_TEXT_SIZE]; /* the last case event's id ("" for none) */
    char last_event_type[TSG_HUB_CODE_MAX]; /* the last change's type */
    char last_event_by[TSG_ID_MAX + 1];     /* who made the last change */
    int roster_kind;                        /* Tsunagu__V1__MeetingKind of the roster */
    size_t n_agencies;                      /* agencies in use */
    char agencies[TSG_HUB_CASE_AGENCIES_MAX][TSG_ID_MAX + 1]; /* in order of joining */
    size_t n_tags;                                            /* tags in use */
    char tags[TSG_HUB_CASE_TAGS_MAX][TSG_TAG_LEN_MAX + 1];    /* in order of first use */
    size_t n_roster;                                          /* roster entries in use */
    char roster[TSG_HUB_CASE_ROSTER_MAX][TSG_ID_MAX + 1]; /* the latest 支援会議's attendees */
    size_t n_roles;                                       /* roles in use */
    tsg_hub_role_t roles[TSG_HUB_CASE_ROLES_MAX];         /* the adopted plan's roles */
    size_t n_rosters[TSG_HUB_MEETING_KINDS];              /* attendees of each kind's latest */
    char rosters[TSG_HUB_MEETING_KINDS][TSG_HUB_CASE_ROSTER_MAX]
                [TSG_ID_MAX + 1]; /* the latest meeting of each kind (コア会議 aside) */
} tsg_hub_case_t;

/* Reads case id into *out.  False when absent, unreadable or the txn failed. */
bool tsg_hub_case_get (tsg_txn_t *txn, const char *id, tsg_hub_case_t *out);

/* Writes c and keeps CASE_BY_STATE, CASE_BY_AGENCY, CASE_BY_TAG and the per-state gauges in
 * line with it: old is the record as stored before (NULL for a new case). */
void tsg_hub_case_put (tsg_txn_t *txn, const tsg_hub_case_t *old, const tsg_hub_case_t *c);

/* True when agency is on the case. */
bool tsg_hub_case_has_agency (const tsg_hub_case_t *c, const char *agency);

/* Adds agency at the end (no-op when present).  False when the case is full. */
bool tsg_hub_case_add_agency (tsg_hub_case_t *c, const char *agency);

/* Adds tag when new and there is room; true when the tags changed. */
bool tsg_hub_case_add_tag (tsg_hub_case_t *c, const char *tag);

/* True when a meeting of kind (not コア会議) has been held on c, and when agency was on the
 * roster of the latest one. */
bool tsg_hub_case_held (const tsg_hub_case_t *c, int kind);
bool tsg_hub_case_on_roster (const tsg_hub_case_t *c, int kind, const char *agency);

/* "core", "shien", "jusoteki", "chiiki-care", "kyogikai", "yotaikyo", "konkyu", or NULL for
 * none; and back (false for an unknown name). */
const char *tsg_hub_meeting_kind_name (int kind);
bool tsg_hub_meeting_kind_parse (const char *name, int *kind);

/* The meeting's Japanese name (支援会議, 地域ケア会議, ...) and the article that founds it
 * ("社会福祉法 第106条の6", ...; "" for コア会議), or NULL for an unknown kind. */
const char *tsg_hub_meeting_label_ja (int kind);
const char *tsg_hub_meeting_law (int kind);

/* A case id as a value. */
typedef char tsg_hub_case_id_t[TSG_UUID_TEXT_SIZE];

/* Filters of a case listing; NULL or false for "any".  Cases come in case id order, after
 * `after` (exclusive) when given, at most limit of them. */
typedef struct {
    const char *state;  /* a case state name */
    const char *agency; /* an agency id on the case */
    const char *tag;    /* a tag of the case */
    bool overdue;       /* only cases with a referral overdue (received or accepted) */
    const char *after;  /* the last case id of the previous page */
    size_t limit;       /* page size (callers bound it) */
    uint64_t now_ms;    /* the clock for overdue */
} tsg_hub_case_filter_t;

/* Called for each case listed; return false to stop. */
typedef bool (tsg_hub_case_fn) (void *arg, const tsg_hub_case_t *c, bool overdue);

/* Lists the cases that pass filter through fn.  The most selective index given (overdue,
 * tag, agency, state, in that order) is read as a range; the other filters are checked on
 * each record.  Returns how many were listed; *more says whether another page exists.  A
 * failed read shows in txn->rc. */
size_t tsg_hub_cases_list (tsg_txn_t *txn, const tsg_hub_case_filter_t *filter, tsg_hub_case_fn *fn,
                           void *arg, bool *more);

/* The ids of every case with an overdue referral at now_ms, sorted, without duplicates, in a
 * new array the caller frees (NULL with *count 0 when there are none or memory ran out). */
tsg_hub_case_id_t *tsg_hub_cases_overdue (tsg_txn_t *txn, uint64_t now_ms, size_t *count);

/* True when id is in a sorted set returned above. */
bool tsg_hub_cases_overdue_has (const tsg_hub_case_id_t *set, size_t count, const char *id);

#endif
