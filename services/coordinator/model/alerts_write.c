/* alerts_write.c — recording an alert for the coordinator's staff (alerts.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "coordinator/model/store.h"
#include "tsunagu/tsg_agency_types.h"
#include "coordinator/model/layout.h"
#include "coordinator/model/alerts.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/stats.h"

void
tsg_hub_alert_add (tsg_txn_t *txn, tsg_hub_alert_t *alert)
{
    alert->n = tsg_hub_stat_get (txn, TSG_HUB_STAT_ALERTS) + 1;
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
    tsg_hub_stat_add (txn, TSG_HUB_STAT_ALERTS, 1);
}
