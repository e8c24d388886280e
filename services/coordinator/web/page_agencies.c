/* page_agencies.c — 機関: each registered agency's status, type, response due days, whether it
 * is connected and when it was last seen, the letters waiting for it, and the letters of its
 * refused since the coordinator started, by reason (a system that keeps sending what is
 * refused shows here first). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "coordinator/api/overview.h"
#include "coordinator/model/rotation.h"
#include "coordinator/web/labels.h"
#include "coordinator/web/web_parts.h"

#define EN(ctx) ((ctx)->lang == TSG_WEB_EN)

static const char *
s_s (const json_t *o, const char *name)
{
    const char *v = json_string_value (json_object_get (o, name));
    return v ? v : "";
}

/* The refusals of agency by reason, as "code ×n" badges. */
static void
s_refusals (tsg_web_ctx_t *ctx, tsg_html_t *h, const char *agency)
{
    const tsg_hub_intake_t *intake = ctx->web->config.api->intake;
    uint64_t refused[TSG_HUB_ERROR_CODES] = { 0 };
    if (intake)
        tsg_hub_intake_refusals_of (intake, agency, refused);
    bool any = false;
    for (unsigned code = 1; code < TSG_HUB_ERROR_CODES; code++) {
        if (!refused[code])
            continue;
        any = true;
        tsg_html_raw (h, "<span class=\"badge warn\">");
        tsg_html_text (h, tsg_error_code_name ((Tsunagu__V1__ErrorCode) code));
        tsg_html_fmt (h, " ×%llu</span> ", (unsigned long long) refused[code]);
    }
    if (!any)
        tsg_html_raw (h, "<span class=\"muted\">0</span>");
}

static void
s_row (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *a)
{
    const char *id = s_s (a, "id");
    const char *status = s_s (a, "status");
    bool online = json_is_true (json_object_get (a, "online"));
    tsg_html_raw (h, "<tr data-agency-id=\"");
    tsg_html_text (h, id);
    tsg_html_raw (h, "\"><td><a href=\"/cases?agency=");
    tsg_html_text (h, id);
    tsg_html_raw (h, "\">");
    tsg_html_text (h, *s_s (a, "name") ? s_s (a, "name") : id);
    tsg_html_raw (h, "</a><br><code>");
    tsg_html_text (h, id);
    tsg_html_raw (h, "</code></td><td>");
    tsg_html_text (h, web_word (WEB_WORD_AGENCY_TYPE, s_s (a, "type"), EN (ctx)));
    tsg_html_fmt (h, "</td><td><span class=\"badge %s\">",
                  strcmp (status, "active") == 0 ? "good" : "bad");
    tsg_html_text (h, web_word (WEB_WORD_AGENCY_STATUS, status, EN (ctx)));
    const char *successor = s_s (a, "succeeded_by");
    if (*successor) { /* 組織改編: its cases went to its successor */
        tsg_html_raw (h, "</span> <span class=\"succeeded-by\">");
        tsg_html_text (h, L (ctx, "承継先: ", "succeeded by "));
        tsg_html_raw (h, "<a href=\"/cases?agency=");
        tsg_html_text (h, successor);
        tsg_html_raw (h, "\">");
        tsg_html_text (h, successor);
        tsg_html_raw (h, "</a>");
    }
    tsg_html_fmt (h, "</span></td><td class=\"num\">%lld / %lld</td>",
                  (long long) json_integer_value (json_object_get (a, "receive_due_days")),
                  (long long) json_integer_value (json_object_get (a, "response_due_days")));
    tsg_html_fmt (h, "<td><span class=\"badge %s\">", online ? "good" : "warn");
    tsg_html_text (h, online ? L (ctx, "接続中", "online") : L (ctx, "未接続", "offline"));
    tsg_html_raw (h, "</span></td><td>");
    web_iso (h, s_s (a, "last_seen"));
    tsg_html_fmt (h, "</td><td class=\"num\">%lld</td><td>",
                  (long long) json_integer_value (json_object_get (a, "mailbox_depth")));
    s_refusals (ctx, h, id);
    tsg_html_raw (h, "</td></tr>");
}

/* While the coordinator hands over to new keys (tsunaguctl rotate-keys): when it switches at
 * the latest, and the active agencies that do not hold the new keys yet (they would need a
 * new bundle after the switch). */
static void
s_key_rotation (tsg_web_ctx_t *ctx, tsg_html_t *h, const tsg_hub_rotation_t *r, const json_t *ov)
{
    if (r->state != TSG_HUB_ROTATION_ANNOUNCED)
        return;
    char until[32];
    tsg_iso8601 (r->switch_by_ms, until);
    tsg_html_raw (h, "<section class=\"panel\" id=\"key-rotation\"><p><span class=\"badge "
                     "warn\">");
    tsg_html_text (h, L (ctx, "鍵の更新中", "Key rotation"));
    tsg_html_raw (h, "</span> ");
    tsg_html_text (
        h, L (ctx, "コーディネーターは新しい鍵へ移行中です。全機関が受け取った時点、遅くとも ",
              "The coordinator hands over to new keys. It switches once every agency "
              "holds them, at the latest on "));
    web_iso (h, until);
    tsg_html_text (h, L (ctx, " に切り替わります。", "."));
    size_t i, missing = 0;
    json_t *a;
    json_array_foreach (json_object_get (ov, "agencies"), i, a)
    {
        if (strcmp (s_s (a, "status"), "active") != 0
            || json_is_true (json_object_get (a, "holds_next_keys")))
            continue;
        if (missing++ == 0) {
            tsg_html_raw (h, "<br>");
            tsg_html_text (h, L (ctx, "未受領の機関: ", "Not yet holding them: "));
        }
        else
            tsg_html_raw (h, "、");
        tsg_html_text (h, *s_s (a, "name") ? s_s (a, "name") : s_s (a, "id"));
    }
    if (missing > 0)
        tsg_html_text (h,
                       L (ctx, "（切替までに接続しない機関は、agency.conf に新しい鍵が必要です）",
                          " (one that does not connect before the switch needs the new keys "
                          "in its agency.conf)"));
    tsg_html_raw (h, "</p></section>");
}

void
web_page_agencies (tsg_web_ctx_t *ctx)
{
    tsg_txn_t txn;
    tsg_txn_begin (ctx->web->config.store, &txn, false);
    json_t *ov = txn.rc == TSG_OK ? tsg_hub_api_agencies_live (ctx->web->config.api, &txn) : NULL;
    tsg_hub_rotation_t rotation;
    if (!tsg_hub_rotation_get (&txn, &rotation))
        rotation.state = TSG_HUB_ROTATION_NONE;
    tsg_txn_abort (&txn);
    if (!ov) {
        web_error (ctx, 500, "機関を読めませんでした。", "The agencies could not be read.");
        return;
    }
    static const char *const heads_ja[] = {
        "機関", "種別",     "登録",   "受付 / 回答の期限（日）",
        "接続", "最終確認", "未配達", "拒否した送付（理由別）"
    };
    static const char *const heads_en[] = { "Agency",       "Type",
                                            "Registration", "Receive / answer due (days)",
                                            "Online",       "Last seen",
                                            "Waiting",      "Letters refused, by reason" };
    tsg_html_t h = { 0 };
    web_page_begin (ctx, &h, L (ctx, "機関", "Agencies"), WEB_NAV_AGENCIES);
    tsg_html_raw (&h, "<h1>");
    tsg_html_text (&h, L (ctx, "機関", "Agencies"));
    tsg_html_raw (&h, "</h1>");
    s_key_rotation (ctx, &h, &rotation, ov);
    tsg_html_raw (&h, "<section class=\"panel\"><table id=\"agencies\"><thead><tr>");
    for (size_t i = 0; i < 8; i++) {
        tsg_html_fmt (&h, "<th%s>", i == 3 || i == 6 ? " class=\"num\"" : "");
        tsg_html_text (&h, EN (ctx) ? heads_en[i] : heads_ja[i]);
        tsg_html_raw (&h, "</th>");
    }
    tsg_html_raw (&h, "</tr></thead><tbody>");
    size_t i;
    json_t *a;
    json_array_foreach (json_object_get (ov, "agencies"), i, a) s_row (ctx, &h, a);
    tsg_html_raw (&h, "</tbody></table><p class=\"muted\">");
    tsg_html_text (&h, L (ctx,
                          "拒否の件数はコーディネーターの起動からの数です。登録の変更は管理者が "
                          "tsunaguctl agency で行います。",
                          "Refusals are counted since the coordinator started. Administrators "
                          "change registrations with tsunaguctl agency."));
    tsg_html_raw (&h, "</p></section>");
    web_page_end (ctx, &h);
    json_decref (ov);
    web_answer_html (ctx, 200, &h);
}
