/* The coordinator's record of each case (CASES) and its indices by state, agency and tag, so
 * that listing cases by any of them is a range read.  Only ids, codes, dates and tags. */
#ifndef TSG_HUB_CASES_H_INCLUDED
#define TSG_HUB_CASES_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"

#define TSG_HUB_CASE_AGENCIES_MAX  32                /* agencies on one case */
#define TSG_HUB_CASE_TAGS_MAX      TSG_CASE_TAGS_MAX /* tags kept per case (tsg_wire.h) */
#define TSG_HUB_CASE_ROSTER_MAX    32                /* attendees of one meeting */
#define TSG_HUB_CASE_ROLES_MAX     32                /* roles in one plan */
#define TSG_HUB_ROLE_MAX           64                /* bytes of one role label */
#define TSG_HUB_CODE_MAX           24 /* bytes of a code (close reason, event type), with NUL */
#define TSG_HUB_MEETING_KINDS      8  /* Tsunagu__V1__MeetingKind values (0 unused, 1 core) */
#define TSG_HUB_CASE_TYPES_MAX     8  /* agency types kept per case */
#define TSG_HUB_CASE_TYPE_MAX      16 /* bytes of an agency type name, with its NUL */
#define TSG_HUB_STUCK_DAYS         30 /* 会議候補: unchanged this many days while not closed */
#define TSG_HUB_CANDIDATE_AGENCIES 3  /* 会議候補: this many agencies on the case */

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
    uint32_t withheld;            /* its referrals withheld (consent ended before delivery) */
    size_t n_types;               /* agency types in use (written by tsg_hub_case_put) */
    char types[TSG_HUB_CASE_TYPES_MAX][TSG_HUB_CASE_TYPE_MAX]; /* its agencies' types */
    bool handed_over;           /* a hand-over (担当交代) since the last meeting or plan */
    uint64_t handed_over_at_ms; /* the last hand-over (0: none) */
    uint64_t reviewed_at_ms;    /* the last meeting or plan event (0: none recorded since
                                   format 4; a hand-over cannot be older than that) */
    char handover_on[11];       /* the last hand-over's effective date (YYYY-MM-DD) */
    char handover_by[TSG_ID_MAX + 1]; /* the agency whose staff changed last */
} tsg_hub_case_t;

/* Reads case id into *out.  False when absent, unreadable or the txn failed. */
bool tsg_hub_case_get (tsg_txn_t *txn, const char *id, tsg_hub_case_t *out);

/* Writes c and keeps CASE_BY_STATE, CASE_BY_AGENCY, CASE_BY_TAG, CASE_ORDER and the per-state
 * gauges in line with it: old is the record as stored before (NULL for a new case).  The
 * types of c's agencies are read from the registry (c->types is not read). */
void tsg_hub_case_put (tsg_txn_t *txn, const tsg_hub_case_t *old, const tsg_hub_case_t *c);

/* Writes c's record in the current format and its CASE_ORDER entries, leaving the other
 * indices and the gauges alone: the rebuild of an older store (tsg_hub_case_index_upgrade). */
void tsg_hub_case_rewrite (tsg_txn_t *txn, const tsg_hub_case_t *c);

/* True when agency is on the case. */
bool tsg_hub_case_has_agency (const tsg_hub_case_t *c, const char *agency);

/* Adds agency at the end (no-op when present).  False when the case is full. */
bool tsg_hub_case_add_agency (tsg_hub_case_t *c, const char *agency);

/* Agency succession (組織改編): agency takes previous's place in c's list of agencies (when it
 * is on the case already, previous's entry goes and the others keep their order) and every
 * plan role of previous becomes agency's.  The meeting rosters stay as they were: they record
 * who attended (agency did not), and a 支援会議's legal basis rests on them.  False (nothing
 * changed) when previous is not on the case, the two are one, or agency's id is too long. */
bool tsg_hub_case_succeed (tsg_hub_case_t *c, const char *previous, const char *agency);

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

/* The orders of a case listing. */
typedef enum {
    TSG_HUB_CASE_SORT_ID = 0,       /* by case id (the default) */
    TSG_HUB_CASE_SORT_UPDATED_DESC, /* the latest change first */
    TSG_HUB_CASE_SORT_UPDATED_ASC,  /* the longest without change first */
    TSG_HUB_CASE_SORT_CREATED_DESC, /* the newest case first */
} tsg_hub_case_sort_t;

/* "id", "-updated", "updated", "-created", and back (false for another word). */
const char *tsg_hub_case_sort_name (tsg_hub_case_sort_t sort);
bool tsg_hub_case_sort_parse (const char *text, tsg_hub_case_sort_t *out);

/* The longest cursor text, with its NUL. */
#define TSG_HUB_CASE_CURSOR_SIZE 72

/* Filters of a case listing; NULL, false or 0 for "any".  Cases come in sort order, after
 * `after` (a case id, exclusive; sort id only) or from `cursor` (the next_cursor of the page
 * before) when given, at most limit of them. */
typedef struct {
    const char *state;        /* a case state name */
    const char *agency;       /* an agency id on the case */
    const char *tag;          /* a tag of the case */
    bool overdue;             /* only cases with a referral overdue (received or accepted) */
    const char *after;        /* the last case id of the previous page */
    size_t limit;             /* page size (callers bound it) */
    uint64_t now_ms;          /* the clock for overdue, stuck and candidate */
    const char *agency_type;  /* an agency type on the case (eldercare, ...) */
    bool withheld;            /* only cases with a referral withheld */
    unsigned stuck_days;      /* only cases not closed and unchanged this many days (0: any) */
    bool candidate;           /* only 会議候補 (tsg_hub_case_candidate) */
    bool handed_over;         /* only cases handed over since their last meeting or plan */
    tsg_hub_case_sort_t sort; /* the order */
    const char *cursor;       /* where the previous page stopped (tsg_hub_cases_list) */
} tsg_hub_case_filter_t;

/* Why a case is a 会議候補 (bits): ≥ TSG_HUB_CANDIDATE_AGENCIES agencies, unchanged for
 * TSG_HUB_STUCK_DAYS while not closed, reopened.  0 when it is none. */
#define TSG_HUB_CANDIDATE_AGENCIES_BIT 1u
#define TSG_HUB_CANDIDATE_STUCK_BIT    2u
#define TSG_HUB_CANDIDATE_REOPENED_BIT 4u
unsigned tsg_hub_case_candidate (const tsg_hub_case_t *c, uint64_t now_ms);

/* Whole days since c last changed at now_ms (0 when it changed in the last day). */
unsigned tsg_hub_case_stuck_days (const tsg_hub_case_t *c, uint64_t now_ms);

/* True when c's plan has a next review date before today (Japan time) at now_ms. */
bool tsg_hub_case_review_overdue (const tsg_hub_case_t *c, uint64_t now_ms);

/* True when the case has a referral overdue (received or accepted) at now_ms: one read of
 * CASE_DUE. */
bool tsg_hub_case_overdue (tsg_txn_t *txn, const char *case_id, uint64_t now_ms);

/* Called for each case listed; return false to stop. */
typedef bool (tsg_hub_case_fn) (void *arg, const tsg_hub_case_t *c, bool overdue);

/* How a listing ended. */
typedef struct {
    size_t listed;                         /* cases handed to fn */
    bool more;                             /* another page may follow: cursor says where */
    bool partial;                          /* stopped at the budget of entries examined */
    size_t examined;                       /* index entries looked at */
    char cursor[TSG_HUB_CASE_CURSOR_SIZE]; /* the next page's cursor ("" at the end) */
    char last_id[TSG_UUID_TEXT_SIZE];      /* the last case listed ("" for none) */
} tsg_hub_case_page_t;

/* Index entries one listing looks at, at most; past it the page ends partial. */
#define TSG_HUB_CASES_EXAMINE_MAX 200000

/* Checks a cursor's text for sort; false (with a sentence in *why) when it is not one that
 * a listing in that order returned. */
bool tsg_hub_case_cursor_ok (const char *cursor, tsg_hub_case_sort_t sort, const char **why);

/* Lists the cases that pass filter through fn, in filter->sort order, and says in *page how
 * it ended.  One range of CASE_ORDER is read (the most selective facet given: withheld,
 * overdue, tag, agency, agency type, state, else every case), from the cursor on; the other
 * filters are checked on each entry's summary, the other list facets by one read each.  At
 * most TSG_HUB_CASES_EXAMINE_MAX entries are looked at: then the page is partial and its
 * cursor goes on from there.  A failed read shows in txn->rc.  (handed_over reads its own
 * facet first, before withheld.) */
void tsg_hub_cases_page (tsg_txn_t *txn, const tsg_hub_case_filter_t *filter, tsg_hub_case_fn *fn,
                         void *arg, tsg_hub_case_page_t *page);

/* tsg_hub_cases_page, returning how many were listed and whether another page exists. */
size_t tsg_hub_cases_list (tsg_txn_t *txn, const tsg_hub_case_filter_t *filter, tsg_hub_case_fn *fn,
                           void *arg, bool *more);

/* The ids of every case with an overdue referral at now_ms, sorted, without duplicates, in a
 * new array the caller frees (NULL with *count 0 when there are none or memory ran out).
 * Memory grows with the overdue referrals: listings use tsg_hub_case_overdue instead. */
tsg_hub_case_id_t *tsg_hub_cases_overdue (tsg_txn_t *txn, uint64_t now_ms, size_t *count);

/* True when id is in a sorted set returned above. */
bool tsg_hub_cases_overdue_has (const tsg_hub_case_id_t *set, size_t count, const char *id);

/* The write side of CASE_ORDER and CASE_DUE (case_index_write.c). */

/* Brings c's CASE_ORDER entries in line: old as stored before (NULL: new), types the types of
 * c's agencies (n_types of them). */
void tsg_hub_case_order_sync (tsg_txn_t *txn, const tsg_hub_case_t *old, const tsg_hub_case_t *c,
                              const char types[][TSG_HUB_CASE_TYPE_MAX], size_t n_types);

/* Adds (present) or removes a referral's CASE_DUE entry, and moves the case's "awaiting"
 * facet when its first or last entry comes or goes. */
void tsg_hub_case_due_note (tsg_txn_t *txn, const char *case_id, uint64_t due_ms, int kind,
                            const char *referral_id, bool present);

/* Builds CASE_ORDER and CASE_DUE for a store written before they existed (META
 * "case_order.version" below TSG_HUB_CASE_ORDER_VERSION): every case record is rewritten
 * in the current format with its entries, every DUE entry gets its CASE_DUE twin.  One
 * transaction; no-op on a store already built.  Returns TSG_OK or a TSG_ERR_*; *rebuilt
 * (when not NULL) says how many cases were indexed. */
int tsg_hub_case_index_upgrade (tsg_store_t *store, size_t *rebuilt);

/* The same in txn (a write transaction the caller commits; the coordinator's schema 2):
 * failures in txn->rc, the cases indexed added to *rebuilt (when not NULL). */
void tsg_hub_case_index_build (tsg_txn_t *txn, size_t *rebuilt);

#endif
