/* The coordinator's read side as JSON (jansson): cases, a case with its timeline and
 * referrals, the overdue lists, the indicators and the agencies.  The HTTP routes serve these,
 * and tsunaguctl prints them for `case list --json` and `case show --json`.  Metadata only:
 * the coordinator holds no body to show. */
#ifndef TSG_HUB_VIEWS_H_INCLUDED
#define TSG_HUB_VIEWS_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "coordinator/model/cases.h"
#include "coordinator/model/referrals.h"

/* Pages of lists: the default and the largest page. */
#define TSG_HUB_PAGE_DEFAULT 100
#define TSG_HUB_PAGE_MAX     500

/* ISO-8601 UTC text of ms, or JSON null for 0. */
json_t *tsg_hub_json_time (uint64_t ms);

/* The Japan-time date "YYYY-MM-DD" of ms, or JSON null for 0. */
json_t *tsg_hub_json_date (uint64_t ms);

/* One case in a list at now_ms: case_id, state (with its Japanese state_label), version,
 * agencies, agency_types, tags, referral_count, opened_by, created_at, updated_at, closed_at,
 * next_review_on, review_overdue (the review date is before today, Japan time), overdue,
 * withheld (its referrals withheld), stuck_days (whole days since updated_at), candidate and
 * candidate_why (["agencies", "stuck", "reopened"]: why it is a 会議候補). */
json_t *tsg_hub_view_case_summary (const tsg_hub_case_t *c, bool overdue, uint64_t now_ms);

/* {"cases": [summaries], "count": n, "next_after": id | null (sort id, complete pages),
 * "next_cursor": text | null (any sort: the cursor of the next page), "sort": name,
 * "partial": bool (the page stopped at the budget of entries examined: go on with
 * next_cursor), "examined": n} for filter (limit already bounded by the caller).  NULL when
 * the read failed. */
json_t *tsg_hub_view_cases (tsg_txn_t *txn, const tsg_hub_case_filter_t *filter);

/* The case id with everything the coordinator knows: the summary, roster, plan roles,
 * figures, its referrals with states and due dates, withheld_referrals (those of them
 * withheld), and the whole timeline (who, when, what, metadata).  NULL when there is no such
 * case. */
json_t *tsg_hub_view_case (tsg_txn_t *txn, const char *id, uint64_t now_ms);

/* One referral: parties, state (with label), version, urgency, dates, due dates, outcome,
 * what it is overdue for at now_ms (null when nothing), and withheld: {reason ("revoked" |
 * "expired"), at, consent_id, label} when its letter was withheld (else null). */
json_t *tsg_hub_view_referral (const tsg_hub_referral_t *ref, uint64_t now_ms);

/* {"overdue": kind, "as_of": iso, "count": n, "referrals": [...]}: the referrals overdue for
 * kind at now_ms, earliest due first, at most limit. */
json_t *tsg_hub_view_overdue (tsg_txn_t *txn, tsg_hub_due_kind_t kind, uint64_t now_ms,
                              size_t limit);

/* The indicators from the STATS counters (and the two overdue counts at now_ms): averages of
 * time to received, accepted, plan and closure; agencies per case; reopen rate; cases and
 * referrals by state. */
json_t *tsg_hub_view_stats (tsg_txn_t *txn, uint64_t now_ms);

/* {"serial": n, "agencies": [{id, type, name, status, response_due_days, receive_due_days,
 * mailbox_depth}]} from the registry as txn sees it.  NULL when the read failed. */
json_t *tsg_hub_view_agencies (tsg_txn_t *txn);

#endif
