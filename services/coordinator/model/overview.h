/* The coordinator's overview (概況): the figures of the dashboard's first page and of
 * `tsunaguctl top`, read from counters, indices and bounded range reads only, so that it
 * answers in milliseconds with a million cases stored.  Ids, codes, dates and counts: no
 * personal data.  The live part (who is online, letters per minute) is added by the API
 * (api/overview.h), which asks the running daemon. */
#ifndef TSG_HUB_OVERVIEW_H_INCLUDED
#define TSG_HUB_OVERVIEW_H_INCLUDED

#include <jansson.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"

/* STATS counters of new cases by the Japan-time day ("YYYY-MM-DD") and month ("YYYY-MM") of
 * their creation, kept by tsg_hub_overview_note_case (overview_write.c). */
#define TSG_HUB_STAT_CASES_DAY   "cases.opened.day."
#define TSG_HUB_STAT_CASES_MONTH "cases.opened.month."

/* STATS: letters withheld (all), and by the reason their consent ended ("revoked",
 * "expired"), where the withholding counts them by reason. */
#define TSG_HUB_STAT_WITHHELD    "letters.withheld"
#define TSG_HUB_STAT_WITHHELD_BY "letters.withheld."

/* Bounds of the overview's reads. */
#define TSG_HUB_OVERVIEW_DUE_BUDGET     20000 /* DUE entries examined per kind */
#define TSG_HUB_OVERVIEW_CONSENT_BUDGET 10000 /* expiring consents counted */
#define TSG_HUB_OVERVIEW_LIST_MAX       100   /* consents and alerts listed */
#define TSG_HUB_OVERVIEW_EXPIRY_DAYS    14    /* "expiring": valid until today + 14 at most */

/* The overview at now_ms (NULL when memory ran out or the read failed: txn->rc says which):
 *   {"as_of": ISO,
 *    "cases_by_state": {state: n, ...}  every case state, from the gauges,
 *    "new_cases": {"today": n, "week": n (since Monday, Japan time), "month": n (since the
 *                  1st), "week_from": "YYYY-MM-DD", "month_of": "YYYY-MM"},
 *    "overdue": {"received": [{"agency", "name", "count"}], "accepted": [...]  by recipient,
 *                most overdue first; "total": {"received": n, "accepted": n};
 *                "partial": true when the budget ended the count},
 *    "withheld": {"count": n, "by_reason": {"revoked": n, "expired": n, "not_recorded": n}}
 *                (reasons with a count only; not_recorded: withheld before reasons were kept),
 *    "consents_expiring": [{"consent_id", "case_id", "valid_until"}]  active, valid until
 *                today + 14 days at most, soonest first, at most 100;
 *    "consents_expiring_count": n,
 *    "alerts_open": [alert views not acknowledged, newest first, at most 100];
 *    "alerts_open_count": n,
 *    "agencies": [{"id", "name", "type", "status", "mailbox_depth", "response_due_days",
 *                  "receive_due_days"}]} */
json_t *tsg_hub_view_overview (tsg_txn_t *txn, uint64_t now_ms);

/* The first ms (UTC) of the Japan-time day that is days after the one of ms. */
uint64_t tsg_hub_jst_day_start (uint64_t ms, int days);

/* Counts a new case created at created_ms (overview_write.c: the write side). */
void tsg_hub_overview_note_case (tsg_txn_t *txn, uint64_t created_ms);

#endif
