/* frame.c — the dashboard's answers and the frame every page shares (web_parts.h): the security
 * headers, cookies, redirects, error pages, the header with the navigation, the language switch
 * and the logout form, and Japan-time dates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coordinator/model/views.h"
#include "coordinator/web/form.h"
#include "coordinator/web/web_parts.h"

/* Every page: no framing, no sniffing, no outside resource, no referrer to other sites.  The
 * pages use no inline script or style, so the policy allows none. */
static const char *s_security_headers[] = {
    "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
    "X-Frame-Options: DENY",
    "X-Content-Type-Options: nosniff",
    "Referrer-Policy: same-origin",
};

void
web_header (tsg_web_ctx_t *ctx, const char *line)
{
    tsg_html_raw (&ctx->headers, line);
    tsg_html_raw (&ctx->headers, "\n");
}

void
web_cookie (tsg_web_ctx_t *ctx, const char *name, const char *value, const char *path,
            long max_age_s)
{
    char line[512];
    char age[48] = "";
    if (max_age_s > 0)
        snprintf (age, sizeof age, "; Max-Age=%ld", max_age_s);
    else if (max_age_s < 0)
        snprintf (age, sizeof age, "; Max-Age=0");
    snprintf (line, sizeof line, "Set-Cookie: %s=%s; Path=%s%s; HttpOnly; SameSite=Strict%s", name,
              max_age_s < 0 ? "" : value, path, age, ctx->req->tls ? "; Secure" : "");
    web_header (ctx, line);
}

/* Hands the header lines over to the answer, with the security headers. */
static void
s_finish (tsg_web_ctx_t *ctx)
{
    for (size_t i = 0; i < sizeof s_security_headers / sizeof s_security_headers[0]; i++)
        web_header (ctx, s_security_headers[i]);
    ctx->res->headers = tsg_html_take (&ctx->headers, NULL);
}

void
web_answer_bytes (tsg_web_ctx_t *ctx, int status, const char *type, char *body, size_t len)
{
    ctx->res->status = body ? status : 500;
    ctx->res->content_type = body ? type : "text/plain; charset=utf-8";
    ctx->res->body = body ? body : strdup ("out of memory");
    ctx->res->body_len = body ? len : 0;
    s_finish (ctx);
}

void
web_answer_html (tsg_web_ctx_t *ctx, int status, tsg_html_t *h)
{
    size_t len = 0;
    char *body = tsg_html_take (h, &len);
    web_answer_bytes (ctx, status, "text/html; charset=utf-8", body, len);
}

bool
web_local_path (const char *target)
{
    if (!target || target[0] != '/' || target[1] == '/' || strlen (target) > 1024)
        return false;
    for (const unsigned char *c = (const unsigned char *) target; *c; c++)
        if (*c < 0x20 || *c == 0x7f || *c == '\\')
            return false;
    return true;
}

void
web_redirect (tsg_web_ctx_t *ctx, const char *location)
{
    char line[1200];
    snprintf (line, sizeof line, "Location: %s", web_local_path (location) ? location : "/");
    web_header (ctx, line);
    web_answer_bytes (ctx, 303, "text/plain; charset=utf-8", strdup (""), 0);
}

void
web_error (tsg_web_ctx_t *ctx, int status, const char *ja, const char *en)
{
    tsg_html_t h = { 0 };
    web_page_begin (ctx, &h, L (ctx, "エラー", "Error"), WEB_NAV_NONE);
    tsg_html_raw (&h, "<section class=\"panel\"><h1>");
    tsg_html_text (&h, L (ctx, "できませんでした", "That did not work"));
    tsg_html_raw (&h, "</h1><p id=\"error\" class=\"error\" role=\"alert\">");
    tsg_html_text (&h, L (ctx, ja, en));
    tsg_html_raw (&h, "</p><p><a href=\"/\">");
    tsg_html_text (&h, L (ctx, "概況へ戻る", "Back to the overview"));
    tsg_html_raw (&h, "</a></p></section>");
    web_page_end (ctx, &h);
    web_answer_html (ctx, status, &h);
}

const char *
web_arg (const tsg_web_ctx_t *ctx, const char *name)
{
    const char *value = tsg_http_arg (ctx->req, name);
    return value && *value ? value : NULL;
}

const char *
web_agency_name (tsg_web_ctx_t *ctx, const char *id)
{
    if (!id)
        return "";
    if (strcmp (id, TSG_COORDINATOR_ID) == 0) /* the coordinator's own staff, as agencies see it */
        return L (ctx, "コーディネーター", "the coordinator");
    if (!ctx->registry) {
        tsg_txn_t txn;
        tsg_txn_begin (ctx->web->config.store, &txn, false);
        ctx->registry = txn.rc == TSG_OK ? tsg_hub_view_agencies (&txn) : NULL;
        tsg_txn_abort (&txn);
    }
    size_t i;
    json_t *a;
    json_array_foreach (json_object_get (ctx->registry, "agencies"), i, a)
    {
        const char *aid = json_string_value (json_object_get (a, "id"));
        const char *name = json_string_value (json_object_get (a, "name"));
        if (aid && strcmp (aid, id) == 0)
            return name && *name ? name : id;
    }
    return id;
}

void
web_csrf_field (tsg_web_ctx_t *ctx, tsg_html_t *h)
{
    if (!ctx->session)
        return;
    tsg_html_raw (h, "<input type=\"hidden\" name=\"csrf\" value=\"");
    tsg_html_text (h, ctx->session->csrf);
    tsg_html_raw (h, "\">");
}

/* The broken-down Japan time of ms. */
static void
s_japan (uint64_t ms, struct tm *tm)
{
    time_t t = (time_t) (ms / 1000) + 9 * 3600;
    gmtime_r (&t, tm);
}

void
web_time (tsg_html_t *h, uint64_t ms)
{
    if (ms == 0) {
        tsg_html_raw (h, "—");
        return;
    }
    struct tm tm;
    s_japan (ms, &tm);
    tsg_html_fmt (h, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min);
}

void
web_date (tsg_html_t *h, uint64_t ms)
{
    if (ms == 0) {
        tsg_html_raw (h, "—");
        return;
    }
    struct tm tm;
    s_japan (ms, &tm);
    tsg_html_fmt (h, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

uint64_t
web_iso_ms (const char *iso)
{
    struct tm tm = { 0 };
    int ms = 0, used = 0;
    if (!iso
        || sscanf (iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used)
               != 6)
        return 0;
    if (iso[used] == '.')
        sscanf (iso + used + 1, "%3d", &ms);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm (&tm);
    return t > 0 ? (uint64_t) t * 1000 + (uint64_t) ms : 0;
}

void
web_iso (tsg_html_t *h, const char *iso)
{
    web_time (h, web_iso_ms (iso));
}

/* What the request was, path and query, for the language switch to come back to. */
static void
s_here (tsg_web_ctx_t *ctx, char *out, size_t size)
{
    const char *query[] = { "state", "agency",    "type", "tag",    "overdue", "withheld",
                            "stuck", "candidate", "sort", "cursor", "from",    "to" };
    int used = snprintf (out, size, "%s", ctx->req->path ? ctx->req->path : "/");
    char sep = '?';
    for (size_t i = 0; used >= 0 && (size_t) used < size && i < sizeof query / sizeof query[0];
         i++) {
        const char *value = web_arg (ctx, query[i]);
        char encoded[256];
        if (!value || !tsg_web_url_encode (value, encoded, sizeof encoded))
            continue;
        int n = snprintf (out + used, size - (size_t) used, "%c%s=%s", sep, query[i], encoded);
        if (n < 0 || (size_t) n >= size - (size_t) used) {
            out[used] = '\0'; /* what does not fit is left out */
            break;
        }
        used += n;
        sep = '&';
    }
}

/* One entry of the navigation. */
static void
s_nav_item (tsg_html_t *h, const char *href, const char *label, bool active)
{
    tsg_html_fmt (h, "<li><a href=\"%s\"%s>", href, active ? " aria-current=\"page\"" : "");
    tsg_html_text (h, label);
    tsg_html_raw (h, "</a></li>");
}

/* The header's right side: the user, the language switch, the logout form. */
static void
s_account (tsg_web_ctx_t *ctx, tsg_html_t *h)
{
    char here[1024], back[1100], href[1200];
    s_here (ctx, here, sizeof here);
    if (!tsg_web_url_encode (here, back, sizeof back))
        snprintf (back, sizeof back, "%%2F");
    snprintf (href, sizeof href, "/lang?to=%s&amp;back=%s", ctx->lang == TSG_WEB_EN ? "ja" : "en",
              back);
    tsg_html_raw (h, "<div class=\"account\">");
    if (ctx->session) {
        tsg_html_raw (h, "<span class=\"user\" id=\"user\">");
        tsg_html_text (h, ctx->session->user);
        tsg_html_raw (h, " (");
        tsg_html_text (h, tsg_hub_staff_role_name (ctx->user.role));
        tsg_html_raw (h, ")</span>");
    }
    tsg_html_fmt (h, "<a id=\"lang-switch\" href=\"%s\" lang=\"%s\">", href,
                  ctx->lang == TSG_WEB_EN ? "ja" : "en");
    tsg_html_text (h, ctx->lang == TSG_WEB_EN ? "日本語" : "English");
    tsg_html_raw (h, "</a>");
    if (ctx->session) {
        tsg_html_raw (h, "<form id=\"logout\" method=\"post\" action=\"/logout\">");
        web_csrf_field (ctx, h);
        tsg_html_raw (h, "<button type=\"submit\">");
        tsg_html_text (h, L (ctx, "ログアウト", "Log out"));
        tsg_html_raw (h, "</button></form>");
    }
    tsg_html_raw (h, "</div>");
}

void
web_page_begin (tsg_web_ctx_t *ctx, tsg_html_t *h, const char *title, web_nav_t nav)
{
    tsg_html_fmt (h, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">",
                  ctx->lang == TSG_WEB_EN ? "en" : "ja");
    tsg_html_raw (h, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                     "<title>");
    tsg_html_text (h, title);
    tsg_html_raw (h, " — ");
    tsg_html_text (h, L (ctx, "つなぐ 多機関協働", "tsunagu coordination"));
    tsg_html_fmt (h,
                  "</title><link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"%s\">"
                  "<script src=\"%s\" defer></script></head><body>",
                  web_asset_path ("app.css"), web_asset_path ("app.js"));
    tsg_html_raw (h, "<a class=\"skip\" href=\"#main\">");
    tsg_html_text (h, L (ctx, "本文へ移動", "Skip to content"));
    tsg_html_raw (h, "</a><header class=\"top\"><a class=\"brand\" href=\"/\">");
    tsg_html_text (h, L (ctx, "つなぐ 多機関協働", "tsunagu coordination"));
    tsg_html_raw (h, "</a>");
    if (ctx->session) {
        tsg_html_raw (h, "<nav id=\"nav\" aria-label=\"");
        tsg_html_text (h, L (ctx, "メニュー", "Menu"));
        tsg_html_raw (h, "\"><ul>");
        s_nav_item (h, "/", L (ctx, "概況", "Overview"), nav == WEB_NAV_OVERVIEW);
        s_nav_item (h, "/cases", L (ctx, "ケース一覧", "Cases"), nav == WEB_NAV_CASES);
        s_nav_item (h, "/agencies", L (ctx, "機関", "Agencies"), nav == WEB_NAV_AGENCIES);
        s_nav_item (h, "/reports", L (ctx, "実績・報告", "Reports"), nav == WEB_NAV_REPORTS);
        tsg_html_raw (h, "</ul></nav>");
    }
    s_account (ctx, h);
    tsg_html_raw (h, "</header><main id=\"main\" tabindex=\"-1\">");
}

void
web_page_end (tsg_web_ctx_t *ctx, tsg_html_t *h)
{
    tsg_html_raw (h, "</main><footer class=\"foot\"><p>");
    tsg_html_text (h, L (ctx,
                         "この画面は ID・状態・日付・件数だけを示します。世帯の個人情報は"
                         "コーディネーターに届きません。",
                         "This screen shows ids, states, dates and counts only: no household's "
                         "personal data ever reaches the coordinator."));
    tsg_html_raw (h, "</p></footer></body></html>\n");
}
