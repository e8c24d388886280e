/* alerts.c — the ALERTS records.
 *
 *   ALERTS  be64 n → u8 format (2) | be64 at_ms | str message_id (hex) | str referral_id |
 *                    str case_id | str sender | str sender_type | str recipient |
 *                    str kind | str detail
 *           (format 1, written before quota alerts, ends after recipient: an emergency)
 *   STATS   "alerts.emergency" → how many there are; the next n is one more. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_agency_types.h"
#include "coordinator/model/alerts.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/stats.h"

#define FORMAT    2
#define FORMAT_V1 1

void
tsg_hub_alert_add (tsg_txn_t *txn, tsg_hub_alert_t *alert)
{
    alert->n = tsg_hub_stat_get (txn, TSG_HUB_STAT_ALERTS) + 1;
    tsg_hub_writer_t w;
    tsg_hub_writer_init (&w);
    tsg_hub_write_u8 (&w, FORMAT);
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

/* Reads the alert under n into *out; false when absent or unreadable. */
static bool
s_get (tsg_txn_t *txn, uint64_t n, tsg_hub_alert_t *out)
{
    uint8_t key[8];
    tsg_be64_put (key, n);
    MDB_val val;
    if (!tsg_txn_get (txn, tsg_store_db (txn->store, TSG_HUB_DB_ALERTS), key, sizeof key, &val))
        return false;
    tsg_hub_reader_t r;
    tsg_hub_reader_init (&r, val.mv_data, val.mv_size);
    memset (out, 0, sizeof *out);
    out->n = n;
    uint8_t format = tsg_hub_read_u8 (&r);
    if (format != FORMAT && format != FORMAT_V1)
        return false;
    out->at_ms = tsg_hub_read_u64 (&r);
    tsg_hub_read_str (&r, out->message_id, sizeof out->message_id);
    tsg_hub_read_str (&r, out->referral_id, sizeof out->referral_id);
    tsg_hub_read_str (&r, out->case_id, sizeof out->case_id);
    tsg_hub_read_str (&r, out->sender, sizeof out->sender);
    tsg_hub_read_str (&r, out->sender_type, sizeof out->sender_type);
    tsg_hub_read_str (&r, out->recipient, sizeof out->recipient);
    if (format == FORMAT) {
        tsg_hub_read_str (&r, out->kind, sizeof out->kind);
        tsg_hub_read_str (&r, out->detail, sizeof out->detail);
    }
    if (!out->kind[0])
        snprintf (out->kind, sizeof out->kind, "emergency");
    return r.ok;
}

json_t *
tsg_hub_view_alerts (tsg_txn_t *txn, size_t limit)
{
    uint64_t count = tsg_hub_stat_get (txn, TSG_HUB_STAT_ALERTS);
    json_t *list = json_array ();
    for (uint64_t n = count; list && n >= 1 && json_array_size (list) < limit; n--) {
        tsg_hub_alert_t a;
        if (!s_get (txn, n, &a))
            continue;
        char at[32];
        tsg_iso8601 (a.at_ms, at);
        if (strcmp (a.kind, "emergency") != 0) {
            json_array_append_new (list, json_pack ("{s:I, s:s, s:s, s:s, s:s}", "n",
                                                    (json_int_t) a.n, "at", at, "kind", a.kind,
                                                    "agency", a.sender, "detail", a.detail));
            continue;
        }
        json_array_append_new (
            list, json_pack ("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "n",
                             (json_int_t) a.n, "at", at, "kind", "emergency", "message_id",
                             a.message_id, "referral_id", a.referral_id, "case_id", a.case_id,
                             "from", a.sender, "from_type", a.sender_type, "to", a.recipient, "law",
                             tsg_agency_report_law (a.sender_type)));
    }
    return list ? json_pack ("{s:I, s:o}", "count", (json_int_t) count, "alerts", list) : NULL;
}
