/* page_reports.c — 実績・報告: the figures of a period of months (model/reports.h) on screen,
 * and the same as a CSV file that Excel opens (report_csv.h): consultations and cases opened,
 * referrals between agency types, the times to received / accepted / plan / closure (median
 * and 90th percentile by agency type), closures by reason, reopenings, meetings, letters
 * withheld and emergency reports.  The period defaults to the fiscal year (April to March)
 * of today. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/reports.h"
#include "coordinator/web/labels.h"
#include "coordinator/web/report_csv.h"
#include "coordinator/web/web_parts.h"

#define EN(ctx) ((ctx)->lang == TSG_WEB_EN)

/* The period asked for (?from=YYYY-MM&to=YYYY-MM), or the fiscal year of today; false when a
 * month given is not one. */
static bool
s_period (tsg_web_ctx_t *ctx, char from[8], char to[8])
{
    const char *f = web_arg (ctx, "from"), *t = web_arg (ctx, "to");
    if (f || t) {
        if (!f || !t || !tsg_hub_report_month_ok (f) || !tsg_hub_report_month_ok (t)
            || tsg_hub_report_months (f, t) == 0
            || tsg_hub_report_months (f, t) > TSG_HUB_REPORT_MONTHS_MAX)
            return false;
        snprintf (from, 8, "%s", f);
        snprintf (to, 8, "%s", t);
        return true;
    }
    char now[8];
    tsg_hub_report_month (ctx->now_ms, now);
    unsigned year = (unsigned) atoi (now) % 10000, month = (unsigned) atoi (now + 5);
    unsigned start = month >= 4 ? year : year - 1;
    snprintf (from, 8, "%04u-04", start % 10000);
    snprintf (to, 8, "%04u-03", (start + 1) % 10000);
    return true;
}

/* The report of the period, or NULL (answered) when it cannot be had. */
static json_t *
s_report (tsg_web_ctx_t *ctx, char from[8], char to[8])
{
    if (!s_period (ctx, from, to)) {
        web_error (ctx, 400, "期間は YYYY-MM の月で、開始が終了より前、長くて120か月です。",
                   "The period is two months YYYY-MM, the first not after the second, at most "
                   "120 months apart.");
        return NULL;
    }
    tsg_txn_t txn;
    tsg_txn_begin (ctx->web->config.store, &txn, false);
    json_t *report = txn.rc == TSG_OK ? tsg_hub_view_report (&txn, from, to, ctx->now_ms) : NULL;
    tsg_txn_abort (&txn);
    if (!report)
        web_error (ctx, 500, "実績を読めませんでした。", "The figures could not be read.");
    return report;
}

static uint64_t
s_n (const json_t *o, const char *name)
{
    json_int_t v = json_integer_value (json_object_get (o, name));
    return v > 0 ? (uint64_t) v : 0;
}

/* A row "label | n". */
static void
s_row (tsg_html_t *h, const char *id, const char *label, uint64_t n)
{
    tsg_html_fmt (h, "<tr id=\"%s\"><th>", id);
    tsg_html_text (h, label);
    tsg_html_fmt (h, "</th><td class=\"num\">%llu</td></tr>", (unsigned long long) n);
}

static void
s_totals (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *r)
{
    tsg_html_raw (h, "<section class=\"panel\"><h2>");
    tsg_html_text (h, L (ctx, "件数", "Counts"));
    tsg_html_raw (h, "</h2><table id=\"report-totals\"><tbody>");
    s_row (h, "r-consultations", L (ctx, "相談件数（つなぎ）", "Consultations (referrals made)"),
           s_n (r, "consultations"));
    s_row (h, "r-cases-opened", L (ctx, "新規ケース", "Cases opened"), s_n (r, "cases_opened"));
    s_row (h, "r-reopened", L (ctx, "再開", "Reopened"), s_n (r, "reopened"));
    s_row (h, "r-withheld", L (ctx, "送付保留", "Letters withheld"), s_n (r, "withheld"));
    s_row (h, "r-emergency", L (ctx, "緊急通報", "Emergency reports"), s_n (r, "emergency"));
    const json_t *rate = json_object_get (r, "reopen_rate");
    tsg_html_raw (h, "<tr><th>");
    tsg_html_text (h, L (ctx, "再開率（再開 ÷ 終結）", "Reopen rate (reopened ÷ closed)"));
    if (json_is_number (rate))
        tsg_html_fmt (h, "</th><td class=\"num\">%.1f%%</td></tr>", json_number_value (rate) * 100);
    else
        tsg_html_raw (h, "</th><td class=\"num\">—</td></tr>");
    tsg_html_raw (h, "</tbody></table></section>");
}

static void
s_matrix (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *r)
{
    const json_t *matrix = json_object_get (r, "referral_matrix");
    const char *const *types = web_words (WEB_WORD_AGENCY_TYPE);
    tsg_html_raw (h, "<section class=\"panel wide\"><h2>");
    tsg_html_text (h, L (ctx, "機関種別間のつなぎ（行：紹介元、列：紹介先）",
                         "Referrals between agency types (rows from, columns to)"));
    tsg_html_raw (h, "</h2><table class=\"matrix\" id=\"report-matrix\"><thead><tr><th></th>");
    for (size_t j = 0; types[j]; j++) {
        tsg_html_raw (h, "<th>");
        tsg_html_text (h, web_word (WEB_WORD_AGENCY_TYPE, types[j], EN (ctx)));
        tsg_html_raw (h, "</th>");
    }
    tsg_html_raw (h, "</tr></thead><tbody>");
    for (size_t i = 0; types[i]; i++) {
        tsg_html_raw (h, "<tr><th>");
        tsg_html_text (h, web_word (WEB_WORD_AGENCY_TYPE, types[i], EN (ctx)));
        tsg_html_raw (h, "</th>");
        for (size_t j = 0; types[j]; j++)
            tsg_html_fmt (h, "<td>%llu</td>",
                          (unsigned long long) s_n (json_object_get (matrix, types[i]), types[j]));
        tsg_html_raw (h, "</tr>");
    }
    tsg_html_raw (h, "</tbody></table></section>");
}

/* One cell of hours ("—" for null). */
static void
s_hours (tsg_html_t *h, const json_t *v)
{
    if (json_is_number (v))
        tsg_html_fmt (h, "<td class=\"num\">%.1f</td>", json_number_value (v));
    else
        tsg_html_raw (h, "<td class=\"num\">—</td>");
}

static void
s_times (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *r)
{
    static const char *const figures[] = { "to_received", "to_accepted", "to_plan", "to_closure" };
    static const char *const ja[] = { "受付まで", "受諾まで", "プラン決定まで", "終結まで" };
    static const char *const en[] = { "To received", "To accepted", "To plan", "To closure" };
    const json_t *times = json_object_get (r, "times");
    const char *const *types = web_words (WEB_WORD_AGENCY_TYPE);
    tsg_html_raw (h, "<section class=\"panel wide\"><h2>");
    tsg_html_text (h, L (ctx, "所要時間（時間。中央値 / 90パーセンタイル、件数）",
                         "Times (hours: median / 90th percentile, count)"));
    tsg_html_raw (h, "</h2><table id=\"report-times\"><thead><tr><th></th><th colspan=\"3\">");
    tsg_html_text (h, L (ctx, "全体", "All"));
    tsg_html_raw (h, "</th>");
    for (size_t j = 0; types[j]; j++) {
        tsg_html_raw (h, "<th colspan=\"3\">");
        tsg_html_text (h, web_word (WEB_WORD_AGENCY_TYPE, types[j], EN (ctx)));
        tsg_html_raw (h, "</th>");
    }
    tsg_html_raw (h, "</tr><tr><th></th>");
    for (size_t j = 0; j < 5; j++) {
        tsg_html_raw (h, "<th class=\"num\">");
        tsg_html_text (h, L (ctx, "中央値", "median"));
        tsg_html_raw (h, "</th><th class=\"num\">");
        tsg_html_text (h, L (ctx, "90%", "p90"));
        tsg_html_raw (h, "</th><th class=\"num\">");
        tsg_html_text (h, L (ctx, "件数", "n"));
        tsg_html_raw (h, "</th>");
    }
    tsg_html_raw (h, "</tr></thead><tbody>");
    for (size_t i = 0; i < 4; i++) {
        const json_t *figure = json_object_get (times, figures[i]);
        tsg_html_fmt (h, "<tr data-figure=\"%s\"><th>", figures[i]);
        tsg_html_text (h, EN (ctx) ? en[i] : ja[i]);
        tsg_html_raw (h, "</th>");
        for (size_t j = 0; j < 5; j++) {
            const json_t *cell = json_object_get (figure, j == 0 ? "all" : types[j - 1]);
            s_hours (h, json_object_get (cell, "median_hours"));
            s_hours (h, json_object_get (cell, "p90_hours"));
            tsg_html_fmt (h, "<td class=\"num muted\">%llu</td>",
                          (unsigned long long) s_n (cell, "count"));
        }
        tsg_html_raw (h, "</tr>");
    }
    tsg_html_raw (h, "</tbody></table></section>");
}

static void
s_closures_meetings (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *r)
{
    tsg_html_raw (h, "<section class=\"panel\"><h2>");
    tsg_html_text (h, L (ctx, "終結の理由", "Closures by reason"));
    tsg_html_raw (h, "</h2><table id=\"report-closures\"><thead><tr><th></th><th class=\"num\">");
    tsg_html_text (h, L (ctx, "件数", "Cases"));
    tsg_html_raw (h, "</th></tr></thead><tbody>");
    const char *code;
    json_t *value;
    json_object_foreach (json_object_get (r, "closures"), code, value)
    {
        tsg_html_raw (h, "<tr><th>");
        tsg_html_text (h, web_word (WEB_WORD_CLOSE_REASON, code, EN (ctx)));
        tsg_html_fmt (h, "</th><td class=\"num\">%lld</td></tr>",
                      (long long) json_integer_value (value));
    }
    tsg_html_raw (h, "</tbody></table></section><section class=\"panel\"><h2>");
    tsg_html_text (h, L (ctx, "会議（開催日数 / 検討ケース数）", "Meetings (days held / cases)"));
    tsg_html_raw (h, "</h2><table id=\"report-meetings\"><thead><tr><th></th><th class=\"num\">");
    tsg_html_text (h, L (ctx, "開催日数", "Days held"));
    tsg_html_raw (h, "</th><th class=\"num\">");
    tsg_html_text (h, L (ctx, "検討ケース数", "Cases discussed"));
    tsg_html_raw (h, "</th></tr></thead><tbody>");
    json_object_foreach (json_object_get (r, "meetings"), code, value)
    {
        tsg_html_raw (h, "<tr><th>");
        tsg_html_text (h, web_word (WEB_WORD_MEETING, code, EN (ctx)));
        tsg_html_fmt (h, "</th><td class=\"num\">%llu</td><td class=\"num\">%llu</td></tr>",
                      (unsigned long long) s_n (value, "held"),
                      (unsigned long long) s_n (value, "cases"));
    }
    tsg_html_raw (h, "</tbody></table></section>");
}

/* The period form and the CSV links. */
static void
s_period_form (tsg_web_ctx_t *ctx, tsg_html_t *h, const char *from, const char *to, const json_t *r)
{
    tsg_html_raw (h, "<section class=\"panel wide\"><form id=\"report-period\" class=\"filters\" "
                     "method=\"get\" action=\"/reports\"><label>");
    tsg_html_text (h, L (ctx, "開始月", "From"));
    tsg_html_fmt (h, "<input type=\"month\" name=\"from\" value=\"%s\" required></label><label>",
                  from);
    tsg_html_text (h, L (ctx, "終了月", "To"));
    tsg_html_fmt (h, "<input type=\"month\" name=\"to\" value=\"%s\" required></label>", to);
    tsg_html_raw (h, "<button type=\"submit\">");
    tsg_html_text (h, L (ctx, "集計", "Show"));
    tsg_html_fmt (h,
                  "</button><a id=\"report-csv\" class=\"button secondary\" "
                  "href=\"/reports.csv?from=%s&amp;to=%s\" download>",
                  from, to);
    tsg_html_text (h, L (ctx, "CSV（UTF-8）", "CSV (UTF-8)"));
    tsg_html_fmt (h,
                  "</a><a id=\"report-csv-sjis\" class=\"button secondary\" "
                  "href=\"/reports.csv?from=%s&amp;to=%s&amp;encoding=cp932\" download>",
                  from, to);
    tsg_html_text (h, L (ctx, "CSV（Shift_JIS）", "CSV (Shift_JIS)"));
    tsg_html_raw (h, "</a></form>");
    const char *since = json_string_value (json_object_get (r, "since"));
    tsg_html_raw (h, "<p class=\"muted\">");
    if (since) {
        tsg_html_text (h, L (ctx, "月ごとの集計は次の月から記録されています: ",
                             "Monthly figures are kept from: "));
        tsg_html_text (h, since);
    }
    else
        tsg_html_text (h, L (ctx, "まだ集計がありません。", "No figures yet."));
    tsg_html_raw (h, "</p></section>");
}

void
web_page_reports (tsg_web_ctx_t *ctx)
{
    char from[8], to[8];
    json_t *r = s_report (ctx, from, to);
    if (!r)
        return;
    tsg_html_t h = { 0 };
    web_page_begin (ctx, &h, L (ctx, "実績・報告", "Reports"), WEB_NAV_REPORTS);
    tsg_html_raw (&h, "<h1>");
    tsg_html_text (&h, L (ctx, "実績・報告", "Reports"));
    tsg_html_fmt (&h, " <span class=\"muted\">%s – %s</span></h1><div class=\"grid\">", from, to);
    s_period_form (ctx, &h, from, to, r);
    s_totals (ctx, &h, r);
    s_matrix (ctx, &h, r);
    s_times (ctx, &h, r);
    s_closures_meetings (ctx, &h, r);
    tsg_html_raw (&h, "</div>");
    web_page_end (ctx, &h);
    json_decref (r);
    web_answer_html (ctx, 200, &h);
}

void
web_reports_csv (tsg_web_ctx_t *ctx)
{
    char from[8], to[8];
    json_t *r = s_report (ctx, from, to);
    if (!r)
        return;
    const char *encoding = web_arg (ctx, "encoding");
    bool cp932 = encoding && (strcmp (encoding, "cp932") == 0 || strcmp (encoding, "sjis") == 0);
    size_t len = 0;
    char *csv = tsg_hub_report_csv (r, cp932, &len);
    json_decref (r);
    char disposition[160];
    snprintf (disposition, sizeof disposition,
              "Content-Disposition: attachment; filename=\"tsunagu-report-%s_%s%s.csv\"", from, to,
              cp932 ? "-sjis" : "");
    web_header (ctx, disposition);
    web_answer_bytes (ctx, 200, cp932 ? "text/csv; charset=Shift_JIS" : "text/csv; charset=utf-8",
                      csv, len);
}
