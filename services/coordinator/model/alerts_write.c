/* alerts_write.c — recording an alert for the coordinator's staff, and its acknowledgement
 * (alerts.h; the layout is alerts.c's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "coordinator/model/store.h"
#include "tsunagu/tsg_agency_types.h"
#include "tsunagu/tsg_text.h"
#include "coordinator/model/layout.h"
#include "coordinator/model/alerts.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/reports.h"
#include "coordinator/model/stats.h"

/* Writes alert under its n in the current format. */
static void
s_put (tsg_txn_t *txn, const tsg_hub_alert_t *alert)
{
    tsg_hub_writer_t w;
    tsg_hub_writer_init (&w);
    tsg_hub_write_u8 (&w, TSG_HUB_ALERT_FORMAT);
    tsg_hub_write_u64 (&w, alert->at_ms);
    tsg_hub_write_str (&w, alert->message_id);
    tsg_hub_write_str (&w, alert->referral_id);
    tsg_hub_write_str (&w, alert->case_id);
    tsg_hub_write_str (&w, alert->sender);
    tsg_hub_write_str (&w, alert->sender_type);
    tsg_hub_write_str (&w, alert->recipient);
    tsg_hub_write_str (&w, alert->kind[0] ? alert->kind : "emergency");
    tsg_hub_write_str (&w, alert->detail);
    tsg_hub_write_u64 (&w, alert->acknowledged_at_ms);
    tsg_hub_write_str (&w, alert->acknowledged_by);
    if (!w.ok) {
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOMEM;
        tsg_hub_writer_free (&w);
        return;
    }
    uint8_t key[8];
    tsg_be64_put (key, alert->n);
    tsg_txn_put (txn, tsg_store_db (txn->store, TSG_HUB_DB_ALERTS), key, sizeof key, w.data, w.len);
    tsg_hub_writer_free (&w);
}

/* Puts alert n in the open index (present) or takes it out, keeping the gauge in step. */
static void
s_open (tsg_txn_t *txn, uint64_t n, bool present)
{
    uint8_t key[TSG_HUB_ALERT_OPEN_KEY_LEN];
    tsg_hub_alert_open_key (n, key);
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_ALERTS);
    if (present)
        tsg_txn_put (txn, db, key, sizeof key, "", 0);
    else
        tsg_txn_del (txn, db, key, sizeof key);
    tsg_hub_stat_add (txn, TSG_HUB_STAT_ALERTS_OPEN, present ? 1 : -1);
}

/* Brings the open index up to the alerts stored before it existed (once per store: the
 * alerts after its reach, none of which can have been acknowledged). */
static void
s_index_catch_up (tsg_txn_t *txn)
{
    uint64_t count = tsg_hub_stat_get (txn, TSG_HUB_STAT_ALERTS);
    uint64_t indexed = tsg_hub_stat_get (txn, TSG_HUB_STAT_ALERTS_INDEXED);
    if (indexed >= count)
        return;
    for (uint64_t n = indexed + 1; n <= count && txn->rc == TSG_OK; n++)
        s_open (txn, n, true);
    tsg_hub_stat_add (txn, TSG_HUB_STAT_ALERTS_INDEXED, (int64_t) (count - indexed));
}

void
tsg_hub_alert_add (tsg_txn_t *txn, tsg_hub_alert_t *alert)
{
    tsg_hub_report_note_alert (txn, alert);
    s_index_catch_up (txn);
    alert->n = tsg_hub_stat_get (txn, TSG_HUB_STAT_ALERTS) + 1;
    alert->acknowledged_at_ms = 0;
    alert->acknowledged_by[0] = '\0';
    s_put (txn, alert);
    tsg_hub_stat_add (txn, TSG_HUB_STAT_ALERTS, 1);
    s_open (txn, alert->n, true);
    tsg_hub_stat_add (txn, TSG_HUB_STAT_ALERTS_INDEXED, 1);
}

tsg_hub_alert_ack_t
tsg_hub_alert_ack (tsg_txn_t *txn, uint64_t n, const char *actor, uint64_t now_ms,
                   tsg_hub_alert_t *out)
{
    tsg_hub_alert_t scratch;
    tsg_hub_alert_t *a = out ? out : &scratch;
    if (!actor || !tsg_text_ok (actor, TSG_HUB_ALERT_ACTOR_MAX))
        return TSG_HUB_ALERT_BAD_ACTOR;
    if (n == 0 || !tsg_hub_alert_get (txn, n, a))
        return txn->rc == TSG_OK ? TSG_HUB_ALERT_UNKNOWN : TSG_HUB_ALERT_STORE;
    if (a->acknowledged_at_ms)
        return TSG_HUB_ALERT_ALREADY;
    s_index_catch_up (txn);
    a->acknowledged_at_ms = now_ms ? now_ms : 1;
    snprintf (a->acknowledged_by, sizeof a->acknowledged_by, "%s", actor);
    s_put (txn, a);
    s_open (txn, n, false);
    return txn->rc == TSG_OK ? TSG_HUB_ALERT_ACKED : TSG_HUB_ALERT_STORE;
}

tsg_hub_alert_ack_t
tsg_hub_alert_acknowledge (tsg_store_t *store, tsg_hub_audit_t *audit, uint64_t n,
                           const char *actor, const char *via, uint64_t now_ms,
                           tsg_hub_alert_t *out)
{
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);
    tsg_hub_alert_t a;
    tsg_hub_alert_ack_t result = tsg_hub_alert_ack (&txn, n, actor, now_ms, &a);
    if (out)
        *out = a;
    if (result != TSG_HUB_ALERT_ACKED) {
        tsg_txn_abort (&txn);
        return result;
    }
    if (audit)
        tsg_hub_audit_add (audit, "alert-ack", NULL, NULL, NULL, a.kind,
                           json_pack ("{s:I, s:s, s:s, s:s, s:s}", "alert", (json_int_t) a.n,
                                      "kind", a.kind, "case_id", a.case_id, "actor", actor, "via",
                                      via ? via : "control"));
    int rc = tsg_hub_audit_commit (audit, &txn);
    if (rc != TSG_OK) {
        log_warnx ("alerts: the acknowledgement of alert %llu could not be stored: %s",
                   (unsigned long long) n, tsg_strerror (rc));
        return TSG_HUB_ALERT_STORE;
    }
    log_info ("alert %llu acknowledged by %s (%s)", (unsigned long long) n, actor,
              via ? via : "control");
    return TSG_HUB_ALERT_ACKED;
}
