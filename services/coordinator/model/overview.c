/* overview.c — the overview (概況) from the store: gauges, day and month counters, bounded
 * range reads of the DUE and CONSENT_INDEX indices and of the open alerts (overview.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "coordinator/model/alerts.h"
#include "coordinator/model/consents.h"
#include "coordinator/model/layout.h"
#include "coordinator/model/overview.h"
#include "coordinator/model/referrals.h"
#include "coordinator/model/stats.h"
#include "coordinator/model/views.h"

#define DAY_MS    (24ULL * 3600 * 1000)
#define JST_AHEAD (9ULL * 3600 * 1000)

uint64_t
tsg_hub_jst_day_start (uint64_t ms, int days)
{
    int64_t day = (int64_t) ((ms + JST_AHEAD) / DAY_MS) + days;
    return day <= 0 ? 0 : (uint64_t) day * DAY_MS - JST_AHEAD;
}

static json_t *
s_cases_by_state (tsg_txn_t *txn)
{
    json_t *o = json_object ();
    for (int i = 0; o && i < TSG_CASE_STATE_COUNT; i++) {
        const char *name = tsg_case_state_name ((tsg_case_state_t) i);
        json_object_set_new (
            o, name,
            json_integer ((json_int_t) tsg_hub_stat_get2 (txn, TSG_HUB_STAT_CASE_STATE, name)));
    }
    return o;
}

/* New cases today, this week (from Monday) and this month, Japan time. */
static json_t *
s_new_cases (tsg_txn_t *txn, uint64_t now_ms)
{
    char day[11], week_from[11], month[8];
    tsg_date_jst_plus_days (now_ms, 0, day);
    snprintf (month, sizeof month, "%.7s", day);
    /* 1970-01-01 was a Thursday: Monday is 0. */
    int weekday = (int) ((((now_ms + JST_AHEAD) / DAY_MS) + 3) % 7);
    uint64_t week = 0;
    for (int d = 0; d <= weekday; d++) {
        char date[11];
        tsg_date_jst_plus_days (now_ms, -d, date);
        week += tsg_hub_stat_get2 (txn, TSG_HUB_STAT_CASES_DAY, date);
    }
    tsg_date_jst_plus_days (now_ms, -weekday, week_from);
    return json_pack ("{s:I, s:I, s:I, s:s, s:s}", "today",
                      (json_int_t) tsg_hub_stat_get2 (txn, TSG_HUB_STAT_CASES_DAY, day), "week",
                      (json_int_t) week, "month",
                      (json_int_t) tsg_hub_stat_get2 (txn, TSG_HUB_STAT_CASES_MONTH, month),
                      "week_from", week_from, "month_of", month);
}

/* What an overdue count by agency collects. */
typedef struct {
    tsg_txn_t *txn; /* read transaction */
    json_t *counts; /* recipient → count (JSON integers) */
    size_t seen;    /* entries examined */
    bool partial;   /* the budget ran out */
} s_due_t;

static bool
s_due_one (void *arg, tsg_hub_due_kind_t kind, uint64_t due_ms, const char *referral_id,
           const char *case_id, const char *recipient)
{
    (void) kind;
    (void) due_ms;
    (void) case_id;
    s_due_t *d = arg;
    if (d->seen >= TSG_HUB_OVERVIEW_DUE_BUDGET) {
        d->partial = true;
        return false;
    }
    d->seen++;
    tsg_hub_referral_t ref;
    const char *to = *recipient                                         ? recipient
                     : tsg_hub_referral_get (d->txn, referral_id, &ref) ? ref.recipient
                                                                        : "";
    json_t *count = json_object_get (d->counts, to);
    json_object_set_new (d->counts, to, json_integer (count ? json_integer_value (count) + 1 : 1));
    return true;
}

/* Most overdue first, then by agency id. */
static int
s_by_count (const void *a, const void *b)
{
    json_t *x = *(json_t *const *) a, *y = *(json_t *const *) b;
    json_int_t cx = json_integer_value (json_object_get (x, "count"));
    json_int_t cy = json_integer_value (json_object_get (y, "count"));
    if (cx != cy)
        return cx > cy ? -1 : 1;
    return strcmp (json_string_value (json_object_get (x, "agency")),
                   json_string_value (json_object_get (y, "agency")));
}

/* [{agency, name, count}] of the referrals overdue for kind, by recipient; *total and
 * *partial say how many in all and whether the budget ended the count. */
static json_t *
s_overdue_kind (tsg_txn_t *txn, tsg_hub_due_kind_t kind, uint64_t now_ms, const json_t *names,
                size_t *total, bool *partial)
{
    s_due_t d = { .txn = txn, .counts = json_object () };
    json_t *list = json_array ();
    if (!d.counts || !list) {
        json_decref (d.counts);
        json_decref (list);
        return NULL;
    }
    tsg_hub_due_scan (txn, kind, now_ms, s_due_one, &d);
    size_t n = json_object_size (d.counts), i = 0;
    json_t **rows = calloc (n + 1, sizeof *rows);
    const char *agency;
    json_t *count;
    json_object_foreach (d.counts, agency, count)
    {
        const char *name = json_string_value (json_object_get (names, agency));
        json_t *row = json_pack ("{s:s, s:o, s:O}", "agency", agency, "name",
                                 name ? json_string (name) : json_null (), "count", count);
        if (rows && row)
            rows[i++] = row;
        else
            json_decref (row);
    }
    if (rows)
        qsort (rows, i, sizeof *rows, s_by_count);
    for (size_t k = 0; k < i; k++)
        json_array_append_new (list, rows[k]);
    free (rows);
    json_decref (d.counts);
    *total = d.seen;
    *partial |= d.partial;
    return list;
}

static json_t *
s_overdue (tsg_txn_t *txn, uint64_t now_ms, const json_t *names)
{
    size_t received = 0, accepted = 0;
    bool partial = false;
    json_t *r = s_overdue_kind (txn, TSG_HUB_DUE_RECEIVED, now_ms, names, &received, &partial);
    json_t *a = s_overdue_kind (txn, TSG_HUB_DUE_ACCEPTED, now_ms, names, &accepted, &partial);
    if (!r || !a) {
        json_decref (r);
        json_decref (a);
        return NULL;
    }
    return json_pack ("{s:o, s:o, s:{s:I, s:I}, s:b}", "received", r, "accepted", a, "total",
                      "received", (json_int_t) received, "accepted", (json_int_t) accepted,
                      "partial", partial);
}

static json_t *
s_withheld (tsg_txn_t *txn)
{
    static const char *const reasons[] = { "revoked", "expired" };
    uint64_t count = tsg_hub_stat_get (txn, TSG_HUB_STAT_WITHHELD), known = 0;
    json_t *by = json_object ();
    for (size_t i = 0; by && i < sizeof reasons / sizeof reasons[0]; i++) {
        uint64_t n = tsg_hub_stat_get2 (txn, TSG_HUB_STAT_WITHHELD_BY, reasons[i]);
        known += n;
        if (n)
            json_object_set_new (by, reasons[i], json_integer ((json_int_t) n));
    }
    if (by && count > known)
        json_object_set_new (by, "not_recorded", json_integer ((json_int_t) (count - known)));
    return by ? json_pack ("{s:I, s:o}", "count", (json_int_t) count, "by_reason", by) : NULL;
}

/* The active consents valid until today + 14 days at most, soonest first: the list (at most
 * TSG_HUB_OVERVIEW_LIST_MAX) and *count (up to the budget). */
static json_t *
s_consents_expiring (tsg_txn_t *txn, uint64_t now_ms, size_t *count)
{
    uint64_t last = tsg_hub_jst_day_start (now_ms, TSG_HUB_OVERVIEW_EXPIRY_DAYS + 1);
    uint8_t start[1 + 8];
    start[0] = TSG_HUB_CONSENT_BY_END;
    tsg_be64_put (start + 1, now_ms + 1); /* ended ones wait for the expiry, a second away */
    json_t *list = json_array ();
    *count = 0;
    tsg_iter_t it;
    for (tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_CONSENT_INDEX), &it, start,
                         sizeof start);
         list && it.valid && *count < TSG_HUB_OVERVIEW_CONSENT_BUDGET; tsg_iter_next (&it)) {
        const uint8_t *key = it.key.mv_data;
        if (it.key.mv_size != 1 + 8 + TSG_HUB_CONSENT_ID_LEN || key[0] != TSG_HUB_CONSENT_BY_END
            || tsg_be64_get (key + 1) > last)
            break;
        ++*count;
        if (json_array_size (list) >= TSG_HUB_OVERVIEW_LIST_MAX)
            continue;
        char id[TSG_UUID_TEXT_SIZE];
        memcpy (id, key + 1 + 8, TSG_HUB_CONSENT_ID_LEN);
        id[TSG_HUB_CONSENT_ID_LEN] = '\0';
        tsg_hub_consent_t *c = malloc (sizeof *c);
        if (c && tsg_hub_consent_get (txn, id, c))
            json_array_append_new (list,
                                   json_pack ("{s:s, s:s, s:s}", "consent_id", c->id, "case_id",
                                              c->case_id, "valid_until", c->valid_until));
        free (c);
    }
    tsg_iter_end (&it);
    return list;
}

json_t *
tsg_hub_view_overview (tsg_txn_t *txn, uint64_t now_ms)
{
    json_t *agencies = tsg_hub_view_agencies (txn);
    json_t *list = json_incref (json_object_get (agencies, "agencies"));
    json_decref (agencies);
    json_t *names = json_object ();
    for (size_t i = 0; names && i < json_array_size (list); i++) {
        json_t *a = json_array_get (list, i);
        const char *id = json_string_value (json_object_get (a, "id"));
        if (id)
            json_object_set (names, id, json_object_get (a, "name"));
    }
    size_t consents = 0;
    json_t *o = json_object ();
    if (o && list && names) {
        json_object_set_new (o, "as_of", tsg_hub_json_time (now_ms));
        json_object_set_new (o, "cases_by_state", s_cases_by_state (txn));
        json_object_set_new (o, "new_cases", s_new_cases (txn, now_ms));
        json_object_set_new (o, "overdue", s_overdue (txn, now_ms, names));
        json_object_set_new (o, "withheld", s_withheld (txn));
        json_object_set_new (o, "consents_expiring", s_consents_expiring (txn, now_ms, &consents));
        json_object_set_new (o, "consents_expiring_count", json_integer ((json_int_t) consents));
        json_object_set_new (o, "alerts_open",
                             tsg_hub_view_alerts_open (txn, TSG_HUB_OVERVIEW_LIST_MAX));
        json_object_set_new (o, "alerts_open_count",
                             json_integer ((json_int_t) tsg_hub_alerts_open_count (txn)));
        json_object_set (o, "agencies", list);
    }
    json_decref (names);
    json_decref (list);
    /* A member that could not be made (memory) fails the whole view. */
    static const char *const members[] = { "as_of",       "cases_by_state",    "new_cases",
                                           "overdue",     "withheld",          "consents_expiring",
                                           "alerts_open", "alerts_open_count", "agencies" };
    for (size_t i = 0; o && i < sizeof members / sizeof members[0]; i++)
        if (!json_object_get (o, members[i])) {
            json_decref (o);
            o = NULL;
        }
    if (o && txn->rc != TSG_OK) {
        json_decref (o);
        o = NULL;
    }
    return o;
}
