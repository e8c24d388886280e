/* report_csv.c — the report of a period as the CSV Excel opens (report_csv.h): built in UTF-8
 * through open_memstream, then given its BOM or turned into CP932 with glibc's iconv. */
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_agency_types.h"
#include "coordinator/model/cases.h"
#include "coordinator/web/labels.h"
#include "coordinator/web/report_csv.h"

#define BOM "\xEF\xBB\xBF"
#define EOL "\r\n"

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

/* One text field, quoted (its quotes doubled) when it holds a comma, a quote, CR or LF. */
static void
s_text (FILE *h, const char *text)
{
    if (!text)
        return;
    if (!strpbrk (text, ",\"\r\n")) {
        fputs (text, h);
        return;
    }
    fputs ("\"", h);
    for (const char *p = text; *p; p++) {
        fputc (*p, h);
        if (*p == '"')
            fputs ("\"", h);
    }
    fputs ("\"", h);
}

/* A row of text fields, ended by NULL. */
static void
s_row (FILE *h, const char *first, ...)
{
    va_list ap;
    va_start (ap, first);
    for (const char *field = first; field; field = va_arg (ap, const char *)) {
        if (field != first)
            fputs (",", h);
        s_text (h, field);
    }
    va_end (ap);
    fputs (EOL, h);
}

/* A number field: an integer, a real to 2 places (4 for a rate), nothing for null. */
static void
s_number (FILE *h, const json_t *value, int places)
{
    if (json_is_integer (value))
        fprintf (h, "%lld", (long long) json_integer_value (value));
    else if (json_is_real (value))
        fprintf (h, "%.*f", places, json_real_value (value));
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
s_table_counts (FILE *h, const json_t *r)
{
    char from[32], to[32], since[32], period[80];
    snprintf (period, sizeof period, "%s～%s", s_month (json_object_get (r, "from"), from),
              s_month (json_object_get (r, "to"), to));
    const json_t *since_value = json_object_get (r, "since");
    s_row (h, "相談件数・新規ケース", NULL);
    s_row (h, "期間", "集計開始月", "相談件数", "新規ケース", NULL);
    s_text (h, period);
    fputs (",", h);
    s_text (h, json_is_string (since_value) ? s_month (since_value, since) : "記録なし");
    fputs (",", h);
    s_number (h, json_object_get (r, "consultations"), 0);
    fputs (",", h);
    s_number (h, json_object_get (r, "cases_opened"), 0);
    fputs (EOL, h);
}

static void
s_table_matrix (FILE *h, const json_t *r)
{
    s_row (h, "紹介元・紹介先種別ごとの紹介件数", NULL);
    s_row (h, "紹介元種別", "紹介先種別", "件数", NULL);
    const char *sender, *recipient;
    json_t *row, *n;
    json_object_foreach ((json_t *) json_object_get (r, "referral_matrix"), sender, row)
    {
        json_object_foreach (row, recipient, n)
        {
            s_text (h, tsg_hub_agency_type_ja (sender));
            fputs (",", h);
            s_text (h, tsg_hub_agency_type_ja (recipient));
            fputs (",", h);
            s_number (h, n, 0);
            fputs (EOL, h);
        }
    }
}

static void
s_table_times (FILE *h, const json_t *r)
{
    s_row (h, "所要時間", NULL);
    s_row (h, "指標", "機関種別", "件数", "中央値(時間)", "90パーセンタイル(時間)", NULL);
    const char *figure, *type;
    json_t *by_type, *t;
    json_object_foreach ((json_t *) json_object_get (r, "times"), figure, by_type)
    {
        json_object_foreach (by_type, type, t)
        {
            s_text (h, tsg_hub_report_time_ja (figure));
            fputs (",", h);
            s_text (h, tsg_hub_agency_type_ja (type));
            fputs (",", h);
            s_number (h, json_object_get (t, "count"), 0);
            fputs (",", h);
            s_number (h, json_object_get (t, "median_hours"), 2);
            fputs (",", h);
            s_number (h, json_object_get (t, "p90_hours"), 2);
            fputs (EOL, h);
        }
    }
}

static void
s_table_closures (FILE *h, const json_t *r, json_int_t *total)
{
    s_row (h, "終結理由別件数", NULL);
    s_row (h, "終結理由", "件数", NULL);
    const char *reason;
    json_t *n;
    *total = 0;
    json_object_foreach ((json_t *) json_object_get (r, "closures"), reason, n)
    {
        s_text (h, tsg_hub_close_reason_ja (reason));
        fputs (",", h);
        s_number (h, n, 0);
        fputs (EOL, h);
        *total += json_integer_value (n);
    }
}

static void
s_table_reopened (FILE *h, const json_t *r, json_int_t closures)
{
    s_row (h, "再開", NULL);
    s_row (h, "再開件数", "終結件数", "再開率", NULL);
    s_number (h, json_object_get (r, "reopened"), 0);
    fprintf (h, ",%lld,", (long long) closures);
    s_number (h, json_object_get (r, "reopen_rate"), 4);
    fputs (EOL, h);
}

static void
s_table_meetings (FILE *h, const json_t *r)
{
    s_row (h, "会議", NULL);
    s_row (h, "会議の種類", "開催回数", "検討ケース数", "1回あたりケース数", NULL);
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
        s_text (h, label);
        fprintf (h, ",%lld,%lld,", (long long) held, (long long) cases);
        if (held > 0)
            fprintf (h, "%.2f", (double) cases / (double) held);
        fputs (EOL, h);
    }
}

static void
s_table_letters (FILE *h, const json_t *r)
{
    s_row (h, "送付保留・緊急通報", NULL);
    s_row (h, "送付保留件数", "緊急通報件数", NULL);
    s_number (h, json_object_get (r, "withheld"), 0);
    fputs (",", h);
    s_number (h, json_object_get (r, "emergency"), 0);
    fputs (EOL, h);
}

/* ---- encoding ----------------------------------------------------------------------- */

/* utf8 (len bytes) in CP932 (caller frees; NUL-terminated), a character CP932 lacks as '?'.
 * NULL when iconv cannot be opened or memory ran out. */
static char *
s_cp932 (const char *utf8, size_t len, size_t *out_len)
{
    iconv_t cd = iconv_open ("CP932", "UTF-8");
    if (cd == (iconv_t) -1)
        return NULL;
    size_t cap = len + 1; /* CP932 never takes more bytes than UTF-8 for the same text */
    char *out = malloc (cap);
    char *in = (char *) utf8, *o = out;
    size_t in_left = len, out_left = cap - 1;
    while (out && in_left > 0) {
        if (iconv (cd, &in, &in_left, &o, &out_left) != (size_t) -1)
            break;
        if (errno != EILSEQ && errno != EINVAL) {
            free (out);
            out = NULL;
            break;
        }
        /* Skip the character CP932 lacks (one UTF-8 sequence) and write '?'. */
        size_t skip = 1;
        while (skip < in_left && ((unsigned char) in[skip] & 0xC0) == 0x80)
            skip++;
        in += skip;
        in_left -= skip;
        *o++ = '?';
        out_left--;
    }
    iconv_close (cd);
    if (!out)
        return NULL;
    *o = '\0';
    *out_len = (size_t) (o - out);
    return out;
}

char *
tsg_hub_report_csv (const json_t *report, bool cp932, size_t *len)
{
    if (!json_is_object (report))
        return NULL;
    char *utf8 = NULL;
    size_t utf8_len = 0;
    FILE *h = open_memstream (&utf8, &utf8_len);
    if (!h)
        return NULL;
    if (!cp932)
        fputs (BOM, h);
    json_int_t closures = 0;
    s_table_counts (h, report);
    fputs (EOL, h);
    s_table_matrix (h, report);
    fputs (EOL, h);
    s_table_times (h, report);
    fputs (EOL, h);
    s_table_closures (h, report, &closures);
    fputs (EOL, h);
    s_table_reopened (h, report, closures);
    fputs (EOL, h);
    s_table_meetings (h, report);
    fputs (EOL, h);
    s_table_letters (h, report);
    /* The stream remembers a failed write (memory ran out); closing gives the text. */
    bool failed = ferror (h) != 0;
    if (fclose (h) != 0 || failed || !utf8) {
        free (utf8);
        return NULL;
    }
    if (!cp932) {
        *len = utf8_len;
        return utf8;
    }
    char *out = s_cp932 (utf8, utf8_len, len);
    free (utf8);
    return out;
}
