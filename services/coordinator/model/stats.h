/* Durable counters in the STATS database: the indicators and gauges that reads take without
 * scanning anything. */
#ifndef TSG_HUB_STATS_H_INCLUDED
#define TSG_HUB_STATS_H_INCLUDED

#include <stdint.h>

#include "tsunagu/tsunagu.h"

/* Counter names.  "sum_ms" counters add durations, "count" counters how many were added, so
 * an average is one division.  Names ending in '.' take a suffix (a state or an agency id). */
#define TSG_HUB_STAT_REFERRALS           "referrals.created"
#define TSG_HUB_STAT_REF_STATE           "referrals.state." /* + state name: gauge */
#define TSG_HUB_STAT_REF_RECEIVED_COUNT  "referrals.to_received.count"
#define TSG_HUB_STAT_REF_RECEIVED_SUM    "referrals.to_received.sum_ms"
#define TSG_HUB_STAT_REF_ACCEPTED_COUNT  "referrals.to_accepted.count"
#define TSG_HUB_STAT_REF_ACCEPTED_SUM    "referrals.to_accepted.sum_ms"
#define TSG_HUB_STAT_CASES_OPENED        "cases.opened"
#define TSG_HUB_STAT_CASES_CLOSED        "cases.closed" /* closures, counting each again */
#define TSG_HUB_STAT_CASES_REOPENED      "cases.reopened"
#define TSG_HUB_STAT_CASES_AGENCIES      "cases.agencies"     /* agencies joined, over all cases */
#define TSG_HUB_STAT_CASES_MULTI         "cases.multi_agency" /* cases that got a second agency */
#define TSG_HUB_STAT_CASE_STATE          "cases.state."       /* + state name: gauge */
#define TSG_HUB_STAT_CASE_RECEIVED_COUNT "cases.to_received.count"
#define TSG_HUB_STAT_CASE_RECEIVED_SUM   "cases.to_received.sum_ms"
#define TSG_HUB_STAT_CASE_ACCEPTED_COUNT "cases.to_accepted.count"
#define TSG_HUB_STAT_CASE_ACCEPTED_SUM   "cases.to_accepted.sum_ms"
#define TSG_HUB_STAT_CASE_PLAN_COUNT     "cases.to_plan.count"
#define TSG_HUB_STAT_CASE_PLAN_SUM       "cases.to_plan.sum_ms"
#define TSG_HUB_STAT_CASE_CLOSURE_COUNT  "cases.to_closure.count"
#define TSG_HUB_STAT_CASE_CLOSURE_SUM    "cases.to_closure.sum_ms"
#define TSG_HUB_STAT_CASE_EVENTS         "cases.events"     /* case events applied */
#define TSG_HUB_STAT_MAILBOX_DEPTH       "mailbox.depth."   /* + agency id: gauge */
#define TSG_HUB_STAT_MAILBOX_BYTES       "mailbox.bytes."   /* + agency id: bytes waiting for it */
#define TSG_HUB_STAT_SENDER_LETTERS      "sender.letters."  /* + agency id: its letters waiting */
#define TSG_HUB_STAT_SENDER_BYTES        "sender.bytes."    /* + agency id: ... their bytes */
#define TSG_HUB_STAT_QUOTA_REFUSED       "quota.refused."   /* + agency id: letters refused */
#define TSG_HUB_STAT_PRUNED              "retention.pruned" /* records expired */

/* Longest counter name. */
#define TSG_HUB_STAT_NAME_MAX 96

/* Adds delta to the counter name (absent counts as 0; it never goes below 0). */
void tsg_hub_stat_add (tsg_txn_t *txn, const char *name, int64_t delta);

/* The same for the counter prefix + suffix (prefix ends in '.'). */
void tsg_hub_stat_add2 (tsg_txn_t *txn, const char *prefix, const char *suffix, int64_t delta);

/* The counter's value, 0 when absent or unreadable. */
uint64_t tsg_hub_stat_get (tsg_txn_t *txn, const char *name);
uint64_t tsg_hub_stat_get2 (tsg_txn_t *txn, const char *prefix, const char *suffix);

#endif
