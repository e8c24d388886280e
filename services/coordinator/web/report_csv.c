/* report_csv.c — the report of a period as the CSV Excel opens (report_csv.h): written through
 * the common CSV writer (tsg_csv_write.h: quoting, CRLF, BOM or CP932) into open_memstream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_agency_types.h"
#include "tsunagu/tsg_csv_write.h"
#include "coordinator/model/cases.h"
#include "coordinator/web/labels.h"
#include "coordinator/web/report_csv.h"

const char *
tsg_hub_close_reason_ja (const char *code)
{
    return code ? web_word (WEB_WORD_CLOSE_REASON, code, false) : "";
}

const char *
tsg_hub_report_time_ja (const char *figure)
{
    return figure ? web_word (WEB_WORD_TIME_FIGURE, figure, false) : "";
}

const char *
tsg_hub_agency_type_ja (const char *type)
{
    return type ? web_word (WEB_WORD_AGENCY_TYPE, type, false) : "";
}

/* ---- fields ------------------------------------------------------------------------- */

/* A number field: an integer, a real to 2 places (4 for a rate), empty for null. */
static void
s_number (tsg_csv_t *h, const json_t *value, int places)
{
    if (json_is_integer (value))
        tsg_csv_fieldf (h, "%lld", (long long) json_integer_value (value));
    else if (json_is_real (value))
        tsg_csv_fieldf (h, "%.*f", places, json_real_value (value));
    else
        tsg_csv_field (h, NULL);
}

/* A month "YYYY-MM" as "YYYY年MM月" into out; anything else as it is. */
static const char *
s_month (const json_t *value, char out[32])
{
    const char *m = json_string_value (value);
    if (!m)
        return "";
    if (strlen (m) == 7 && m[4] == '-')
        snprintf (out, 32, "%.4s年%.2s月", m, m + 5);
    else
        snprintf (out, 32, "%.31s", m);
    return out;
}

/* ---- tables ------------------------------------------------------------------------- */

static void
s_table_counts (tsg_csv_t *h, const json_t *r)
{
    char from[32], to[32], since[32], period[80];
    snprintf (period, sizeof period, "%s～%s", s_month (json_object_get (r, "from"), from),
              s_month (json_object_get (r, "to"), to));
    const json_t *since_value = json_object_get (r, "since");
    tsg_csv_row (h, "相談件数・新規ケース", NULL);
    tsg_csv_row (h, "期間", "集計開始月", "相談件数", "新規ケース", NULL);
    tsg_csv_field (h, period);
    tsg_csv_field (h, json_is_string (since_value) ? s_month (since_value, since) : "記録なし");
    s_number (h, json_object_get (r, "consultations"), 0);
    s_number (h, json_object_get (r, "cases_opened"), 0);
    tsg_csv_end_row (h);
}

static void
s_table_matrix (tsg_csv_t *h, const json_t *r)
{
    tsg_csv_row (h, "紹介元・紹介先種別ごとの紹介件数", NULL);
    tsg_csv_row (h, "紹介元種別", "紹介先種別", "件数", NULL);
    const char *sender, *recipient;
    json_t *row, *n;
    json_object_foreach ((json_t *) json_object_get (r, "referral_matrix"), sender, row)
    {
        json_object_foreach (row, recipient, n)
        {
            tsg_csv_field (h, tsg_hub_agency_type_ja (sender));
            tsg_csv_field (h, tsg_hub_agency_type_ja (recipient));
            s_number (h, n, 0);
            tsg_csv_end_row (h);
        }
    }
}

static void
s_table_times (tsg_csv_t *h, const json_t *r)
{
    tsg_csv_row (h, "所要時間", NULL);
    tsg_csv_row (h, "指標", "機関種別", "件数", "中央値(時間)", "90パーセンタイル(時間)", NULL);
    const char *figure, *type;
    json_t *by_type, *t;
    json_object_foreach ((json_t *) json_object_get (r, "times"), figure, by_type)
    {
        json_object_foreach (by_type, type, t)
        {
            tsg_csv_field (h, tsg_hub_report_time_ja (figure));
            tsg_csv_field (h, tsg_hub_agency_type_ja (type));
            s_number (h, json_object_get (t, "count"), 0);
            s_number (h, json_object_get (t, "median_hours"), 2);
            s_number (h, json_object_get (t, "p90_hours"), 2);
            tsg_csv_end_row (h);
        }
    }
}

static void
s_table_closures (tsg_csv_t *h, const json_t *r, json_int_t *total)
{
    tsg_csv_row (h, "終結理由別件数", NULL);
    tsg_csv_row (h, "終結理由", "件数", NULL);
    const char *reason;
    json_t *n;
    *total = 0;
    json_object_foreach ((json_t *) json_object_get (r, "closures"), reason, n)
    {
        tsg_csv_field (h, tsg_hub_close_reason_ja (reason));
        s_number (h, n, 0);
        tsg_csv_end_row (h);
        *total += json_integer_value (n);
    }
}

static void
s_table_reopened (tsg_csv_t *h, const json_t *r, json_int_t closures)
{
    tsg_csv_row (h, "再開", NULL);
    tsg_csv_row (h, "再開件数", "終結件数", "再開率", NULL);
    s_number (h, json_object_get (r, "reopened"), 0);
    tsg_csv_fieldf (h, "%lld", (long long) closures);
    s_number (h, json_object_get (r, "reopen_rate"), 4);
    tsg_csv_end_row (h);
}

static void
s_table_meetings (tsg_csv_t *h, const json_t *r)
{
    tsg_csv_row (h, "会議", NULL);
    tsg_csv_row (h, "会議の種類", "開催回数", "検討ケース数", "1回あたりケース数", NULL);
    const char *kind_name;
    json_t *m;
    json_object_foreach ((json_t *) json_object_get (r, "meetings"), kind_name, m)
    {
        int kind = 0;
        char label[160];
        const char *ja =
            tsg_hub_meeting_kind_parse (kind_name, &kind) ? tsg_hub_meeting_label_ja (kind) : NULL;
        const char *law = ja ? tsg_hub_meeting_law (kind) : NULL;
        if (ja && law && *law)
            snprintf (label, sizeof label, "%s (%s)", ja, law);
        else
            snprintf (label, sizeof label, "%s", ja ? ja : kind_name);
        json_int_t held = json_integer_value (json_object_get (m, "held"));
        json_int_t cases = json_integer_value (json_object_get (m, "cases"));
        tsg_csv_field (h, label);
        tsg_csv_fieldf (h, "%lld", (long long) held);
        tsg_csv_fieldf (h, "%lld", (long long) cases);
        if (held > 0)
            tsg_csv_fieldf (h, "%.2f", (double) cases / (double) held);
        else
            tsg_csv_field (h, NULL);
        tsg_csv_end_row (h);
    }
}

static void
s_table_letters (tsg_csv_t *h, const json_t *r)
{
    tsg_csv_row (h, "送付保留・緊急通報", NULL);
    tsg_csv_row (h, "送付保留件数", "緊急通報件数", NULL);
    s_number (h, json_object_get (r, "withheld"), 0);
    s_number (h, json_object_get (r, "emergency"), 0);
    tsg_csv_end_row (h);
}

char *
tsg_hub_report_csv (const json_t *report, bool cp932, size_t *len)
{
    if (!json_is_object (report))
        return NULL;
    char *bytes = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&bytes, &size);
    if (!out)
        return NULL;
    tsg_csv_t *h = tsg_csv_new (out, cp932 ? TSG_CSV_CP932 : TSG_CSV_UTF8_BOM, 0);
    if (h) {
        json_int_t closures = 0;
        s_table_counts (h, report);
        tsg_csv_end_row (h);
        s_table_matrix (h, report);
        tsg_csv_end_row (h);
        s_table_times (h, report);
        tsg_csv_end_row (h);
        s_table_closures (h, report, &closures);
        tsg_csv_end_row (h);
        s_table_reopened (h, report, closures);
        tsg_csv_end_row (h);
        s_table_meetings (h, report);
        tsg_csv_end_row (h);
        s_table_letters (h, report);
    }
    /* The writer and the stream remember a failed write (memory ran out). */
    bool ok = h && tsg_csv_destroy (&h);
    ok = ferror (out) == 0 && ok;
    if (fclose (out) != 0 || !ok || !bytes) {
        free (bytes);
        return NULL;
    }
    *len = size;
    return bytes;
}
