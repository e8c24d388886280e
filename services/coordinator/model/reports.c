/* reports.c — the read side of the monthly figures (reports.h): months, histogram buckets and
 * the view of a period, read as one range of REPORTS keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_agency_types.h"
#include "tsunagu/tsg_text.h"
#include "tsunagu/tsg_words.h"
#include "coordinator/model/store.h"
#include "coordinator/model/reports.h"
#include "coordinator/model/views.h"

#define BUCKET_WIDTH  1.0905077326652577 /* 2^(1/8): one bucket's width */
#define BUCKET_MIDDLE 1.0442737824274138 /* 2^(1/16): from a bucket's floor to its middle */
#define MINUTE_MS     60000.0
#define HOUR_MS       3600000.0
#define TYPES_MAX     16 /* agency types one view tells apart (more are logged and left out) */

/* The four histograms, in the order of the view's "times". */
static const char *const s_times[] = { "to_received", "to_accepted", "to_plan", "to_closure" };
#define TIMES (sizeof s_times / sizeof s_times[0])

void
tsg_hub_report_month (uint64_t ms, char out[8])
{
    char date[11];
    tsg_date_jst_plus_days (ms, 0, date);
    memcpy (out, date, 7);
    out[7] = '\0';
}

bool
tsg_hub_report_month_ok (const char *text)
{
    if (!text || strlen (text) != 7 || text[4] != '-')
        return false;
    char date[11];
    snprintf (date, sizeof date, "%.7s-01", text);
    return tsg_date_ok (date);
}

/* A month's number since year 0 (year * 12 + month - 1). */
static unsigned
s_month_index (const char *month)
{
    return (unsigned) atoi (month) * 12 + (unsigned) atoi (month + 5) - 1;
}

unsigned
tsg_hub_report_months (const char *from, const char *to)
{
    if (!tsg_hub_report_month_ok (from) || !tsg_hub_report_month_ok (to))
        return 0;
    unsigned a = s_month_index (from), b = s_month_index (to);
    return a > b ? 0 : b - a + 1;
}

size_t
tsg_hub_report_bucket (uint64_t ms)
{
    double bound = MINUTE_MS;
    size_t bucket = 0;
    while (bucket < TSG_HUB_REPORT_BUCKETS - 1 && (double) ms >= bound) {
        bucket++;
        bound *= BUCKET_WIDTH;
    }
    return bucket;
}

double
tsg_hub_report_bucket_hours (size_t bucket)
{
    if (bucket == 0)
        return 0.5 * MINUTE_MS / HOUR_MS;
    double floor_ms = MINUTE_MS;
    for (size_t i = 1; i < bucket && i < TSG_HUB_REPORT_BUCKETS; i++)
        floor_ms *= BUCKET_WIDTH;
    return floor_ms * BUCKET_MIDDLE / HOUR_MS;
}

double
tsg_hub_report_rank_hours (const uint64_t counts[TSG_HUB_REPORT_BUCKETS], uint64_t rank)
{
    uint64_t seen = 0;
    for (size_t i = 0; rank > 0 && i < TSG_HUB_REPORT_BUCKETS; i++) {
        seen += counts[i];
        if (seen >= rank)
            return tsg_hub_report_bucket_hours (i);
    }
    return -1.0;
}

/* ---- the view ---------------------------------------------------------------------- */

/* One histogram of one agency type, summed over the period. */
typedef struct {
    char type[TSG_HUB_TYPE_MAX];             /* the agency type */
    uint64_t counts[TSG_HUB_REPORT_BUCKETS]; /* durations per bucket */
} s_hist_t;

/* What a view adds up while it reads the period's keys. */
typedef struct {
    json_t *report;                   /* the answer being built (owned) */
    s_hist_t hists[TIMES][TYPES_MAX]; /* the histograms by figure and type */
    size_t n_hists[TIMES];            /* types in use per figure */
    uint64_t closures;                /* closures of any reason */
} s_sum_t;

/* Adds n to obj[key] (an integer, 0 when absent). */
static void
s_bump (json_t *obj, const char *key, uint64_t n)
{
    json_t *old = json_object_get (obj, key);
    json_int_t value = (old ? json_integer_value (old) : 0) + (json_int_t) n;
    json_object_set_new (obj, key, json_integer (value));
}

/* obj[key], made an empty object when absent. */
static json_t *
s_child (json_t *obj, const char *key)
{
    json_t *child = json_object_get (obj, key);
    if (!child && json_object_set_new (obj, key, json_object ()) == 0)
        child = json_object_get (obj, key);
    return child;
}

/* The histogram of figure t and type (a new one when absent), or NULL when the view holds
 * TYPES_MAX types already. */
static s_hist_t *
s_hist (s_sum_t *sum, size_t t, const char *type)
{
    for (size_t i = 0; i < sum->n_hists[t]; i++)
        if (strcmp (sum->hists[t][i].type, type) == 0)
            return &sum->hists[t][i];
    if (sum->n_hists[t] == TYPES_MAX || strlen (type) >= TSG_HUB_TYPE_MAX)
        return NULL;
    s_hist_t *h = &sum->hists[t][sum->n_hists[t]++];
    snprintf (h->type, sizeof h->type, "%s", type);
    return h;
}

/* Adds a histogram value to figure t of type. */
static void
s_add_hist (s_sum_t *sum, size_t t, const char *type, const MDB_val *val)
{
    const uint8_t *v = val->mv_data;
    if (val->mv_size != 1 + 4 * TSG_HUB_REPORT_BUCKETS || v[0] != TSG_HUB_REPORT_FORMAT) {
        log_warnx ("reports: unreadable histogram %s/%s", s_times[t], type);
        return;
    }
    s_hist_t *h = s_hist (sum, t, type);
    if (!h) {
        log_warnx ("reports: more than %d agency types in %s: %s left out", TYPES_MAX, s_times[t],
                   type);
        return;
    }
    for (size_t i = 0; i < TSG_HUB_REPORT_BUCKETS; i++) {
        const uint8_t *slot = v + 1 + 4 * i;
        h->counts[i] += ((uint32_t) slot[0] << 24) | ((uint32_t) slot[1] << 16)
                        | ((uint32_t) slot[2] << 8) | slot[3];
    }
}

/* Adds one counter, figure name (its text), to the sums. */
static void
s_add_count (s_sum_t *sum, char *name, uint64_t n)
{
    json_t *r = sum->report;
    char *slash = strchr (name, '/');
    if (!slash) {
        if (strcmp (name, "consultations") == 0 || strcmp (name, "cases_opened") == 0
            || strcmp (name, "reopened") == 0 || strcmp (name, "withheld") == 0
            || strcmp (name, "emergency") == 0)
            s_bump (r, name, n);
        return;
    }
    *slash = '\0';
    char *rest = slash + 1, *second = strchr (rest, '/');
    if (second)
        *second = '\0';
    if (strcmp (name, "matrix") == 0 && second)
        s_bump (s_child (json_object_get (r, "referral_matrix"), rest), second + 1, n);
    else if (strcmp (name, "closures") == 0 && !second) {
        s_bump (json_object_get (r, "closures"), rest, n);
        sum->closures += n;
    }
    else if (strcmp (name, "meetings") == 0 && second
             && (strcmp (second + 1, "held") == 0 || strcmp (second + 1, "cases") == 0))
        s_bump (s_child (json_object_get (r, "meetings"), rest), second + 1, n);
}

/* Adds the value of one key's figure to the sums. */
static void
s_add_key (s_sum_t *sum, const char *figure, size_t len, const MDB_val *val)
{
    char name[TSG_HUB_REPORT_NAME_MAX];
    if (len >= sizeof name)
        return;
    memcpy (name, figure, len);
    name[len] = '\0';
    for (size_t t = 0; t < TIMES; t++) {
        size_t n = strlen (s_times[t]);
        if (strncmp (name, s_times[t], n) == 0 && name[n] == '/') {
            s_add_hist (sum, t, name + n + 1, val);
            return;
        }
    }
    if (val->mv_size == 8)
        s_add_count (sum, name, tsg_be64_get (val->mv_data));
}

/* A quantile q of h in hours rounded to 0.01, or null when h is empty. */
static json_t *
s_quantile (const uint64_t counts[TSG_HUB_REPORT_BUCKETS], uint64_t total, double q)
{
    if (total == 0)
        return json_null ();
    uint64_t rank = (uint64_t) ((double) total * q);
    if ((double) rank < (double) total * q)
        rank++;
    double hours = tsg_hub_report_rank_hours (counts, rank ? rank : 1);
    return json_real ((double) (int64_t) (hours * 100.0 + 0.5) / 100.0);
}

static json_t *
s_time_json (const uint64_t counts[TSG_HUB_REPORT_BUCKETS])
{
    uint64_t total = 0;
    for (size_t i = 0; i < TSG_HUB_REPORT_BUCKETS; i++)
        total += counts[i];
    return json_pack ("{s:I, s:o, s:o}", "count", (json_int_t) total, "median_hours",
                      s_quantile (counts, total, 0.5), "p90_hours",
                      s_quantile (counts, total, 0.9));
}

/* "times": each figure by type, the four agency types always, and "all". */
static json_t *
s_times_json (s_sum_t *sum)
{
    json_t *times = json_object ();
    for (size_t t = 0; times && t < TIMES; t++) {
        json_t *by_type = json_object ();
        uint64_t all[TSG_HUB_REPORT_BUCKETS] = { 0 };
        for (size_t i = 0; by_type && i < sum->n_hists[t]; i++) {
            const s_hist_t *h = &sum->hists[t][i];
            for (size_t b = 0; b < TSG_HUB_REPORT_BUCKETS; b++)
                all[b] += h->counts[b];
            json_object_set_new (by_type, h->type, s_time_json (h->counts));
        }
        json_object_set_new (by_type, "all", s_time_json (all));
        json_object_set_new (times, s_times[t], by_type);
    }
    return times;
}

/* The first month with figures into since ("" when there is none). */
static void
s_since (tsg_txn_t *txn, char since[8])
{
    since[0] = '\0';
    tsg_iter_t it;
    tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_REPORTS), &it, NULL, 0);
    if (it.valid && it.key.mv_size > 8 && ((const char *) it.key.mv_data)[7] == '\0') {
        memcpy (since, it.key.mv_data, 7);
        since[7] = '\0';
    }
    tsg_iter_end (&it);
}

/* The answer's skeleton: every known name at 0. */
static json_t *
s_skeleton (const char *from, const char *to, const char *since, uint64_t now_ms)
{
    size_t n_types = 0;
    const tsg_agency_policy_t *policies = tsg_agency_policy_table (&n_types);
    json_t *matrix = json_object (), *closures = json_object (), *meetings = json_object ();
    for (size_t i = 0; matrix && i < n_types; i++) {
        json_t *row = json_object ();
        for (size_t k = 0; row && k < n_types; k++)
            json_object_set_new (row, policies[k].type, json_integer (0));
        json_object_set_new (matrix, policies[i].type, row);
    }
    for (size_t i = 0; closures && tsg_close_reasons[i]; i++)
        json_object_set_new (closures, tsg_close_reasons[i], json_integer (0));
    for (int k = 1; meetings && k < TSG_HUB_MEETING_KINDS; k++)
        if (tsg_hub_meeting_kind_name (k))
            json_object_set_new (meetings, tsg_hub_meeting_kind_name (k),
                                 json_pack ("{s:i, s:i}", "held", 0, "cases", 0));
    return json_pack ("{s:s, s:s, s:o, s:o, s:i, s:i, s:o, s:o, s:i, s:i, s:o, s:i}", "from", from,
                      "to", to, "since", *since ? json_string (since) : json_null (), "as_of",
                      tsg_hub_json_time (now_ms), "consultations", 0, "cases_opened", 0,
                      "referral_matrix", matrix, "closures", closures, "reopened", 0, "withheld", 0,
                      "meetings", meetings, "emergency", 0);
}

json_t *
tsg_hub_view_report (tsg_txn_t *txn, const char *from_month, const char *to_month, uint64_t now_ms)
{
    unsigned months = tsg_hub_report_months (from_month, to_month);
    if (months == 0 || months > TSG_HUB_REPORT_MONTHS_MAX)
        return NULL;
    s_sum_t *sum = calloc (1, sizeof *sum);
    if (!sum)
        return NULL;
    /* The four agency types first, in the table's order; others as they come. */
    size_t n_types = 0;
    const tsg_agency_policy_t *policies = tsg_agency_policy_table (&n_types);
    for (size_t t = 0; t < TIMES; t++)
        for (size_t i = 0; i < n_types; i++)
            s_hist (sum, t, policies[i].type);
    char since[8];
    s_since (txn, since);
    sum->report = s_skeleton (from_month, to_month, since, now_ms);
    char start[8];
    memcpy (start, from_month, 7);
    start[7] = '\0';
    tsg_iter_t it;
    for (tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_REPORTS), &it, start, 8);
         sum->report && it.valid; tsg_iter_next (&it)) {
        const char *key = it.key.mv_data;
        if (it.key.mv_size <= 8 || key[7] != '\0' || memcmp (key, to_month, 7) > 0)
            break;
        s_add_key (sum, key + 8, it.key.mv_size - 8, &it.val);
    }
    tsg_iter_end (&it);
    json_t *report = sum->report;
    if (report) {
        json_t *reopened = json_object_get (report, "reopened");
        json_object_set_new (report, "times", s_times_json (sum));
        json_object_set_new (report, "reopen_rate",
                             sum->closures ? json_real ((double) json_integer_value (reopened)
                                                        / (double) sum->closures)
                                           : json_null ());
    }
    free (sum);
    return report;
}
