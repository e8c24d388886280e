/* Alerts for the coordinator's staff (ALERTS, GET /v1/alerts, a /metrics counter): every abuse
 * report routed on the emergency basis, and every time an agency's quota or the store filled
 * (at most once per agency and cause in a window).  Ids, codes and English sentences only.
 * A member of staff acknowledges an alert once (who and when are kept); the alerts not yet
 * acknowledged are an index of their own, so the overview lists them without a scan. */
#ifndef TSG_HUB_ALERTS_H_INCLUDED
#define TSG_HUB_ALERTS_H_INCLUDED

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/model/audit.h"
#include "coordinator/model/referrals.h"

/* The STATS counter of alerts raised. */
#define TSG_HUB_STAT_ALERTS "alerts.emergency"
/* STATS: alerts in the open index not yet acknowledged (a gauge), and the highest alert
 * number the open index covers (alerts after it, written before acknowledgements existed,
 * count as open until the next write brings the index up to date). */
#define TSG_HUB_STAT_ALERTS_OPEN    "alerts.open"
#define TSG_HUB_STAT_ALERTS_INDEXED "alerts.open_indexed"

/* Longest name of who acknowledged an alert, in bytes. */
#define TSG_HUB_ALERT_ACTOR_MAX 64

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
    char kind[16];               /* "emergency" (the default when empty), "quota" or "store_full" */
    char detail[160];            /* quota, store_full: which limit, in English */
    uint64_t acknowledged_at_ms; /* when staff acknowledged it (0: not yet) */
    char acknowledged_by[TSG_HUB_ALERT_ACTOR_MAX + 1]; /* who did ("" while not) */
} tsg_hub_alert_t;

/* Stores alert as the next one (setting alert->n; its acknowledgement fields are ignored: a
 * new alert is open), counts it and puts it in the open index. */
void tsg_hub_alert_add (tsg_txn_t *txn, tsg_hub_alert_t *alert);

/* Reads alert n into *out; false when absent or unreadable. */
bool tsg_hub_alert_get (tsg_txn_t *txn, uint64_t n, tsg_hub_alert_t *out);

/* What an acknowledgement did. */
typedef enum {
    TSG_HUB_ALERT_ACKED = 0,     /* acknowledged now */
    TSG_HUB_ALERT_ALREADY = 1,   /* it was acknowledged before: nothing changed */
    TSG_HUB_ALERT_UNKNOWN = 2,   /* there is no alert n: nothing changed */
    TSG_HUB_ALERT_BAD_ACTOR = 3, /* actor is not 1-64 bytes of printable UTF-8 */
    TSG_HUB_ALERT_STORE = 4,     /* the store failed: nothing changed */
} tsg_hub_alert_ack_t;

/* Acknowledges alert n for actor at now_ms in txn (a write transaction): the record gets
 * acknowledged_at/by and leaves the open index.  *out (may be NULL) holds the alert as it is
 * afterwards (for ALREADY: as it was acknowledged).  Changes nothing unless it answers ACKED. */
tsg_hub_alert_ack_t tsg_hub_alert_ack (tsg_txn_t *txn, uint64_t n, const char *actor,
                                       uint64_t now_ms, tsg_hub_alert_t *out);

/* The whole acknowledgement as the control socket and the web run it: a write transaction of
 * its own on store, the ack, an audit record (event "alert-ack", details {alert, kind,
 * case_id, actor, via}) in audit (may be NULL), one commit.  A refusal writes nothing and
 * audits nothing; so does ALREADY. */
tsg_hub_alert_ack_t tsg_hub_alert_acknowledge (tsg_store_t *store, tsg_hub_audit_t *audit,
                                               uint64_t n, const char *actor, const char *via,
                                               uint64_t now_ms, tsg_hub_alert_t *out);

/* One alert as JSON: n, at, kind, acknowledged_at (ISO or null), acknowledged_by (or null),
 * and for kind "emergency" message_id, referral_id, case_id, from, from_type, to and the law of
 * the report; for the others agency and detail. */
json_t *tsg_hub_alert_json (const tsg_hub_alert_t *a);

/* {"count": n (all alerts), "alerts": [...]}: the newest first, at most limit, each as
 * tsg_hub_alert_json shows it. */
json_t *tsg_hub_view_alerts (tsg_txn_t *txn, size_t limit);

/* How many alerts are not yet acknowledged (counters only). */
uint64_t tsg_hub_alerts_open_count (tsg_txn_t *txn);

/* The alerts not yet acknowledged, newest first, at most limit: a JSON array of
 * tsg_hub_alert_json (a range read of the open index). */
json_t *tsg_hub_view_alerts_open (tsg_txn_t *txn, size_t limit);

/* The ALERTS key of alert n in the open index: 'o', be64 (UINT64_MAX - n), so that the index
 * reads newest first. */
#define TSG_HUB_ALERT_OPEN_KEY_LEN 9
void tsg_hub_alert_open_key (uint64_t n, uint8_t key[TSG_HUB_ALERT_OPEN_KEY_LEN]);

#endif
