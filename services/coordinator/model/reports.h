/* The figures the municipality reports (実績・報告): monthly aggregates kept in REPORTS inside
 * the transaction of the change they count, and the view over a period of months.
 *
 * REPORTS key: month "YYYY-MM" (Japan time, 7 bytes), NUL, figure name (text).  Values:
 *     consultations, cases_opened, reopened, withheld, emergency        be64
 *     matrix/<sender type>/<recipient type>                              be64 referrals made
 *     closures/<close reason>                                            be64
 *     meetings/<kind>/cases                                              be64 case discussions
 *     meetings/<kind>/held                                               be64 meeting days
 *     meetings/<kind>/days                                               be64 bit d-1 set: day d
 *     to_received|to_accepted|to_plan|to_closure/<agency type>           histogram
 * A histogram is u8 format (1) and TSG_HUB_REPORT_BUCKETS be32 counts, log-spaced eight to a
 * doubling: bucket 0 holds durations under a minute; bucket i (1..168) holds [2^((i-1)/8),
 * 2^(i/8)) minutes; the last one everything from 2^21 minutes (about 4 years) on.  A quantile
 * is read as the geometric middle of the bucket that holds its rank (nearest rank: the median of
 * n durations is the ceil(n/2)-th, the 90th percentile the ceil(0.9 n)-th), so it is within
 * ±4.4% (2^(1/16)) of that duration between a minute and 4 years; under a minute it reads as 30
 * seconds.
 *
 * Which month a change counts in: a referral made, the month of its created_at; received and
 * accepted, of received_at / accepted_at (the time from created_at, by the recipient's type); a
 * case opened, of created_at; its first plan and each closure, of plan_at / closed_at (the time
 * from created_at, by the type of the agency that opened it); a reopening, of updated_at; a
 * meeting, of its held_on date (of the recording when that is not a date).  A meeting day is one
 * date on which at least one meeting of the kind was recorded on some case: the coordinator sees
 * a meeting once per case discussed, with no id of the meeting itself, so "held" counts the days
 * with such meetings and "cases" the case discussions.  A withheld letter and an emergency
 * report count in the month they happened.
 *
 * A store made before these figures existed has none for its earlier months: the view says
 * from which month on they were kept ("since"), and invents nothing before it. */
#ifndef TSG_HUB_REPORTS_H_INCLUDED
#define TSG_HUB_REPORTS_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/model/alerts.h"
#include "coordinator/model/cases.h"
#include "coordinator/model/referrals.h"

#define TSG_HUB_REPORT_BUCKETS    170 /* histogram buckets (see above) */
#define TSG_HUB_REPORT_FORMAT     1   /* a histogram value's format byte */
#define TSG_HUB_REPORT_MONTHS_MAX 120 /* the longest period a view covers */
#define TSG_HUB_REPORT_NAME_MAX   64  /* the longest figure name, with its NUL */

/* ---- hooks (reports_write.c): each derives what happened from the record as stored before
 * (old, NULL when new) and as it is written now, and counts it in the same transaction.  Each
 * is a no-op once txn failed. */

/* At the top of tsg_hub_case_put: opened, first plan, closed (with its reason), reopened, and
 * the meetings on the timeline entries appended since old (old->events + 1 .. c->events). */
void tsg_hub_report_note_case (tsg_txn_t *txn, const tsg_hub_case_t *old, const tsg_hub_case_t *c);

/* At the top of tsg_hub_referral_put: made (consultations and the type matrix), first
 * received, first accepted. */
void tsg_hub_report_note_referral (tsg_txn_t *txn, const tsg_hub_referral_t *old,
                                   const tsg_hub_referral_t *ref);

/* One letter withheld at at_ms (its consent ended before delivery). */
void tsg_hub_report_note_withheld (tsg_txn_t *txn, uint64_t at_ms);

/* In tsg_hub_alert_add: an emergency report (kind "" or "emergency"; other kinds are not
 * counted). */
void tsg_hub_report_note_alert (tsg_txn_t *txn, const tsg_hub_alert_t *alert);

/* ---- the read side (reports.c) */

/* The month "YYYY-MM" (Japan time) of ms into out. */
void tsg_hub_report_month (uint64_t ms, char out[8]);

/* True when text is a month "YYYY-MM" in the years 2000..2199. */
bool tsg_hub_report_month_ok (const char *text);

/* Months from `from` to `to`, both counted ("2026-04".."2027-03" is 12); 0 when either is not
 * a month or from is after to. */
unsigned tsg_hub_report_months (const char *from, const char *to);

/* The bucket of a duration of ms, and the duration (hours) a bucket reads as. */
size_t tsg_hub_report_bucket (uint64_t ms);
double tsg_hub_report_bucket_hours (size_t bucket);

/* The rank-th smallest (from 1) of the durations counted in a histogram, in hours, or a
 * negative number when there are fewer than rank. */
double tsg_hub_report_rank_hours (const uint64_t counts[TSG_HUB_REPORT_BUCKETS], uint64_t rank);

/* The figures of the months from_month .. to_month (inclusive, "YYYY-MM"):
 *   {"from", "to", "since": the first month with figures (null: none yet), "as_of": now_ms,
 *    "consultations", "cases_opened",
 *    "referral_matrix": {sender_type: {recipient_type: n}},
 *    "times": {"to_received"|"to_accepted"|"to_plan"|"to_closure":
 *              {agency_type|"all": {"count", "median_hours", "p90_hours"}}},
 *    "closures": {reason: n}, "reopened", "reopen_rate" (reopened / closures, null for none),
 *    "meetings": {kind: {"held", "cases"}}, "withheld", "emergency"}
 * The four agency types, the close reasons and the meeting kinds are always there (0 or null
 * when nothing was counted); other names appear when counted.  Hours are rounded to 0.01.
 * NULL when a month is not one, from is after to, the period is longer than
 * TSG_HUB_REPORT_MONTHS_MAX, or memory ran out; a failed read shows in txn->rc.  Over the
 * whole history of a store made with these figures, the totals equal tsg_hub_view_stats's:
 * consultations = referrals.created, cases_opened = cases.opened, the closures = cases.closed,
 * reopened = cases.reopened, and each time's "all" count its count there. */
json_t *tsg_hub_view_report (tsg_txn_t *txn, const char *from_month, const char *to_month,
                             uint64_t now_ms);

#endif
