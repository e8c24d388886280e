/* The JSON the API shows, one file per resource: the inbox (inbox_view.c), referrals with
 * their state (referral_view.c), the case copies (cases_view.c), the consent register
 * (consents_view.c), the event feed (events_view.c) and /metrics (metrics.c).  Each reads the
 * records in a read transaction and writes nothing. */
#ifndef AGENCY_API_VIEWS_H_INCLUDED
#define AGENCY_API_VIEWS_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agency/core/agency.h"

/* GET /v1/inbox: {"items": [...], "next_cursor": n}, entries after cursor `after`, their
 * bodies opened (once each). */
json_t *agency_inbox_list (tsg_agency_t *self, uint64_t after, size_t limit);

/* The opened body (a JSON object) of the inbox entry at cursor, read through txn; NULL when
 * there is none or it does not open. */
json_t *agency_inbox_content (tsg_agency_t *self, tsg_txn_t *txn, uint64_t cursor);

/* GET /v1/referrals/{id}: the sent or received record with its state, or NULL when unknown. */
json_t *agency_referral_show (tsg_agency_t *self, const char *referral_id);

/* Adds the state fields of record to out, an API answer: "status" and "state", "version",
 * "state_history" (times in ISO-8601), "pending_status" and "pending_changes" while changes
 * of ours wait, "errors" when some were refused, "out_of_sync" when set. */
void agency_status_api (const json_t *record, json_t *out);

/* GET /v1/cases: {"items": [...]}, every case of the copy (state_filter NULL) or those in
 * one state. */
json_t *agency_cases_list (tsg_agency_t *self, const char *state_filter);

/* GET /v1/cases/{id}: the copy with its referrals and events, or NULL when unknown. */
json_t *agency_case_show (tsg_agency_t *self, const char *case_id);

/* GET /v1/consents[?case=]: {"items": [...]}, every consent known here or those of one case. */
json_t *agency_consents_list (tsg_agency_t *self, const char *case_filter);

/* GET /v1/consents/{id}: the consent as the list shows it, or NULL when unknown. */
json_t *agency_consent_show (tsg_agency_t *self, const char *consent_id);

/* GET /v1/events?after=&limit=: {"events": [...], "next_after": n, "last": n}, at most limit
 * events after seq `after` in order, each as records/events.h stores it; next_after is the
 * cursor to ask with next (after itself when none came).  *status 200 (and *count the events
 * given), 400 when after is past the last event, 410 when events after it (> 0) were pruned (the
 * body says "first" and "last"), 500 when the store could not be read. */
json_t *agency_events_list (tsg_agency_t *self, uint64_t after, size_t limit, int *status,
                            size_t *count);

/* The seq of the last committed event (0: none), in a read transaction of its own. */
uint64_t agency_events_last_committed (tsg_agency_t *self);

/* GET /v1/referrals/{id}/fhir: the referral as a FHIR R4 Bundle (fhir_view.c, docs/fhir.md),
 * or NULL when it was neither sent nor received here. */
json_t *agency_referral_fhir (tsg_agency_t *self, const char *referral_id);

#define AGENCY_EXPORT_ROWS_MAX 100000 /* referrals one CSV export may hold */

/* What GET /v1/exports/referrals.csv asks for. */
typedef struct {
    char from[11]; /* first created date (Japan time), YYYY-MM-DD */
    char to[11];   /* last one, inclusive */
    bool sent;     /* the referrals this agency sent */
    bool received; /* ... and those it received */
    bool cp932;    /* CP932 instead of UTF-8 with BOM */
    bool personal; /* add the household id and name (received referrals only) */
} agency_export_query_t;

/* Reads the query arguments (each may be NULL: direction all, encoding utf-8, personal
 * false; from and to are required); false with each problem in fields. */
bool agency_export_parse (const char *from, const char *to, const char *direction,
                          const char *encoding, const char *personal, agency_export_query_t *out,
                          json_t *fields);

/* The CSV of q (export_view.c): 200 with *out (caller frees) of *len bytes, or the status
 * (422 too_many_rows past AGENCY_EXPORT_ROWS_MAX, 500) with *error. */
int agency_export_referrals (tsg_agency_t *self, const agency_export_query_t *q, char **out,
                             size_t *len, json_t **error);

/* GET /metrics: the daemon's state and counters in the Prometheus text format; the caller
 * frees it.  NULL when memory ran out. */
char *agency_metrics_text (tsg_agency_t *self);

/* Counts one error answer of the API (status >= 400, body its JSON with "error", may be NULL)
 * for /metrics' tsunagu_agency_api_refusals_total, by a fixed table of statuses and codes
 * (any other is "other"). */
void agency_metrics_count_refusal (tsg_agency_t *self, int status, const json_t *body);

#endif
