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

#include "coordinator/model/store.h"
#include "tsunagu/tsg_agency_types.h"
#include "coordinator/model/layout.h"
#include "coordinator/model/alerts.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/stats.h"

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
    if (format != TSG_HUB_ALERT_FORMAT && format != TSG_HUB_ALERT_FORMAT_V1)
        return false;
    out->at_ms = tsg_hub_read_u64 (&r);
    tsg_hub_read_str (&r, out->message_id, sizeof out->message_id);
    tsg_hub_read_str (&r, out->referral_id, sizeof out->referral_id);
    tsg_hub_read_str (&r, out->case_id, sizeof out->case_id);
    tsg_hub_read_str (&r, out->sender, sizeof out->sender);
    tsg_hub_read_str (&r, out->sender_type, sizeof out->sender_type);
    tsg_hub_read_str (&r, out->recipient, sizeof out->recipient);
    if (format == TSG_HUB_ALERT_FORMAT) {
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
