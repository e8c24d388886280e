/* alerts.c — the ALERTS records.
 *
 *   ALERTS  be64 n → u8 format (3) | be64 at_ms | str message_id (hex) | str referral_id |
 *                    str case_id | str sender | str sender_type | str recipient |
 *                    str kind | str detail | be64 acknowledged_at_ms | str acknowledged_by
 *           (format 2, written before acknowledgements, ends after detail; format 1, written
 *           before quota alerts, ends after recipient: an emergency)
 *           'o' be64 (UINT64_MAX - n) → empty: alert n is not yet acknowledged
 *   STATS   "alerts.emergency" → how many there are; the next n is one more;
 *           "alerts.open" → entries in the open index; "alerts.open_indexed" → the highest n
 *           the open index covers (later ones are open: written before it existed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "tsunagu/tsg_agency_types.h"
#include "coordinator/model/layout.h"
#include "coordinator/model/alerts.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/stats.h"
#include "coordinator/model/views.h"

void
tsg_hub_alert_open_key (uint64_t n, uint8_t key[TSG_HUB_ALERT_OPEN_KEY_LEN])
{
    key[0] = 'o';
    tsg_be64_put (key + 1, UINT64_MAX - n);
}

bool
tsg_hub_alert_get (tsg_txn_t *txn, uint64_t n, tsg_hub_alert_t *out)
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
    if (format != TSG_HUB_ALERT_FORMAT && format != TSG_HUB_ALERT_FORMAT_V2
        && format != TSG_HUB_ALERT_FORMAT_V1)
        return false;
    out->at_ms = tsg_hub_read_u64 (&r);
    tsg_hub_read_str (&r, out->message_id, sizeof out->message_id);
    tsg_hub_read_str (&r, out->referral_id, sizeof out->referral_id);
    tsg_hub_read_str (&r, out->case_id, sizeof out->case_id);
    tsg_hub_read_str (&r, out->sender, sizeof out->sender);
    tsg_hub_read_str (&r, out->sender_type, sizeof out->sender_type);
    tsg_hub_read_str (&r, out->recipient, sizeof out->recipient);
    if (format != TSG_HUB_ALERT_FORMAT_V1) {
        tsg_hub_read_str (&r, out->kind, sizeof out->kind);
        tsg_hub_read_str (&r, out->detail, sizeof out->detail);
    }
    if (format == TSG_HUB_ALERT_FORMAT) {
        out->acknowledged_at_ms = tsg_hub_read_u64 (&r);
        tsg_hub_read_str (&r, out->acknowledged_by, sizeof out->acknowledged_by);
    }
    if (!out->kind[0])
        snprintf (out->kind, sizeof out->kind, "emergency");
    return r.ok;
}

json_t *
tsg_hub_alert_json (const tsg_hub_alert_t *a)
{
    char at[32];
    tsg_iso8601 (a->at_ms, at);
    json_t *o;
    if (strcmp (a->kind, "emergency") != 0)
        o = json_pack ("{s:I, s:s, s:s, s:s, s:s}", "n", (json_int_t) a->n, "at", at, "kind",
                       a->kind, "agency", a->sender, "detail", a->detail);
    else
        o = json_pack ("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "n", (json_int_t) a->n,
                       "at", at, "kind", "emergency", "message_id", a->message_id, "referral_id",
                       a->referral_id, "case_id", a->case_id, "from", a->sender, "from_type",
                       a->sender_type, "to", a->recipient, "law",
                       tsg_agency_report_law (a->sender_type));
    if (!o)
        return NULL;
    json_object_set_new (o, "acknowledged_at", tsg_hub_json_time (a->acknowledged_at_ms));
    json_object_set_new (o, "acknowledged_by",
                         a->acknowledged_by[0] ? json_string (a->acknowledged_by) : json_null ());
    return o;
}

json_t *
tsg_hub_view_alerts (tsg_txn_t *txn, size_t limit)
{
    uint64_t count = tsg_hub_stat_get (txn, TSG_HUB_STAT_ALERTS);
    json_t *list = json_array ();
    for (uint64_t n = count; list && n >= 1 && json_array_size (list) < limit; n--) {
        tsg_hub_alert_t a;
        if (tsg_hub_alert_get (txn, n, &a))
            json_array_append_new (list, tsg_hub_alert_json (&a));
    }
    return list ? json_pack ("{s:I, s:o}", "count", (json_int_t) count, "alerts", list) : NULL;
}

uint64_t
tsg_hub_alerts_open_count (tsg_txn_t *txn)
{
    uint64_t count = tsg_hub_stat_get (txn, TSG_HUB_STAT_ALERTS);
    uint64_t indexed = tsg_hub_stat_get (txn, TSG_HUB_STAT_ALERTS_INDEXED);
    return tsg_hub_stat_get (txn, TSG_HUB_STAT_ALERTS_OPEN)
           + (count > indexed ? count - indexed : 0);
}

json_t *
tsg_hub_view_alerts_open (tsg_txn_t *txn, size_t limit)
{
    json_t *list = json_array ();
    if (!list)
        return NULL;
    /* Alerts after the index's reach are newer than every indexed one, and open. */
    uint64_t count = tsg_hub_stat_get (txn, TSG_HUB_STAT_ALERTS);
    uint64_t indexed = tsg_hub_stat_get (txn, TSG_HUB_STAT_ALERTS_INDEXED);
    tsg_hub_alert_t a;
    for (uint64_t n = count; n > indexed && json_array_size (list) < limit; n--)
        if (tsg_hub_alert_get (txn, n, &a) && !a.acknowledged_at_ms)
            json_array_append_new (list, tsg_hub_alert_json (&a));
    uint8_t start = 'o';
    tsg_iter_t it;
    for (tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_ALERTS), &it, &start, 1);
         it.valid && json_array_size (list) < limit; tsg_iter_next (&it)) {
        const uint8_t *key = it.key.mv_data;
        if (it.key.mv_size != TSG_HUB_ALERT_OPEN_KEY_LEN || key[0] != 'o')
            break;
        uint64_t n = UINT64_MAX - tsg_be64_get (key + 1);
        if (n <= indexed && tsg_hub_alert_get (txn, n, &a))
            json_array_append_new (list, tsg_hub_alert_json (&a));
    }
    tsg_iter_end (&it);
    return list;
}
