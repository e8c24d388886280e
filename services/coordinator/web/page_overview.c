/* page_overview.c — 概況, the dashboard's first page: cases by state, new cases, referrals
 * overdue by agency, letters withheld, agencies online, consents about to expire, emergency
 * alerts not yet acknowledged, letters per minute.  Drawn from the overview
 * (api/overview.h), which reads counters and bounded ranges only; the script refreshes the
 * #live part every 15 seconds, so a coordinator can leave the page open. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "coordinator/api/overview.h"
#include "coordinator/web/labels.h"
#include "coordinator/web/svg.h"
#include "coordinator/web/web_parts.h"

#define EN(ctx) ((ctx)->lang == TSG_WEB_EN)

/* Agencies listed in each overdue table (the most overdue first; the rest summed). */
#define OVERDUE_ROWS 10

/* The integer member name of o (0 when absent). */
static uint64_t
s_n (const json_t *o, const char *name)
{
    json_int_t v = json_integer_value (json_object_get (o, name));
    return v > 0 ? (uint64_t) v : 0;
}

/* The string member name of o ("" when absent). */
static const char *
s_s (const json_t *o, const char *name)
{
    const char *v = json_string_value (json_object_get (o, name));
    return v ? v : "";
}

/* One figure of the header row. */
static void
s_figure (tsg_html_t *h, const char *id, const char *label, uint64_t n, const char *href)
{
    tsg_html_fmt (h, "<div id=\"%s\"><dt>", id);
    tsg_html_text (h, label);
    tsg_html_raw (h, "</dt><dd>");
    if (href)
        tsg_html_fmt (h, "<a href=\"%s\">", href);
    tsg_html_u64 (h, n);
    if (href)
        tsg_html_raw (h, "</a>");
    tsg_html_raw (h, "</dd></div>");
}

/* Marks the overdue figures as lower bounds when the overview stopped counting at its budget
 * (model/overview.h: TSG_HUB_OVERVIEW_DUE_BUDGET). */
static void
s_partial (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *overdue)
{
    if (!json_is_true (json_object_get (overdue, "partial")))
        return;
    tsg_html_raw (h, "<p class=\"muted\" id=\"overdue-partial\">");
    tsg_html_text (h, L (ctx, "期限超過が多いため、件数は途中まで数えた値（以上）です。",
                         "There are so many overdue referrals that the counts stop part way: "
                         "read them as \"at least\"."));
    tsg_html_raw (h, "</p>");
}

static void
s_figures (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *ov)
{
    const json_t *by_state = json_object_get (ov, "cases_by_state");
    uint64_t active = 0;
    const char *state;
    json_t *value;
    json_object_foreach ((json_t *) by_state, state, value)
    {
        if (strcmp (state, "closed") != 0)
            active += (uint64_t) json_integer_value (value);
    }
    const json_t *fresh = json_object_get (ov, "new_cases");
    const json_t *overdue = json_object_get (json_object_get (ov, "overdue"), "total");
    tsg_html_raw (h, "<section class=\"panel wide\"><dl class=\"figures\">");
    s_figure (h, "fig-active", L (ctx, "終結していないケース", "Cases not closed"), active,
              "/cases");
    s_figure (h, "fig-new-week", L (ctx, "今週の新規", "New this week"), s_n (fresh, "week"), NULL);
    s_figure (h, "fig-new-month", L (ctx, "今月の新規", "New this month"), s_n (fresh, "month"),
              NULL);
    bool partial = json_is_true (json_object_get (json_object_get (ov, "overdue"), "partial"));
    s_figure (h, "fig-overdue-received",
              partial ? L (ctx, "受付の遅れ（以上）", "Late to receive (at least)")
                      : L (ctx, "受付の遅れ", "Late to receive"),
              s_n (overdue, "received"), "#overdue");
    s_figure (h, "fig-overdue-accepted",
              partial ? L (ctx, "応答の遅れ（以上）", "Late to answer (at least)")
                      : L (ctx, "応答の遅れ", "Late to answer"),
              s_n (overdue, "accepted"), "#overdue");
    s_figure (h, "fig-withheld", L (ctx, "保留された送付", "Letters withheld"),
              s_n (json_object_get (ov, "withheld"), "count"), "/cases?withheld=1");
    s_figure (h, "fig-alerts", L (ctx, "未確認の緊急通報", "Alerts to acknowledge"),
              s_n (ov, "alerts_open_count"), "#alerts");
    s_figure (h, "fig-letters", L (ctx, "直近1分の送付", "Letters last minute"),
              s_n (ov, "letters_last_minute"), NULL);
    tsg_html_raw (h, "</dl></section>");
}

static void
s_states (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *ov)
{
    const char *const *codes = web_words (WEB_WORD_CASE_STATE);
    const char *labels[16];
    uint64_t values[16];
    size_t n = 0;
    for (; codes[n] && n < 16; n++) {
        labels[n] = web_word (WEB_WORD_CASE_STATE, codes[n], EN (ctx));
        values[n] = s_n (json_object_get (ov, "cases_by_state"), codes[n]);
    }
    tsg_html_raw (h, "<section class=\"panel\" id=\"cases-by-state\"><h2>");
    tsg_html_text (h, L (ctx, "状態別のケース", "Cases by state"));
    tsg_html_raw (h, "</h2>");
    web_svg_bars (h, "chart-states", L (ctx, "状態別のケース数", "Cases by state"), labels, values,
                  n);
    tsg_html_raw (h, "</section>");
}

/* The overdue referrals of kind ("received", "accepted") by recipient. */
static void
s_overdue_table (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *list, const char *caption)
{
    tsg_html_raw (h, "<table><caption class=\"muted\">");
    tsg_html_text (h, caption);
    tsg_html_raw (h, "</caption><thead><tr><th>");
    tsg_html_text (h, L (ctx, "機関", "Agency"));
    tsg_html_raw (h, "</th><th class=\"num\">");
    tsg_html_text (h, L (ctx, "件数", "Referrals"));
    tsg_html_raw (h, "</th></tr></thead><tbody>");
    size_t i;
    json_t *row;
    json_array_foreach ((json_t *) list, i, row)
    {
        if (i == OVERDUE_ROWS)
            break;
        tsg_html_raw (h, "<tr><td><a href=\"/cases?overdue=1&amp;agency=");
        tsg_html_text (h, s_s (row, "agency"));
        tsg_html_raw (h, "\">");
        tsg_html_text (h, *s_s (row, "name") ? s_s (row, "name") : s_s (row, "agency"));
        tsg_html_raw (h, "</a></td><td class=\"num\">");
        tsg_html_u64 (h, s_n (row, "count"));
        tsg_html_raw (h, "</td></tr>");
    }
    if (json_array_size (list) == 0) {
        tsg_html_raw (h, "<tr><td colspan=\"2\" class=\"muted\">");
        tsg_html_text (h, L (ctx, "遅れはありません", "None late"));
        tsg_html_raw (h, "</td></tr>");
    }
    if (json_array_size (list) > OVERDUE_ROWS) {
        uint64_t rest = 0;
        json_array_foreach ((json_t *) list, i, row) if (i >= OVERDUE_ROWS) rest +=
            s_n (row, "count");
        tsg_html_fmt (
            h, "<tr><td class=\"muted\">%s %zu %s</td><td class=\"num muted\">%llu</td></tr>",
            L (ctx, "ほか", "and"), json_array_size (list) - OVERDUE_ROWS,
            L (ctx, "機関", "more agencies"), (unsigned long long) rest);
    }
    tsg_html_raw (h, "</tbody></table>");
}

static void
s_overdue (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *ov)
{
    const json_t *overdue = json_object_get (ov, "overdue");
    tsg_html_raw (h, "<section class=\"panel\" id=\"overdue\"><h2>");
    tsg_html_text (h, L (ctx, "期限を過ぎたつなぎ（機関別）", "Referrals overdue, by agency"));
    tsg_html_raw (h, "</h2>");
    s_overdue_table (ctx, h, json_object_get (overdue, "received"),
                     L (ctx, "受付（届いたことの確認）の遅れ", "Not yet received"));
    s_overdue_table (ctx, h, json_object_get (overdue, "accepted"),
                     L (ctx, "受諾・辞退の回答の遅れ", "Not yet accepted or rejected"));
    s_partial (ctx, h, overdue);
    tsg_html_raw (h, "<p class=\"muted\">");
    tsg_html_text (h, L (ctx, "同意の終了で保留された送付は、受け手の遅れには数えません。",
                         "Letters withheld because their consent ended do not count as late "
                         "against their recipient."));
    tsg_html_raw (h, "</p></section>");
}

static void
s_withheld (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *ov)
{
    const json_t *withheld = json_object_get (ov, "withheld");
    const json_t *by = json_object_get (withheld, "by_reason");
    tsg_html_raw (h, "<section class=\"panel\" id=\"withheld\"><h2>");
    tsg_html_text (h, L (ctx, "保留された送付と理由", "Letters withheld, and why"));
    tsg_html_raw (h, "</h2><table><tbody>");
    const char *reason;
    json_t *value;
    json_object_foreach ((json_t *) by, reason, value)
    {
        tsg_html_raw (h, "<tr><td>");
        if (strcmp (reason, "revoked") == 0)
            tsg_html_text (h, L (ctx, "同意の撤回", "Consent revoked"));
        else if (strcmp (reason, "expired") == 0)
            tsg_html_text (h, L (ctx, "同意の期限切れ", "Consent expired"));
        else
            tsg_html_text (h,
                           L (ctx, "理由の記録なし（以前の版）", "Not recorded (older version)"));
        tsg_html_raw (h, "</td><td class=\"num\">");
        tsg_html_u64 (h, (uint64_t) json_integer_value (value));
        tsg_html_raw (h, "</td></tr>");
    }
    if (json_object_size (by) == 0) {
        tsg_html_raw (h, "<tr><td class=\"muted\">");
        tsg_html_text (h, L (ctx, "ありません", "None"));
        tsg_html_raw (h, "</td></tr>");
    }
    tsg_html_raw (h, "</tbody></table><p><a href=\"/cases?withheld=1\">");
    tsg_html_text (h, L (ctx, "保留のあるケースを見る", "Cases with withheld letters"));
    tsg_html_raw (h, "</a></p></section>");
}

static void
s_agencies (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *ov)
{
    tsg_html_raw (h, "<section class=\"panel wide\" id=\"agencies-online\"><h2>");
    tsg_html_text (h, L (ctx, "機関の接続", "Agencies online"));
    tsg_html_raw (h, "</h2><table><thead><tr><th>");
    tsg_html_text (h, L (ctx, "機関", "Agency"));
    tsg_html_raw (h, "</th><th>");
    tsg_html_text (h, L (ctx, "接続", "Online"));
    tsg_html_raw (h, "</th><th>");
    tsg_html_text (h, L (ctx, "最終確認", "Last seen"));
    tsg_html_raw (h, "</th><th class=\"num\">");
    tsg_html_text (h, L (ctx, "未配達", "Waiting"));
    tsg_html_raw (h, "</th></tr></thead><tbody>");
    size_t i;
    json_t *a;
    json_array_foreach (json_object_get (ov, "agencies"), i, a)
    {
        bool online = json_is_true (json_object_get (a, "online"));
        tsg_html_raw (h, "<tr data-agency-id=\"");
        tsg_html_text (h, s_s (a, "id"));
        tsg_html_raw (h, "\"><td>");
        tsg_html_text (h, *s_s (a, "name") ? s_s (a, "name") : s_s (a, "id"));
        tsg_html_fmt (h, "</td><td><span class=\"badge %s\">", online ? "good" : "warn");
        tsg_html_text (h, online ? L (ctx, "接続中", "online") : L (ctx, "未接続", "offline"));
        tsg_html_raw (h, "</span></td><td>");
        web_iso (h, s_s (a, "last_seen"));
        tsg_html_raw (h, "</td><td class=\"num\">");
        tsg_html_u64 (h, s_n (a, "mailbox_depth"));
        tsg_html_raw (h, "</td></tr>");
    }
    tsg_html_raw (h, "</tbody></table></section>");
}

static void
s_consents (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *ov)
{
    tsg_html_raw (h, "<section class=\"panel\" id=\"consents-expiring\"><h2>");
    tsg_html_text (h, L (ctx, "14日以内に期限が来る同意", "Consents ending within 14 days"));
    tsg_html_fmt (h, " <span class=\"badge info\">%llu</span></h2><table><tbody>",
                  (unsigned long long) s_n (ov, "consents_expiring_count"));
    size_t i;
    json_t *c;
    json_array_foreach (json_object_get (ov, "consents_expiring"), i, c)
    {
        if (i == 10)
            break;
        tsg_html_raw (h, "<tr><td><a class=\"id\" href=\"/cases/");
        tsg_html_text (h, s_s (c, "case_id"));
        tsg_html_raw (h, "#consents\">");
        tsg_html_text (h, s_s (c, "case_id"));
        tsg_html_raw (h, "</a></td><td>");
        tsg_html_text (h, s_s (c, "valid_until"));
        tsg_html_raw (h, "</td></tr>");
    }
    if (json_array_size (json_object_get (ov, "consents_expiring")) == 0) {
        tsg_html_raw (h, "<tr><td class=\"muted\">");
        tsg_html_text (h, L (ctx, "ありません", "None"));
        tsg_html_raw (h, "</td></tr>");
    }
    tsg_html_raw (h, "</tbody></table></section>");
}

static void
s_alerts (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *ov)
{
    bool may_ack = tsg_hub_user_may (&ctx->user, TSG_HUB_ROLE_COORDINATOR);
    tsg_html_raw (h, "<section class=\"panel\" id=\"alerts\"><h2>");
    tsg_html_text (h, L (ctx, "未確認の緊急通報", "Emergency alerts not yet acknowledged"));
    tsg_html_raw (h, "</h2><table><tbody>");
    size_t i;
    json_t *a;
    json_array_foreach (json_object_get (ov, "alerts_open"), i, a)
    {
        if (i == 10)
            break;
        tsg_html_raw (h, "<tr><td>");
        web_iso (h, s_s (a, "at"));
        tsg_html_raw (h, "</td><td>");
        tsg_html_text (h, s_s (a, "from"));
        tsg_html_raw (h, " → ");
        tsg_html_text (h, s_s (a, "to"));
        if (*s_s (a, "case_id")) {
            tsg_html_raw (h, " <a class=\"id\" href=\"/cases/");
            tsg_html_text (h, s_s (a, "case_id"));
            tsg_html_raw (h, "\">");
            tsg_html_text (h, L (ctx, "ケース", "case"));
            tsg_html_raw (h, "</a>");
        }
        tsg_html_raw (h, "</td><td>");
        if (may_ack) {
            tsg_html_fmt (h, "<form method=\"post\" action=\"/alerts/%llu/ack\">",
                          (unsigned long long) s_n (a, "n"));
            web_csrf_field (ctx, h);
            tsg_html_raw (h, "<button type=\"submit\" class=\"secondary\">");
            tsg_html_text (h, L (ctx, "確認した", "Acknowledge"));
            tsg_html_raw (h, "</button></form>");
        }
        tsg_html_raw (h, "</td></tr>");
    }
    if (json_array_size (json_object_get (ov, "alerts_open")) == 0) {
        tsg_html_raw (h, "<tr><td class=\"muted\">");
        tsg_html_text (h, L (ctx, "ありません", "None"));
        tsg_html_raw (h, "</td></tr>");
    }
    tsg_html_raw (h, "</tbody></table></section>");
}

static void
s_rate (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *ov)
{
    uint64_t values[60] = { 0 };
    const json_t *series = json_object_get (ov, "letters_per_minute");
    size_t n = json_array_size (series) < 60 ? json_array_size (series) : 60;
    for (size_t i = 0; i < n; i++)
        values[i] = (uint64_t) json_integer_value (json_array_get (series, i));
    tsg_html_raw (h, "<section class=\"panel span3\" id=\"letters-rate\"><h2>");
    tsg_html_text (h, L (ctx, "1分あたりの送付（直近60分）", "Letters per minute (last hour)"));
    tsg_html_raw (h, "</h2>");
    web_svg_columns (h, "chart-rate", L (ctx, "1分あたりの送付", "Letters per minute"), values,
                     n ? n : 60, L (ctx, "60分前", "60 min ago"), L (ctx, "いま", "now"));
    tsg_html_raw (h, "</section>");
}

/* The overview with its live part at the request's time, or NULL (answered: 500). */
static json_t *
s_read_overview (tsg_web_ctx_t *ctx)
{
    tsg_txn_t txn;
    tsg_txn_begin (ctx->web->config.store, &txn, false);
    json_t *ov =
        txn.rc == TSG_OK ? tsg_hub_api_overview (ctx->web->config.api, &txn, ctx->now_ms) : NULL;
    tsg_txn_abort (&txn);
    if (!ov)
        web_error (ctx, 500, "概況を読めませんでした。", "The overview could not be read.");
    return ov;
}

void
web_page_overview (tsg_web_ctx_t *ctx)
{
    json_t *ov = s_read_overview (ctx);
    if (!ov)
        return;
    tsg_html_t h = { 0 };
    web_page_begin (ctx, &h, L (ctx, "概況", "Overview"), WEB_NAV_OVERVIEW);
    tsg_html_raw (&h, "<h1>");
    tsg_html_text (&h, L (ctx, "概況", "Overview"));
    tsg_html_raw (&h, " <span id=\"live-status\" class=\"live-status\" aria-live=\"polite\" "
                      "data-label=\"");
    tsg_html_text (&h, L (ctx, "更新", "updated"));
    tsg_html_raw (&h, "\" data-failed=\"");
    tsg_html_text (&h, L (ctx, "更新できません", "cannot refresh"));
    tsg_html_raw (&h, "\"></span></h1>");
    tsg_html_raw (&h, "<div id=\"live\" class=\"grid\" data-live=\"/\" data-every=\"15\">");
    s_figures (ctx, &h, ov);
    s_states (ctx, &h, ov);
    s_overdue (ctx, &h, ov);
    s_alerts (ctx, &h, ov);
    s_consents (ctx, &h, ov);
    s_agencies (ctx, &h, ov);
    s_withheld (ctx, &h, ov);
    s_rate (ctx, &h, ov);
    tsg_html_raw (&h, "</div>");
    web_page_end (ctx, &h);
    json_decref (ov);
    web_answer_html (ctx, 200, &h);
}
