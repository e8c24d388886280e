/* The layout of the coordinator's records: the format byte each value starts with and the shape
 * of each key, shared by the read side of a record (cases.c, referrals.c, timeline.c, consents.c,
 * alerts.c) and its write side (cases_write.c, ...).  Private to model/. */
#ifndef TSG_HUB_LAYOUT_H_INCLUDED
#define TSG_HUB_LAYOUT_H_INCLUDED

#include "tsunagu/tsunagu.h"

#define TSG_HUB_CASE_FORMAT 2 /* CASES: the value's format */
#define TSG_HUB_CASE_INDEX_MAX                                                                     \
    (TSG_TAG_LEN_MAX + 1 + 36)                       /* the longest index key: word, NUL, case id */
#define TSG_HUB_CASE_ID_LEN        36                /* a case id's text */
#define TSG_HUB_REFERRAL_FORMAT    1                 /* REFERRALS: the value's format */
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

/* The key of an index entry (CASE_BY_STATE, _BY_AGENCY, _BY_TAG): word, NUL, case id; its
 * length. */
size_t tsg_hub_case_index_key (const char *word, const char *case_id,
                               uint8_t key[TSG_HUB_CASE_INDEX_MAX]);

/* True when word is one of the n rows (each width bytes, NUL-padded) of a record's list. */
bool tsg_hub_rows_contain (const char *rows, size_t width, size_t n, const char *word);

/* The CASE_EVENTS key of a case's event n: case id, NUL, be64 n; its length. */
size_t tsg_hub_event_key (const char *case_id, uint64_t n, uint8_t key[TSG_HUB_EVENT_KEY_LEN]);

#endif
