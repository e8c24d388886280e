/* Alerts for the coordinator's staff (ALERTS, GET /v1/alerts, a /metrics counter): every abuse
 * report routed on the emergency basis, and every time an agency's quota or the store filled
 * (at most once per agency and cause in a window).  Ids, codes and English sentences only. */
#ifndef TSG_HUB_ALERTS_H_INCLUDED
#define TSG_HUB_ALERTS_H_INCLUDED

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/model/referrals.h"

/* The STATS counter of alerts raised. */
#define TSG_HUB_STAT_ALERTS "alerts.emergency"

/* One alert. */
typedef struct {
    uint64_t n;     /* its number, from 1 (set by tsg_hub_alert_add) */
    uint64_t at_ms; /* when the coordinator routed the report */
    char message_id[2 * TSG_MESSAGE_ID_SIZE + 1]; /* the letter, in hex */
    char referral_id[TSG_UUID_TEXT_SIZE];         /* the referral it is */
    char case_id[TSG_UUID_TEXT_SIZE];             /* its case */
    char sender[TSG_ID_MAX + 1];                  /* the reporting agency */
    char sender_type[TSG_HUB_TYPE_MAX];           /* its type */
    char recipient[TSG_ID_MAX + 1];               /* the agency it went to */
    char kind[16];    /* "emergency" (the default when empty), "quota" or "store_full" */
    char detail[160]; /* quota, store_full: which limit, in English */
} tsg_hub_alert_t;

/* Stores alert as the next one (setting alert->n) and counts it. */
void tsg_hub_alert_add (tsg_txn_t *txn, tsg_hub_alert_t *alert);

/* {"count": n (all alerts), "alerts": [...]}: the newest first, at most limit, each with n,
 * at, kind "emergency", message_id, referral_id, case_id, from, from_type, to, and the law
 * of the report. */
json_t *tsg_hub_view_alerts (tsg_txn_t *txn, size_t limit);

#endif
