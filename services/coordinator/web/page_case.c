/* page_case.c — ケース詳細: one household's case as the coordinator knows it — its state and
 * figures, its way through the states over time (進んだり戻ったり shows as steps back), the
 * referrals with their states and due dates (withheld ones said so, with why), the latest
 * meetings' rosters, the plan's roles and next review (flagged when past), the consents by
 * pseudonymous id, and the whole timeline.  Staff with the coordinator role record case events
 * below it (case_form.c). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "coordinator/model/views.h"
#include "coordinator/web/case_form.h"
#include "coordinator/web/labels.h"
#include "coordinator/web/svg.h"
#include "coordinator/web/web_parts.h"

#define EN(ctx) ((ctx)->lang == TSG_WEB_EN)

static const char *
s_s (const json_t *o, const char *name)
{
    const char *v = json_string_value (json_object_get (o, name));
    return v ? v : "";
}

/* A labelled value of the summary. */
static void
s_item (tsg_html_t *h, const char *label)
{
    tsg_html_raw (h, "<div><dt>");
    tsg_html_text (h, label);
    tsg_html_raw (h, "</dt><dd>");
}

/* Hours of a span in ms as "12.5時間" / "3.2日" ("—" for null). */
static void
s_span (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *ms)
{
    if (!json_is_integer (ms)) {
        tsg_html_raw (h, "—");
        return;
    }
    double hours = (double) json_integer_value (ms) / 3600000.0;
    if (hours < 48)
        tsg_html_fmt (h, "%.1f%s", hours, L (ctx, "時間", " h"));
    else
        tsg_html_fmt (h, "%.1f%s", hours / 24, L (ctx, "日", " days"));
}

static void
s_summary (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *c)
{
    const json_t *fig = json_object_get (c, "figures");
    tsg_html_raw (h, "<section class=\"panel wide\" id=\"summary\"><dl class=\"figures\">");
    s_item (h, L (ctx, "状態", "State"));
    tsg_html_raw (h, "<span class=\"badge info\" id=\"case-state\">");
    tsg_html_text (h, web_word (WEB_WORD_CASE_STATE, s_s (c, "state"), EN (ctx)));
    tsg_html_raw (h, "</span></dd></div>");
    s_item (h, L (ctx, "版", "Version"));
    tsg_html_fmt (h, "<span id=\"case-version\">%lld</span></dd></div>",
                  (long long) json_integer_value (json_object_get (c, "version")));
    s_item (h, L (ctx, "受付確認まで", "To first received"));
    s_span (ctx, h, json_object_get (fig, "to_received_ms"));
    tsg_html_raw (h, "</dd></div>");
    s_item (h, L (ctx, "受諾まで", "To accepted"));
    s_span (ctx, h, json_object_get (fig, "to_accepted_ms"));
    tsg_html_raw (h, "</dd></div>");
    s_item (h, L (ctx, "プラン決定まで", "To plan"));
    s_span (ctx, h, json_object_get (fig, "to_plan_ms"));
    tsg_html_raw (h, "</dd></div>");
    s_item (h, L (ctx, "終結まで", "To closure"));
    s_span (ctx, h, json_object_get (fig, "to_closure_ms"));
    tsg_html_raw (h, "</dd></div>");
    s_item (h, L (ctx, "再開", "Reopened"));
    tsg_html_fmt (h, "%lld</dd></div>",
                  (long long) json_integer_value (json_object_get (c, "reopened")));
    const json_t *handover = json_object_get (c, "last_handover");
    if (json_is_object (handover)) {
        /* 担当交代: the day and the agency; "since the last review" until a meeting or plan. */
        s_item (h, L (ctx, "担当交代", "Handed over"));
        tsg_html_raw (h, "<span id=\"case-handover\">");
        tsg_html_text (h, s_s (handover, "effective_on"));
        tsg_html_raw (h, " ");
        tsg_html_text (h, web_agency_name (ctx, s_s (handover, "agency")));
        tsg_html_raw (h, "</span>");
        if (json_is_true (json_object_get (c, "handed_over"))) {
            tsg_html_raw (h, " <span class=\"badge warn handed-over\">");
            tsg_html_text (h, L (ctx, "見直し前", "not reviewed yet"));
            tsg_html_raw (h, "</span>");
        }
        tsg_html_raw (h, "</dd></div>");
    }
    tsg_html_raw (h, "</dl><p>");
    tsg_html_text (h, L (ctx, "開始", "Opened"));
    tsg_html_raw (h, " ");
    web_iso (h, s_s (c, "created_at"));
    tsg_html_raw (h, " · ");
    tsg_html_text (h, L (ctx, "最終更新", "Last change"));
    tsg_html_raw (h, " ");
    web_iso (h, s_s (c, "updated_at"));
    const json_t *last = json_object_get (c, "last_event");
    if (*s_s (last, "by")) {
        tsg_html_raw (h, " (");
        tsg_html_text (h, web_agency_name (ctx, s_s (last, "by")));
        tsg_html_raw (h, ")");
    }
    size_t i;
    json_t *t;
    tsg_html_raw (h, " · ");
    tsg_html_text (h, L (ctx, "タグ", "Tags"));
    json_array_foreach (json_object_get (c, "tags"), i, t)
    {
        tsg_html_raw (h, " <span class=\"badge\">");
        tsg_html_text (h, json_string_value (t));
        tsg_html_raw (h, "</span>");
    }
    tsg_html_raw (h, "</p></section>");
}

/* The level of a case state on the trajectory's axis (its place in the lifecycle). */
static int
s_level (const char *state)
{
    const char *const *codes = web_words (WEB_WORD_CASE_STATE);
    for (int i = 0; codes[i]; i++)
        if (strcmp (codes[i], state) == 0)
            return i;
    return -1;
}

static void
s_trajectory (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *c)
{
    web_svg_point_t points[256];
    size_t n = 0;
    points[n++] = (web_svg_point_t){ web_iso_ms (s_s (c, "created_at")), 0 };
    size_t i;
    json_t *ev;
    int backs = 0;
    json_array_foreach (json_object_get (c, "timeline"), i, ev)
    {
        const char *type = s_s (ev, "type");
        if (strncmp (type, "referral", 8) == 0 || n == 256)
            continue;
        int level = s_level (s_s (ev, "to"));
        if (level < 0)
            continue;
        if (level < points[n - 1].level)
            backs++;
        points[n++] = (web_svg_point_t){ web_iso_ms (s_s (ev, "at")), level };
    }
    const char *labels[16];
    size_t levels = 0;
    for (const char *const *code = web_words (WEB_WORD_CASE_STATE); *code && levels < 16; code++)
        labels[levels++] = web_word (WEB_WORD_CASE_STATE, *code, EN (ctx));
    tsg_html_raw (h, "<section class=\"panel wide\" id=\"trajectory\"><h2>");
    tsg_html_text (h, L (ctx, "状態の推移", "The way through the states"));
    tsg_html_fmt (h, " <span class=\"muted\">%s %d</span></h2>", L (ctx, "後戻り", "steps back:"),
                  backs);
    web_svg_steps (h, "chart-trajectory", L (ctx, "状態の推移", "States over time"), points, n,
                   labels, levels);
    tsg_html_raw (h, "</section>");
}

/* One referral's row. */
static void
s_referral (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *r)
{
    tsg_html_raw (h, "<tr data-referral-id=\"");
    tsg_html_text (h, s_s (r, "referral_id"));
    tsg_html_raw (h, "\"><td>");
    tsg_html_text (h, web_agency_name (ctx, s_s (r, "from")));
    tsg_html_raw (h, " → ");
    tsg_html_text (h, web_agency_name (ctx, s_s (r, "to")));
    tsg_html_raw (h, "</td><td><span class=\"badge info\">");
    tsg_html_text (h, web_word (WEB_WORD_REF_STATE, s_s (r, "state"), EN (ctx)));
    tsg_html_raw (h, "</span></td><td>");
    tsg_html_text (h, web_word (WEB_WORD_URGENCY, s_s (r, "urgency"), EN (ctx)));
    tsg_html_raw (h, "</td><td>");
    web_iso (h, s_s (r, "created_at"));
    tsg_html_raw (h, "</td><td>");
    tsg_html_text (h, s_s (r, "receive_due_date"));
    tsg_html_raw (h, " / ");
    tsg_html_text (h, s_s (r, "due_date"));
    tsg_html_raw (h, "</td><td>");
    web_iso (h, s_s (r, "received_at"));
    tsg_html_raw (h, " / ");
    web_iso (h, s_s (r, "accepted_at"));
    tsg_html_raw (h, "</td><td>");
    const json_t *withheld = json_object_get (r, "withheld");
    if (json_is_object (withheld)) {
        const char *reason = s_s (withheld, "reason");
        tsg_html_raw (h, "<span class=\"badge warn withheld\">");
        tsg_html_text (h, L (ctx, "保留", "withheld"));
        tsg_html_raw (h, "</span> ");
        tsg_html_text (h, strcmp (reason, "revoked") == 0 ? L (ctx, "同意の撤回", "consent revoked")
                          : strcmp (reason, "expired") == 0
                              ? L (ctx, "同意の期限切れ", "consent expired")
                          : strcmp (reason, "succession") == 0
                              ? L (ctx, "紹介先が承継された", "recipient succeeded")
                              : reason);
    }
    else if (*s_s (r, "overdue")) {
        tsg_html_raw (h, "<span class=\"badge bad\">");
        tsg_html_text (h, strcmp (s_s (r, "overdue"), "received") == 0
                              ? L (ctx, "受付の期限超過", "late to receive")
                              : L (ctx, "回答の期限超過", "late to answer"));
        tsg_html_raw (h, "</span>");
    }
    tsg_html_raw (h, "</td></tr>");
}

static void
s_referrals (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *c)
{
    static const char *const heads_ja[] = {
        "送り手 → 受け手",     "状況",        "緊急度", "依頼日時",
        "受付期限 / 回答期限", "受付 / 受諾", "注意"
    };
    static const char *const heads_en[] = {
        "From → to",           "State", "Urgency", "Made", "Receive / answer by",
        "Received / accepted", "Flags"
    };
    tsg_html_raw (h, "<section class=\"panel wide\"><h2>");
    tsg_html_text (h, L (ctx, "つなぎ（紹介）", "Referrals"));
    tsg_html_raw (h, "</h2><table id=\"referrals\"><thead><tr>");
    for (size_t i = 0; i < 7; i++) {
        tsg_html_raw (h, "<th>");
        tsg_html_text (h, EN (ctx) ? heads_en[i] : heads_ja[i]);
        tsg_html_raw (h, "</th>");
    }
    tsg_html_raw (h, "</tr></thead><tbody>");
    size_t i;
    json_t *r;
    json_array_foreach (json_object_get (c, "referrals"), i, r) s_referral (ctx, h, r);
    tsg_html_raw (h, "</tbody></table></section>");
}

static void
s_meetings (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *c)
{
    const json_t *plan = json_object_get (c, "plan");
    tsg_html_raw (h, "<section class=\"panel\" id=\"roster\"><h2>");
    tsg_html_text (h, L (ctx, "会議の出席機関（直近）", "Latest meetings' attendees"));
    tsg_html_raw (h, "</h2><table><tbody>");
    const char *kind;
    json_t *list;
    json_object_foreach (json_object_get (c, "rosters"), kind, list)
    {
        tsg_html_raw (h, "<tr><th>");
        tsg_html_text (h, web_word (WEB_WORD_MEETING, kind, EN (ctx)));
        tsg_html_raw (h, "</th><td>");
        size_t i;
        json_t *a;
        json_array_foreach (list, i, a)
        {
            if (i)
                tsg_html_raw (h, "、");
            tsg_html_text (h, web_agency_name (ctx, json_string_value (a)));
        }
        tsg_html_raw (h, "</td></tr>");
    }
    if (json_object_size (json_object_get (c, "rosters")) == 0) {
        tsg_html_raw (h, "<tr><td class=\"muted\">");
        tsg_html_text (h, L (ctx, "会議の記録はまだありません", "No meeting recorded yet"));
        tsg_html_raw (h, "</td></tr>");
    }
    tsg_html_raw (h, "</tbody></table></section><section class=\"panel\" id=\"plan\"><h2>");
    tsg_html_text (h, L (ctx, "プランの役割分担", "The plan's roles"));
    tsg_html_raw (h, "</h2>");
    if (!json_is_object (plan)) {
        tsg_html_raw (h, "<p class=\"muted\">");
        tsg_html_text (h, L (ctx, "プランはまだありません", "No plan adopted yet"));
        tsg_html_raw (h, "</p></section>");
        return;
    }
    tsg_html_raw (h, "<table><tbody>");
    size_t i;
    json_t *role;
    json_array_foreach (json_object_get (plan, "roles"), i, role)
    {
        tsg_html_raw (h, "<tr><th>");
        tsg_html_text (h, web_agency_name (ctx, s_s (role, "agency")));
        tsg_html_raw (h, "</th><td>");
        tsg_html_text (h, s_s (role, "role"));
        tsg_html_raw (h, "</td></tr>");
    }
    tsg_html_raw (h, "</tbody></table><p>");
    tsg_html_text (h, L (ctx, "次回の見直し", "Next review"));
    tsg_html_raw (h, ": <strong id=\"next-review\">");
    tsg_html_text (h, *s_s (plan, "next_review_on") ? s_s (plan, "next_review_on") : "—");
    tsg_html_raw (h, "</strong>");
    if (json_is_true (json_object_get (c, "review_overdue"))) {
        tsg_html_raw (h, " <span class=\"badge warn\" id=\"review-overdue\">");
        tsg_html_text (h, L (ctx, "見直しの期日を過ぎています", "past its review date"));
        tsg_html_raw (h, "</span>");
    }
    tsg_html_raw (h, "</p></section>");
}

static void
s_consents (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *c)
{
    tsg_html_raw (h, "<section class=\"panel wide\" id=\"consents\"><h2>");
    tsg_html_text (h, L (ctx, "同意（仮名ID）", "Consents (pseudonymous ids)"));
    tsg_html_raw (h, "</h2><table><thead><tr><th>");
    tsg_html_text (h, L (ctx, "本人（仮名ID）", "Subject (pseudonym)"));
    tsg_html_raw (h, "</th><th>");
    tsg_html_text (h, L (ctx, "状態", "Status"));
    tsg_html_raw (h, "</th><th>");
    tsg_html_text (h, L (ctx, "対象の機関", "Covers"));
    tsg_html_raw (h, "</th><th>");
    tsg_html_text (h, L (ctx, "有効期間", "Valid"));
    tsg_html_raw (h, "</th></tr></thead><tbody>");
    size_t i;
    json_t *consent;
    json_array_foreach (json_object_get (c, "consents"), i, consent)
    {
        tsg_html_raw (h, "<tr><td class=\"id\">");
        tsg_html_text (h, s_s (consent, "subject"));
        tsg_html_raw (h, "</td><td>");
        tsg_html_text (h, web_word (WEB_WORD_CONSENT_STATUS, s_s (consent, "status"), EN (ctx)));
        const json_t *renewal = json_object_get (consent, "renewal");
        if (json_is_object (renewal)) { /* an agency it names was succeeded (組織改編) */
            tsg_html_raw (h, " <span class=\"badge warn renewal\">");
            tsg_html_text (h, L (ctx, "再取得が必要", "needs renewal"));
            tsg_html_raw (h, "</span> ");
            tsg_html_text (h, web_agency_name (ctx, s_s (renewal, "agency")));
            tsg_html_text (h, L (ctx, " に及ばない", " not covered"));
        }
        tsg_html_raw (h, "</td><td>");
        size_t j;
        json_t *a;
        json_array_foreach (json_object_get (consent, "cover_agencies"), j, a)
        {
            if (j)
                tsg_html_raw (h, "、");
            tsg_html_text (h, web_agency_name (ctx, json_string_value (a)));
        }
        json_array_foreach (json_object_get (consent, "cover_types"), j, a)
        {
            tsg_html_raw (h, " <span class=\"badge\">");
            tsg_html_text (h, web_word (WEB_WORD_AGENCY_TYPE, json_string_value (a), EN (ctx)));
            tsg_html_raw (h, "</span>");
        }
        tsg_html_raw (h, "</td><td>");
        tsg_html_text (h, s_s (consent, "valid_from"));
        tsg_html_raw (h, " – ");
        tsg_html_text (h, s_s (consent, "valid_until"));
        tsg_html_raw (h, "</td></tr>");
    }
    tsg_html_raw (h, "</tbody></table></section>");
}

/* One timeline entry. */
static void
s_event (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *ev)
{
    const char *type = s_s (ev, "type");
    tsg_html_raw (h, "<li data-event-type=\"");
    tsg_html_text (h, type);
    tsg_html_raw (h, "\"><time>");
    web_iso (h, s_s (ev, "at"));
    tsg_html_raw (h, "</time><div><strong>");
    tsg_html_text (h, web_word (WEB_WORD_EVENT, type, EN (ctx)));
    tsg_html_raw (h, "</strong> · ");
    tsg_html_text (h, web_agency_name (ctx, s_s (ev, "by")));
    bool opened = strcmp (type, "opened") == 0; /* its label says the state */
    if (*s_s (ev, "to") && !opened) {
        bool referral = strncmp (type, "referral", 8) == 0;
        web_word_kind_t kind = referral ? WEB_WORD_REF_STATE : WEB_WORD_CASE_STATE;
        tsg_html_raw (h, " · ");
        if (*s_s (ev, "from")) {
            tsg_html_text (h, web_word (kind, s_s (ev, "from"), EN (ctx)));
            tsg_html_raw (h, " → ");
        }
        tsg_html_text (h, web_word (kind, s_s (ev, "to"), EN (ctx)));
    }
    if (*s_s (ev, "agency") && strcmp (s_s (ev, "agency"), s_s (ev, "by")) != 0) {
        tsg_html_raw (h, " → ");
        tsg_html_text (h, web_agency_name (ctx, s_s (ev, "agency")));
    }
    const json_t *meeting = json_object_get (ev, "meeting");
    if (json_is_object (meeting)) {
        tsg_html_raw (h, " · ");
        tsg_html_text (h, web_word (WEB_WORD_MEETING, s_s (meeting, "kind"), EN (ctx)));
        tsg_html_raw (h, " ");
        tsg_html_text (h, s_s (meeting, "held_on"));
        tsg_html_raw (h, " · ");
        tsg_html_text (h, web_word (WEB_WORD_DECISION, s_s (meeting, "decision"), EN (ctx)));
    }
    const json_t *handover = json_object_get (ev, "handover");
    if (json_is_object (handover)) {
        /* 担当交代: the day and the staff codes the agency's own system assigns, no names. */
        tsg_html_raw (h, " · <span class=\"handover\">");
        tsg_html_text (h, L (ctx, "発効日 ", "effective "));
        tsg_html_text (h, s_s (handover, "effective_on"));
        tsg_html_raw (h, " · ");
        tsg_html_text (h, L (ctx, "担当者コード ", "staff code "));
        if (*s_s (handover, "previous_staff_code")) {
            tsg_html_raw (h, "<code class=\"staff-code\">");
            tsg_html_text (h, s_s (handover, "previous_staff_code"));
            tsg_html_raw (h, "</code> → ");
        }
        tsg_html_raw (h, "<code class=\"staff-code\">");
        tsg_html_text (h, s_s (handover, "staff_code"));
        tsg_html_raw (h, "</code></span>");
    }
    const json_t *succession = json_object_get (ev, "succession");
    if (json_is_object (succession)) {
        /* 組織改編: who took whose place, and the consents that do not extend to it. */
        tsg_html_raw (h, " · <span class=\"succession\">");
        tsg_html_text (h, web_agency_name (ctx, s_s (succession, "previous_agency")));
        tsg_html_raw (h, " → ");
        tsg_html_text (h, web_agency_name (ctx, s_s (succession, "agency")));
        tsg_html_raw (h, " · ");
        tsg_html_text (h, L (ctx, "発効日 ", "effective "));
        tsg_html_text (h, s_s (succession, "effective_on"));
        size_t renew = json_array_size (json_object_get (succession, "consents_to_renew"));
        if (renew)
            tsg_html_fmt (h, " · %s%zu", L (ctx, "同意の再取得が必要: ", "consents to renew: "),
                          renew);
        tsg_html_raw (h, "</span>");
    }
    if (*s_s (ev, "close_reason")) {
        tsg_html_raw (h, " · ");
        tsg_html_text (h, web_word (WEB_WORD_CLOSE_REASON, s_s (ev, "close_reason"), EN (ctx)));
    }
    if (*s_s (ev, "outcome")) {
        tsg_html_raw (h, " · ");
        tsg_html_text (h, s_s (ev, "outcome"));
    }
    tsg_html_fmt (h, " <span class=\"muted\">v%lld</span></div></li>",
                  (long long) json_integer_value (json_object_get (ev, "version")));
}

static void
s_timeline (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *c)
{
    tsg_html_raw (h, "<section class=\"panel wide\"><h2>");
    tsg_html_text (h, L (ctx, "経過（タイムライン）", "Timeline"));
    tsg_html_raw (h, "</h2><ol class=\"timeline\" id=\"timeline\">");
    size_t i;
    json_t *ev;
    json_array_foreach (json_object_get (c, "timeline"), i, ev) s_event (ctx, h, ev);
    tsg_html_raw (h, "</ol></section>");
}

/* The result of the last action, as the redirect after it says (?done= / ?error=). */
static void
s_flash (tsg_web_ctx_t *ctx, tsg_html_t *h)
{
    const char *done = web_arg (ctx, "done");
    const char *error = web_arg (ctx, "error");
    if (done) {
        tsg_html_raw (h, "<p id=\"flash\" class=\"flash\" role=\"status\">");
        tsg_html_text (h, L (ctx, "記録しました。", "Recorded."));
        tsg_html_raw (h, "</p>");
    }
    else if (error) {
        tsg_html_raw (h, "<p id=\"flash\" class=\"error\" role=\"alert\" data-error=\"");
        tsg_html_text (h, error);
        tsg_html_raw (h, "\">");
        tsg_html_text (h, web_case_event_error (error, EN (ctx)));
        tsg_html_raw (h, "</p>");
    }
}

void
web_page_case (tsg_web_ctx_t *ctx, const char *case_id)
{
    if (!tsg_uuid_valid (case_id)) {
        web_error (ctx, 404, "そのケースはありません。", "There is no such case.");
        return;
    }
    tsg_txn_t txn;
    tsg_txn_begin (ctx->web->config.store, &txn, false);
    json_t *c = txn.rc == TSG_OK ? tsg_hub_view_case (&txn, case_id, ctx->now_ms) : NULL;
    int rc = txn.rc;
    tsg_txn_abort (&txn);
    if (!c) {
        web_error (ctx, rc == TSG_OK ? 404 : 500, "そのケースはありません。",
                   "There is no such case.");
        return;
    }
    tsg_html_t h = { 0 };
    web_page_begin (ctx, &h, L (ctx, "ケース詳細", "Case"), WEB_NAV_CASES);
    tsg_html_raw (&h, "<h1>");
    tsg_html_text (&h, L (ctx, "ケース", "Case"));
    tsg_html_raw (&h, " <code id=\"case-id\">");
    tsg_html_text (&h, case_id);
    tsg_html_raw (&h, "</code></h1>");
    s_flash (ctx, &h);
    tsg_html_raw (&h, "<div class=\"grid\">");
    s_summary (ctx, &h, c);
    s_trajectory (ctx, &h, c);
    s_referrals (ctx, &h, c);
    s_meetings (ctx, &h, c);
    s_consents (ctx, &h, c);
    s_timeline (ctx, &h, c);
    if (tsg_hub_user_may (&ctx->user, TSG_HUB_ROLE_COORDINATOR))
        web_case_form (ctx, &h, c);
    tsg_html_raw (&h, "</div>");
    web_page_end (ctx, &h);
    json_decref (c);
    web_answer_html (ctx, 200, &h);
}
