/* The layout of the coordinator's records: the format byte each value starts with and the shape
 * of each key, shared by the read side of a record (cases.c, referrals.c, timeline.c, consents.c,
 * alerts.c) and its write side (cases_write.c, ...).  Private to model/. */
#ifndef TSG_HUB_LAYOUT_H_INCLUDED
#define TSG_HUB_LAYOUT_H_INCLUDED

#include "tsunagu/tsunagu.h"
#include "coordinator/model/cases.h"

#define TSG_HUB_CASE_FORMAT 4 /* CASES: the value's format */
#define TSG_HUB_CASE_INDEX_MAX                                                                     \
    (TSG_TAG_LEN_MAX + 1 + 36)                       /* the longest index key: word, NUL, case id */
#define TSG_HUB_CASE_ID_LEN        36                /* a case id's text */
#define TSG_HUB_REFERRAL_FORMAT    2                 /* REFERRALS: the value's format */
#define TSG_HUB_DUE_KEY_LEN        (1 + 8 + 36)      /* DUE: u8 kind, be64 due ms, referral id */
#define TSG_HUB_EVENT_FORMAT       1                 /* CASE_EVENTS: the value's format */
#define TSG_HUB_EVENT_KEY_LEN      (36 + 1 + 8)      /* case id, NUL, be64 n */
#define TSG_HUB_CONSENT_FORMAT     1                 /* CONSENTS: the value's format */
#define TSG_HUB_CONSENT_ID_LEN     36                /* a consent id's text */
#define TSG_HUB_CONSENT_BY_CASE    'c'               /* CONSENT_INDEX: by case */
#define TSG_HUB_CONSENT_BY_END     'e'               /* ... by the end of validity */
#define TSG_HUB_CONSENT_BY_MAIL    'm'               /* ... the mail relying on it */
#define TSG_HUB_STAT_CONSENT_STATE "consents.state." /* STATS: consents per state */
#define TSG_HUB_ALERT_FORMAT       3                 /* ALERTS: the value's format */
#define TSG_HUB_ALERT_FORMAT_V2    2                 /* ... as written before acknowledgements */
#define TSG_HUB_ALERT_FORMAT_V1    1                 /* ... as written before kinds */

/* CASE_ORDER (case_index.c): u8 order | u8 facet | value | NUL | be64 sort key | case id →
 * summary: u8 state | u8 flags | u8 agencies | be64 updated_at | be64 created_at. */
#define TSG_HUB_ORDER_ID           'i' /* sort key 0: case id order */
#define TSG_HUB_ORDER_UPDATED      'u' /* sort key updated_at */
#define TSG_HUB_ORDER_CREATED      'c' /* sort key created_at */
#define TSG_HUB_FACET_ALL          'a' /* every case (value "") */
#define TSG_HUB_FACET_STATE        's' /* its state name */
#define TSG_HUB_FACET_AGENCY       'g' /* each agency id on it */
#define TSG_HUB_FACET_TAG          't' /* each tag */
#define TSG_HUB_FACET_TYPE         'y' /* each agency type */
#define TSG_HUB_FACET_WITHHELD     'w' /* a referral withheld (value "") */
#define TSG_HUB_FACET_AWAITING     'o' /* a referral awaits receipt or an answer (value "") */
#define TSG_HUB_FACET_HANDOVER     'h' /* handed over since the last review (value "") */
#define TSG_HUB_ORDER_KEY_MAX      (2 + TSG_TAG_LEN_MAX + 1 + 8 + 36) /* the longest key */
#define TSG_HUB_ORDER_SUMMARY_LEN  (3 + 8 + 8)                        /* the value */
#define TSG_HUB_SUMMARY_WITHHELD   1u /* summary flags: a referral withheld */
#define TSG_HUB_SUMMARY_REOPENED   2u /* ... reopened at least once */
#define TSG_HUB_SUMMARY_HANDOVER   4u /* ... handed over since its last meeting or plan */
#define TSG_HUB_CASE_DUE_KEY_LEN   (36 + 8 + 1 + 36) /* CASE_DUE: case id, be64 due, kind, ref */
#define TSG_HUB_CASE_ORDER_VERSION 1                 /* META "case_order.version" when built */
#define TSG_HUB_CASE_ORDER_META    "case_order.version"

/* The CASE_ORDER key of (order, facet, value, sort key, case id); its length. */
size_t tsg_hub_case_order_key (uint8_t order, uint8_t facet, const char *value, uint64_t sort_key,
                               const char *case_id, uint8_t key[TSG_HUB_ORDER_KEY_MAX]);

/* The summary value of c's CASE_ORDER entries. */
void tsg_hub_case_order_summary (const tsg_hub_case_t *c, uint8_t out[TSG_HUB_ORDER_SUMMARY_LEN]);

/* The key of an index entry (CASE_BY_STATE, _BY_AGENCY, _BY_TAG): word, NUL, case id; its
 * length. */
size_t tsg_hub_case_index_key (const char *word, const char *case_id,
                               uint8_t key[TSG_HUB_CASE_INDEX_MAX]);

/* True when word is one of the n rows (each width bytes, NUL-padded) of a record's list. */
bool tsg_hub_rows_contain (const char *rows, size_t width, size_t n, const char *word);

/* The CASE_EVENTS key of a case's event n: case id, NUL, be64 n; its length. */
size_t tsg_hub_event_key (const char *case_id, uint64_t n, uint8_t key[TSG_HUB_EVENT_KEY_LEN]);

#endif
