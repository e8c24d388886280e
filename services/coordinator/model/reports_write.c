/* reports_write.c — the hooks that keep the monthly figures of REPORTS (reports.h) in step
 * with the records they count, inside the writer's transaction. */
#include <stdio.h>
#include <string.h>

#include "tsunagu/tsg_text.h"

#include "coordinator/model/store.h"
#include "coordinator/model/reports.h"
#include "coordinator/model/timeline.h"

/* The REPORTS key of month's figure name; its length. */
static size_t
s_key (const char month[8], const char *name, char key[8 + TSG_HUB_REPORT_NAME_MAX])
{
    memcpy (key, month, 7);
    key[7] = '\0';
    size_t n = strlen (name);
    if (n >= TSG_HUB_REPORT_NAME_MAX)
        n = TSG_HUB_REPORT_NAME_MAX - 1;
    memcpy (key + 8, name, n);
    return 8 + n;
}

/* The be64 figure name of month (0 when absent). */
static uint64_t
s_get (tsg_txn_t *txn, const char month[8], const char *name)
{
    char key[8 + TSG_HUB_REPORT_NAME_MAX];
    MDB_val val;
    if (!tsg_txn_get (txn, tsg_store_db (txn->store, TSG_HUB_DB_REPORTS), key,
                      s_key (month, name, key), &val)
        || val.mv_size != 8)
        return 0;
    return tsg_be64_get (val.mv_data);
}

static void
s_set (tsg_txn_t *txn, const char month[8], const char *name, uint64_t value)
{
    char key[8 + TSG_HUB_REPORT_NAME_MAX];
    uint8_t buf[8];
    tsg_be64_put (buf, value);
    tsg_txn_put (txn, tsg_store_db (txn->store, TSG_HUB_DB_REPORTS), key, s_key (month, name, key),
                 buf, sizeof buf);
}

/* Adds n to the be64 figure name in the month of at_ms. */
static void
s_add (tsg_txn_t *txn, uint64_t at_ms, const char *name, uint64_t n)
{
    if (n == 0 || txn->rc != TSG_OK)
        return;
    char month[8];
    tsg_hub_report_month (at_ms, month);
    s_set (txn, month, name, s_get (txn, month, name) + n);
}

/* Counts a duration from start_ms to end_ms in the histogram figure/type of end_ms's month. */
static void
s_time (tsg_txn_t *txn, const char *figure, const char *type, uint64_t start_ms, uint64_t end_ms)
{
    if (txn->rc != TSG_OK)
        return;
    char month[8], name[TSG_HUB_REPORT_NAME_MAX], key[8 + TSG_HUB_REPORT_NAME_MAX];
    tsg_hub_report_month (end_ms, month);
    snprintf (name, sizeof name, "%s/%s", figure, type && *type ? type : "unknown");
    size_t key_len = s_key (month, name, key);
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_REPORTS);
    uint8_t value[1 + 4 * TSG_HUB_REPORT_BUCKETS];
    MDB_val val;
    if (tsg_txn_get (txn, db, key, key_len, &val) && val.mv_size == sizeof value
        && ((const uint8_t *) val.mv_data)[0] == TSG_HUB_REPORT_FORMAT)
        memcpy (value, val.mv_data, sizeof value);
    else {
        memset (value, 0, sizeof value);
        value[0] = TSG_HUB_REPORT_FORMAT;
    }
    size_t bucket = tsg_hub_report_bucket (end_ms > start_ms ? end_ms - start_ms : 0);
    uint8_t *slot = value + 1 + 4 * bucket;
    uint32_t count = ((uint32_t) slot[0] << 24) | ((uint32_t) slot[1] << 16)
                     | ((uint32_t) slot[2] << 8) | slot[3];
    if (count < UINT32_MAX)
        count++;
    slot[0] = (uint8_t) (count >> 24);
    slot[1] = (uint8_t) (count >> 16);
    slot[2] = (uint8_t) (count >> 8);
    slot[3] = (uint8_t) count;
    tsg_txn_put (txn, db, key, key_len, value, sizeof value);
}

/* The type of agency id as the registry has it, into out ("unknown" when it has none). */
static void
s_type_of (tsg_txn_t *txn, const char *id, char out[TSG_HUB_TYPE_MAX])
{
    Tsunagu__V1__AgencyEntry *entry = tsg_registry_get (txn, id);
    snprintf (out, TSG_HUB_TYPE_MAX, "%s",
              entry && entry->type && *entry->type ? entry->type : "unknown");
    if (entry)
        tsunagu__v1__agency_entry__free_unpacked (entry, NULL);
}

/* Counts one meeting of kind held on held_on (recorded at at_ms): a case discussion, and a
 * meeting day when it is the first of the kind on that date. */
static void
s_meeting (tsg_txn_t *txn, int kind, const char *held_on, uint64_t at_ms)
{
    const char *kind_name = tsg_hub_meeting_kind_name (kind);
    if (!kind_name || txn->rc != TSG_OK)
        return;
    char month[8], name[TSG_HUB_REPORT_NAME_MAX];
    unsigned day = 0;
    if (held_on && tsg_date_ok (held_on)) {
        memcpy (month, held_on, 7);
        month[7] = '\0';
        day = (unsigned) ((held_on[8] - '0') * 10 + (held_on[9] - '0'));
    }
    else {
        char date[11];
        tsg_date_jst_plus_days (at_ms, 0, date);
        memcpy (month, date, 7);
        month[7] = '\0';
        day = (unsigned) ((date[8] - '0') * 10 + (date[9] - '0'));
    }
    snprintf (name, sizeof name, "meetings/%s/cases", kind_name);
    s_set (txn, month, name, s_get (txn, month, name) + 1);
    snprintf (name, sizeof name, "meetings/%s/days", kind_name);
    uint64_t days = s_get (txn, month, name), bit = (uint64_t) 1 << (day - 1);
    if (days & bit)
        return;
    s_set (txn, month, name, days | bit);
    snprintf (name, sizeof name, "meetings/%s/held", kind_name);
    s_set (txn, month, name, s_get (txn, month, name) + 1);
}

/* tsg_hub_event_fn: counts the meeting entries of a case's new timeline entries. */
static bool
s_meeting_entry (void *arg, const tsg_hub_event_t *ev)
{
    tsg_txn_t *txn = arg;
    if (ev->type == TSG_HUB_EV_MEETING && ev->detail && ev->detail->meeting)
        s_meeting (txn, ev->detail->meeting->kind, ev->detail->meeting->held_on, ev->at_ms);
    return txn->rc == TSG_OK;
}

void
tsg_hub_report_note_case (tsg_txn_t *txn, const tsg_hub_case_t *old, const tsg_hub_case_t *c)
{
    if (txn->rc != TSG_OK)
        return;
    if (!old)
        s_add (txn, c->created_at_ms, "cases_opened", 1);
    bool planned = c->plan_at_ms != 0 && (!old || old->plan_at_ms == 0);
    bool closed = c->state == TSG_CASE_CLOSED && c->closed_at_ms != 0
                  && (!old || old->state != TSG_CASE_CLOSED);
    char type[TSG_HUB_TYPE_MAX] = "";
    if (planned || closed)
        s_type_of (txn, c->opened_by, type);
    if (planned)
        s_time (txn, "to_plan", type, c->created_at_ms, c->plan_at_ms);
    if (closed) {
        char name[TSG_HUB_REPORT_NAME_MAX];
        snprintf (name, sizeof name, "closures/%s", *c->close_reason ? c->close_reason : "unknown");
        s_add (txn, c->closed_at_ms, name, 1);
        s_time (txn, "to_closure", type, c->created_at_ms, c->closed_at_ms);
    }
    uint32_t reopened_before = old ? old->reopened : 0;
    if (c->reopened > reopened_before)
        s_add (txn, c->updated_at_ms, "reopened", c->reopened - reopened_before);
    /* A meeting is a case event: its timeline entry was appended before the case is put. */
    uint64_t events_before = old ? old->events : 0;
    bool new_event = !old || strcmp (old->last_event_id, c->last_event_id) != 0;
    if (c->events > events_before && new_event && strcmp (c->last_event_type, "meeting") == 0)
        tsg_hub_timeline_scan (txn, c->id, events_before + 1, s_meeting_entry, txn);
}

void
tsg_hub_report_note_referral (tsg_txn_t *txn, const tsg_hub_referral_t *old,
                              const tsg_hub_referral_t *ref)
{
    if (txn->rc != TSG_OK)
        return;
    if (!old) {
        char sender_type[TSG_HUB_TYPE_MAX], name[TSG_HUB_REPORT_NAME_MAX];
        s_type_of (txn, ref->sender, sender_type);
        snprintf (name, sizeof name, "matrix/%s/%s", sender_type,
                  *ref->recipient_type ? ref->recipient_type : "unknown");
        s_add (txn, ref->created_at_ms, "consultations", 1);
        s_add (txn, ref->created_at_ms, name, 1);
    }
    if (ref->received_at_ms != 0 && (!old || old->received_at_ms == 0))
        s_time (txn, "to_received", ref->recipient_type, ref->created_at_ms, ref->received_at_ms);
    if (ref->accepted_at_ms != 0 && (!old || old->accepted_at_ms == 0))
        s_time (txn, "to_accepted", ref->recipient_type, ref->created_at_ms, ref->accepted_at_ms);
}

void
tsg_hub_report_note_withheld (tsg_txn_t *txn, uint64_t at_ms)
{
    s_add (txn, at_ms, "withheld", 1);
}

void
tsg_hub_report_note_alert (tsg_txn_t *txn, const tsg_hub_alert_t *alert)
{
    if (alert->kind[0] == '\0' || strcmp (alert->kind, "emergency") == 0)
        s_add (txn, alert->at_ms, "emergency", 1);
}
