/* page_cases.c — ケース一覧: every case the coordinator tracks, filtered (state, agency, agency
 * type, tag, overdue, withheld, stuck, 会議候補, 担当交代あり), sorted and paged by the case
 * listing of model/cases.h, whose indices answer a page in milliseconds with a million cases.  The
 * filters are the query of the page, so a filtered list is a link staff can keep. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "coordinator/api/case_filter.h"
#include "coordinator/model/views.h"
#include "coordinator/web/form.h"
#include "coordinator/web/labels.h"
#include "coordinator/web/web_parts.h"

#define EN(ctx)    ((ctx)->lang == TSG_WEB_EN)
#define PAGE_CASES 50

/* tsg_hub_request_t.arg over the page's query. */
static const char *
s_query (void *cls, const char *name)
{
    return tsg_http_arg (cls, name);
}

/* A <select> of name with the "any" option and the codes of kind (labels in the page's
 * language), the one equal to current selected. */
static void
s_select_words (tsg_web_ctx_t *ctx, tsg_html_t *h, const char *name, const char *label,
                web_word_kind_t kind, const char *current)
{
    tsg_html_fmt (h, "<label>");
    tsg_html_text (h, label);
    tsg_html_fmt (h, "<select name=\"%s\"><option value=\"\">", name);
    tsg_html_text (h, L (ctx, "すべて", "Any"));
    tsg_html_raw (h, "</option>");
    for (const char *const *code = web_words (kind); *code; code++) {
        bool on = current && strcmp (current, *code) == 0;
        tsg_html_raw (h, "<option value=\"");
        tsg_html_text (h, *code);
        tsg_html_fmt (h, "\"%s>", on ? " selected" : "");
        tsg_html_text (h, web_word (kind, *code, EN (ctx)));
        tsg_html_raw (h, "</option>");
    }
    tsg_html_raw (h, "</select></label>");
}

static void
s_select_agency (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *agencies, const char *current)
{
    tsg_html_raw (h, "<label>");
    tsg_html_text (h, L (ctx, "機関", "Agency"));
    tsg_html_raw (h, "<select name=\"agency\"><option value=\"\">");
    tsg_html_text (h, L (ctx, "すべて", "Any"));
    tsg_html_raw (h, "</option>");
    size_t i;
    json_t *a;
    json_array_foreach ((json_t *) agencies, i, a)
    {
        const char *id = json_string_value (json_object_get (a, "id"));
        if (!id)
            continue;
        tsg_html_raw (h, "<option value=\"");
        tsg_html_text (h, id);
        tsg_html_fmt (h, "\"%s>", current && strcmp (current, id) == 0 ? " selected" : "");
        tsg_html_text (h, web_agency_name (ctx, id));
        tsg_html_raw (h, "</option>");
    }
    tsg_html_raw (h, "</select></label>");
}

static void
s_check (tsg_html_t *h, const char *name, const char *label, bool on)
{
    tsg_html_fmt (h, "<label class=\"check\"><input type=\"checkbox\" name=\"%s\" value=\"1\"%s>",
                  name, on ? " checked" : "");
    tsg_html_text (h, label);
    tsg_html_raw (h, "</label>");
}

static void
s_filters (tsg_web_ctx_t *ctx, tsg_html_t *h, const tsg_hub_case_filter_t *f,
           const json_t *agencies)
{
    tsg_html_raw (h, "<section class=\"panel\"><form id=\"case-filter\" class=\"filters\" "
                     "method=\"get\" action=\"/cases\">");
    s_select_words (ctx, h, "state", L (ctx, "状態", "State"), WEB_WORD_CASE_STATE, f->state);
    s_select_agency (ctx, h, agencies, f->agency);
    s_select_words (ctx, h, "type", L (ctx, "機関の種別", "Agency type"), WEB_WORD_AGENCY_TYPE,
                    f->agency_type);
    tsg_html_raw (h, "<label>");
    tsg_html_text (h, L (ctx, "タグ", "Tag"));
    tsg_html_raw (h, "<input name=\"tag\" size=\"12\" maxlength=\"64\" value=\"");
    tsg_html_text (h, f->tag ? f->tag : "");
    tsg_html_raw (h, "\"></label><label>");
    tsg_html_text (h, L (ctx, "変化のない日数（以上）", "Unchanged for (days)"));
    tsg_html_raw (h, "<input name=\"stuck\" type=\"number\" min=\"1\" max=\"36500\" size=\"5\" "
                     "value=\"");
    if (f->stuck_days)
        tsg_html_u64 (h, f->stuck_days);
    tsg_html_raw (h, "\"></label>");
    s_check (h, "overdue", L (ctx, "期限超過", "Overdue"), f->overdue);
    s_check (h, "withheld", L (ctx, "保留あり", "Withheld"), f->withheld);
    s_check (h, "candidate", L (ctx, "会議候補", "Meeting candidates"), f->candidate);
    s_check (h, "handed_over", L (ctx, "担当交代あり", "Handed over since last review"),
             f->handed_over);
    static const char *const sorts[] = { "-updated", "updated", "-created", "id" };
    const char *sort_labels_ja[] = { "更新が新しい順", "変化のない期間が長い順", "新しいケース順",
                                     "ID順" };
    const char *sort_labels_en[] = { "Latest change first", "Longest unchanged first",
                                     "Newest case first", "By id" };
    const char *current = tsg_hub_case_sort_name (f->sort);
    tsg_html_raw (h, "<label>");
    tsg_html_text (h, L (ctx, "並び順", "Sort"));
    tsg_html_raw (h, "<select name=\"sort\">");
    for (size_t i = 0; i < 4; i++) {
        tsg_html_fmt (h, "<option value=\"%s\"%s>", sorts[i],
                      current && strcmp (current, sorts[i]) == 0 ? " selected" : "");
        tsg_html_text (h, EN (ctx) ? sort_labels_en[i] : sort_labels_ja[i]);
        tsg_html_raw (h, "</option>");
    }
    tsg_html_raw (h, "</select></label><button type=\"submit\">");
    tsg_html_text (h, L (ctx, "表示", "Show"));
    tsg_html_raw (h, "</button><a class=\"button secondary\" href=\"/cases\">");
    tsg_html_text (h, L (ctx, "条件を消す", "Clear"));
    tsg_html_raw (h, "</a></form></section>");
}

/* One row of the list. */
static void
s_row (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *c)
{
    const char *id = json_string_value (json_object_get (c, "case_id"));
    const char *state = json_string_value (json_object_get (c, "state"));
    tsg_html_raw (h, "<tr data-case-id=\"");
    tsg_html_text (h, id);
    tsg_html_raw (h, "\"><td><a class=\"id case-link\" href=\"/cases/");
    tsg_html_text (h, id);
    tsg_html_raw (h, "\">");
    tsg_html_bytes (h, id ? id : "", id && strlen (id) >= 8 ? 8 : 0);
    tsg_html_raw (h, "…</a></td><td><span class=\"badge info\">");
    tsg_html_text (h, web_word (WEB_WORD_CASE_STATE, state, EN (ctx)));
    tsg_html_raw (h, "</span></td><td>");
    size_t i;
    json_t *a;
    json_array_foreach (json_object_get (c, "agencies"), i, a)
    {
        if (i)
            tsg_html_raw (h, "、");
        tsg_html_text (h, web_agency_name (ctx, json_string_value (a)));
    }
    tsg_html_raw (h, "</td><td>");
    json_array_foreach (json_object_get (c, "tags"), i, a)
    {
        tsg_html_raw (h, "<span class=\"badge\">");
        tsg_html_text (h, json_string_value (a));
        tsg_html_raw (h, "</span> ");
    }
    tsg_html_raw (h, "</td><td>");
    web_iso (h, json_string_value (json_object_get (c, "updated_at")));
    json_int_t stuck = json_integer_value (json_object_get (c, "stuck_days"));
    if (stuck > 0)
        tsg_html_fmt (h, "<br><span class=\"muted\">%lld%s</span>", (long long) stuck,
                      L (ctx, "日変化なし", " days unchanged"));
    tsg_html_raw (h, "</td><td>");
    if (json_is_true (json_object_get (c, "overdue"))) {
        tsg_html_raw (h, "<span class=\"badge bad\">");
        tsg_html_text (h, L (ctx, "期限超過", "overdue"));
        tsg_html_raw (h, "</span> ");
    }
    if (json_integer_value (json_object_get (c, "withheld")) > 0) {
        tsg_html_raw (h, "<span class=\"badge warn\">");
        tsg_html_text (h, L (ctx, "保留あり", "withheld"));
        tsg_html_raw (h, "</span> ");
    }
    if (json_is_true (json_object_get (c, "review_overdue"))) {
        tsg_html_raw (h, "<span class=\"badge warn\">");
        tsg_html_text (h, L (ctx, "見直し期限切れ", "review due"));
        tsg_html_raw (h, "</span> ");
    }
    if (json_is_true (json_object_get (c, "handed_over"))) {
        /* 担当交代 since the last meeting or plan: the day it took effect, no names. */
        const json_t *last = json_object_get (c, "last_handover");
        const char *on = json_string_value (json_object_get (last, "effective_on"));
        tsg_html_raw (h, "<span class=\"badge warn handed-over\" title=\"");
        tsg_html_text (h,
                       web_agency_name (ctx, json_string_value (json_object_get (last, "agency"))));
        tsg_html_raw (h, "\">");
        tsg_html_text (h, L (ctx, "担当交代あり", "handed over"));
        if (on) {
            tsg_html_raw (h, " ");
            tsg_html_text (h, on);
        }
        tsg_html_raw (h, "</span> ");
    }
    if (json_is_true (json_object_get (c, "candidate"))) {
        tsg_html_raw (h, "<span class=\"badge info\" title=\"");
        json_array_foreach (json_object_get (c, "candidate_why"), i, a)
        {
            const char *why = json_string_value (a);
            if (i)
                tsg_html_raw (h, ", ");
            tsg_html_text (h, !why                            ? ""
                              : strcmp (why, "agencies") == 0 ? L (ctx, "3機関以上", "3+ agencies")
                              : strcmp (why, "stuck") == 0    ? L (ctx, "停滞", "stuck")
                                                              : L (ctx, "再開", "reopened"));
        }
        tsg_html_raw (h, "\">");
        tsg_html_text (h, L (ctx, "会議候補", "meeting candidate"));
        tsg_html_raw (h, "</span>");
    }
    tsg_html_raw (h, "</td></tr>");
}

/* The link to the next page: the same query with cursor. */
static void
s_next (tsg_web_ctx_t *ctx, tsg_html_t *h, const char *cursor)
{
    static const char *const keep[] = { "state",   "agency",   "type",      "tag",         "stuck",
                                        "overdue", "withheld", "candidate", "handed_over", "sort" };
    tsg_html_raw (h, "<a id=\"next-page\" class=\"button secondary\" href=\"/cases?");
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        const char *value = web_arg (ctx, keep[i]);
        char encoded[300];
        if (value && tsg_web_url_encode (value, encoded, sizeof encoded)) {
            tsg_html_fmt (h, "%s=", keep[i]);
            tsg_html_text (h, encoded);
            tsg_html_raw (h, "&amp;");
        }
    }
    char encoded[600];
    if (tsg_web_url_encode (cursor, encoded, sizeof encoded)) {
        tsg_html_raw (h, "cursor=");
        tsg_html_text (h, encoded);
    }
    tsg_html_raw (h, "\">");
    tsg_html_text (h, L (ctx, "次のページ →", "Next page →"));
    tsg_html_raw (h, "</a>");
}

static void
s_table (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *list)
{
    const json_t *cases = json_object_get (list, "cases");
    tsg_html_raw (h, "<section class=\"panel\"><table id=\"case-list\"><thead><tr><th>");
    tsg_html_text (h, L (ctx, "ケース", "Case"));
    tsg_html_raw (h, "</th><th>");
    tsg_html_text (h, L (ctx, "状態", "State"));
    tsg_html_raw (h, "</th><th>");
    tsg_html_text (h, L (ctx, "関わる機関", "Agencies"));
    tsg_html_raw (h, "</th><th>");
    tsg_html_text (h, L (ctx, "タグ", "Tags"));
    tsg_html_raw (h, "</th><th>");
    tsg_html_text (h, L (ctx, "最終更新", "Last change"));
    tsg_html_raw (h, "</th><th>");
    tsg_html_text (h, L (ctx, "注意", "Flags"));
    tsg_html_raw (h, "</th></tr></thead><tbody>");
    size_t i;
    json_t *c;
    json_array_foreach ((json_t *) cases, i, c) s_row (ctx, h, c);
    if (json_array_size (cases) == 0) {
        tsg_html_raw (h, "<tr><td colspan=\"6\" class=\"muted\" id=\"no-cases\">");
        tsg_html_text (h, L (ctx, "条件に合うケースはありません", "No case matches"));
        tsg_html_raw (h, "</td></tr>");
    }
    tsg_html_raw (h, "</tbody></table><div class=\"pager\">");
    tsg_html_fmt (h, "<span class=\"muted\" id=\"case-count\">%zu %s</span>",
                  json_array_size (cases), L (ctx, "件を表示", "shown"));
    if (json_is_true (json_object_get (list, "partial"))) {
        tsg_html_raw (h, "<span class=\"muted\">");
        tsg_html_text (h, L (ctx, "（検索の途中です。次のページで続きを探します）",
                             "(the search stopped part way: the next page goes on)"));
        tsg_html_raw (h, "</span>");
    }
    const char *cursor = json_string_value (json_object_get (list, "next_cursor"));
    if (cursor)
        s_next (ctx, h, cursor);
    tsg_html_raw (h, "</div></section>");
}

void
web_page_cases (tsg_web_ctx_t *ctx)
{
    tsg_hub_request_t request = { .method = "GET", .arg = s_query, .arg_cls = (void *) ctx->req };
    tsg_hub_case_filter_t filter = { .sort = TSG_HUB_CASE_SORT_UPDATED_DESC };
    const char *problem = tsg_hub_api_case_filter (&request, &filter);
    if (problem) {
        web_error (ctx, 400, "検索の条件を読めませんでした。", problem);
        return;
    }
    filter.limit = PAGE_CASES;
    filter.now_ms = ctx->now_ms;
    tsg_txn_t txn;
    tsg_txn_begin (ctx->web->config.store, &txn, false);
    json_t *list = txn.rc == TSG_OK ? tsg_hub_view_cases (&txn, &filter) : NULL;
    json_t *registry = txn.rc == TSG_OK ? tsg_hub_view_agencies (&txn) : NULL;
    tsg_txn_abort (&txn);
    if (!list || !registry) {
        json_decref (list);
        json_decref (registry);
        web_error (ctx, 500, "ケースを読めませんでした。", "The cases could not be read.");
        return;
    }
    const json_t *agencies = json_object_get (registry, "agencies");
    tsg_html_t h = { 0 };
    web_page_begin (ctx, &h, L (ctx, "ケース一覧", "Cases"), WEB_NAV_CASES);
    tsg_html_raw (&h, "<h1>");
    tsg_html_text (&h, L (ctx, "ケース一覧", "Cases"));
    tsg_html_raw (&h, "</h1><p class=\"muted\">");
    tsg_html_text (&h, L (ctx,
                          "会議候補：3機関以上が関わる、30日以上変化がない、または再開されたケース"
                          "（重層的支援会議・支援会議での検討の目安）。",
                          "Meeting candidates: three or more agencies, unchanged for 30 days, or "
                          "reopened — households a jūsōteki or shien meeting should discuss."));
    tsg_html_raw (&h, "</p>");
    s_filters (ctx, &h, &filter, agencies);
    s_table (ctx, &h, list);
    web_page_end (ctx, &h);
    json_decref (list);
    json_decref (registry);
    web_answer_html (ctx, 200, &h);
}
