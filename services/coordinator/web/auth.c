/* auth.c — who is asking (web_parts.h): the login page and its form, the session of each
 * request, the CSRF token of each form, logout, and the audit of every login, failure, lock and
 * logout with the user's name.
 *
 * The login form carries a token of its own (the tsunagu_login cookie, doubled in a hidden
 * field), so a page elsewhere cannot log a browser in under another account.  A wrong name and
 * a wrong password get the same answer and cost the same time (users.h: the dummy hash).  The
 * guard (guard.h) says how often a password may be tried. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/web/form.h"
#include "coordinator/web/web_parts.h"

void
web_audit (tsg_web_ctx_t *ctx, const char *event, const char *user, json_t *details)
{
    tsg_hub_audit_t *audit = ctx->web->config.audit;
    char address[64];
    tsg_http_client_address (ctx->req, address, sizeof address);
    if (!details)
        details = json_object ();
    if (details) {
        json_object_set_new (details, "user", json_string (user ? user : ""));
        json_object_set_new (details, "address", json_string (address));
        json_object_set_new (details, "via", json_string ("dashboard"));
    }
    if (!audit) {
        json_decref (details);
        return;
    }
    tsg_hub_audit_add (audit, event, NULL, NULL, NULL, NULL, details);
    tsg_txn_t txn;
    tsg_txn_begin (ctx->web->config.store, &txn, true);
    int rc = tsg_hub_audit_commit (audit, &txn);
    if (rc != TSG_OK)
        log_warnx ("web: the %s of %s could not be audited: %s", event, user ? user : "?",
                   tsg_strerror (rc));
}

bool
web_auth_session (tsg_web_ctx_t *ctx)
{
    const char *cookie = tsg_http_cookie (ctx->req, TSG_WEB_COOKIE_SESSION);
    const tsg_web_session_t *session =
        cookie ? tsg_web_sessions_find (ctx->web->sessions, cookie, ctx->mono_ms) : NULL;
    if (!session)
        return false;
    tsg_txn_t txn;
    tsg_txn_begin (ctx->web->config.store, &txn, false);
    bool found = txn.rc == TSG_OK && tsg_hub_user_get (&txn, session->user, &ctx->user);
    tsg_txn_abort (&txn);
    /* The account decides at every request: disabled, removed or a new password ends it. */
    if (!found || ctx->user.disabled || ctx->user.password_at_ms > session->started_wall_ms) {
        /* The name lives in the slot end_user wipes: every session of it ends, from a copy. */
        char user[TSG_WEB_USER_SIZE];
        snprintf (user, sizeof user, "%s", session->user);
        log_info ("web: the sessions of %s end: its account %s", user,
                  !found               ? "is gone"
                  : ctx->user.disabled ? "is disabled"
                                       : "has a new password");
        tsg_web_sessions_end_user (ctx->web->sessions, user);
        memset (&ctx->user, 0, sizeof ctx->user);
        return false;
    }
    ctx->session = session;
    snprintf (ctx->cookie, sizeof ctx->cookie, "%s", cookie);
    return true;
}

bool
web_auth_csrf (tsg_web_ctx_t *ctx, const char *token)
{
    if (ctx->session && tsg_web_token_equal (token, ctx->session->csrf))
        return true;
    ctx->web->counters.csrf_refused++;
    web_error (ctx, 403,
               "この操作はこの画面からのものと確認できませんでした。画面を読み込み直してください。",
               "This form could not be confirmed as coming from this dashboard. Reload the "
               "page and try again.");
    return false;
}

/* The login page, with message (ja, en; NULL for none) above the form. */
static void
s_login_form (tsg_web_ctx_t *ctx, int status, const char *ja, const char *en, const char *name)
{
    char token[TSG_WEB_TOKEN_SIZE];
    if (!tsg_web_token_new (token)) {
        web_answer_bytes (ctx, 500, "text/plain; charset=utf-8", NULL, 0);
        return;
    }
    web_cookie (ctx, TSG_WEB_COOKIE_LOGIN, token, "/login", 3600);
    const char *next = web_arg (ctx, "next");
    tsg_html_t h = { 0 };
    web_page_begin (ctx, &h, L (ctx, "ログイン", "Log in"), WEB_NAV_NONE);
    tsg_html_raw (&h, "<section class=\"panel login\"><h1>");
    tsg_html_text (&h, L (ctx, "職員ログイン", "Staff login"));
    tsg_html_raw (&h, "</h1>");
    if (ja) {
        tsg_html_raw (&h, "<p id=\"login-error\" class=\"error\" role=\"alert\">");
        tsg_html_text (&h, L (ctx, ja, en));
        tsg_html_raw (&h, "</p>");
    }
    tsg_html_raw (&h, "<form id=\"login\" method=\"post\" action=\"/login");
    if (next && web_local_path (next)) {
        char encoded[1200];
        if (tsg_web_url_encode (next, encoded, sizeof encoded)) {
            tsg_html_raw (&h, "?next=");
            tsg_html_text (&h, encoded);
        }
    }
    tsg_html_raw (&h, "\"><input type=\"hidden\" name=\"csrf\" value=\"");
    tsg_html_text (&h, token);
    tsg_html_raw (&h, "\"><label for=\"name\">");
    tsg_html_text (&h, L (ctx, "ユーザー名", "User name"));
    tsg_html_raw (&h, "</label><input id=\"name\" name=\"name\" autocomplete=\"username\" "
                      "required autofocus maxlength=\"32\" value=\"");
    tsg_html_text (&h, name ? name : "");
    tsg_html_raw (&h, "\"><label for=\"password\">");
    tsg_html_text (&h, L (ctx, "パスワード", "Password"));
    tsg_html_raw (&h, "</label><input id=\"password\" name=\"password\" type=\"password\" "
                      "autocomplete=\"current-password\" required maxlength=\"128\">"
                      "<button type=\"submit\">");
    tsg_html_text (&h, L (ctx, "ログイン", "Log in"));
    tsg_html_raw (&h, "</button></form><p class=\"hint\">");
    tsg_html_text (&h, L (ctx, "アカウントは管理者が tsunaguctl user add で作成します。",
                          "Accounts are made by an administrator with tsunaguctl user add."));
    tsg_html_raw (&h, "</p></section>");
    web_page_end (ctx, &h);
    web_answer_html (ctx, status, &h);
}

void
web_login_page (tsg_web_ctx_t *ctx)
{
    if (web_auth_session (ctx)) {
        const char *next = web_arg (ctx, "next");
        web_redirect (ctx, next && web_local_path (next) ? next : "/");
        return;
    }
    s_login_form (ctx, 200, NULL, NULL, NULL);
}

/* Answers a login the guard refused: locked (wait_s seconds) or busy. */
static void
s_refused (tsg_web_ctx_t *ctx, tsg_web_guard_verdict_t verdict, unsigned wait_s, const char *name)
{
    char ja[256], en[256], retry[48];
    ctx->web->counters.login_locked++;
    if (verdict == TSG_WEB_GUARD_LOCKED) {
        snprintf (
            ja, sizeof ja,
            "ログインの失敗が続いたため、ロックされています。約 %u 秒後にもう一度お試しください。",
            wait_s);
        snprintf (en, sizeof en,
                  "Locked after repeated failed logins: try again in about %u seconds.", wait_s);
    }
    else {
        snprintf (ja, sizeof ja, "ログインが混み合っています。少し待ってからお試しください。");
        snprintf (en, sizeof en, "Too many logins at once: try again in a moment.");
    }
    snprintf (retry, sizeof retry, "Retry-After: %u", wait_s ? wait_s : 1);
    web_header (ctx, retry);
    s_login_form (ctx, 429, ja, en, name);
}

/* Starts the session of user and goes on to where the login was asked for. */
static void
s_logged_in (tsg_web_ctx_t *ctx, const tsg_hub_user_t *user)
{
    char cookie[TSG_WEB_TOKEN_SIZE];
    const tsg_web_session_t *session = tsg_web_sessions_start (
        ctx->web->sessions, user->name, (int) user->role, ctx->mono_ms, ctx->now_ms, cookie);
    if (!session) {
        web_error (ctx, 500, "ログインを始められませんでした。", "The login could not start.");
        return;
    }
    ctx->web->counters.logins++;
    tsg_web_guard_succeeded (ctx->web->guard, user->name);
    web_audit (ctx, "staff-login", user->name,
               json_pack ("{s:s}", "role", tsg_hub_staff_role_name (user->role)));
    log_info ("web: %s logged in", user->name);
    web_cookie (ctx, TSG_WEB_COOKIE_SESSION, cookie, "/", 0);
    web_cookie (ctx, TSG_WEB_COOKIE_LOGIN, "", "/login", -1);
    sodium_memzero (cookie, sizeof cookie);
    const char *next = web_arg (ctx, "next");
    web_redirect (ctx, next && web_local_path (next) ? next : "/");
}

void
web_login_post (tsg_web_ctx_t *ctx)
{
    tsg_web_form_t form;
    if (ctx->req->too_large || !tsg_web_form_parse (&form, ctx->req->body, ctx->req->body_len)) {
        s_login_form (ctx, 400, "入力を読めませんでした。", "The form could not be read.", NULL);
        return;
    }
    const char *token = tsg_web_form_get (&form, "csrf");
    const char *name = tsg_web_form_get (&form, "name");
    const char *password = tsg_web_form_get (&form, "password");
    const char *cookie = tsg_http_cookie (ctx->req, TSG_WEB_COOKIE_LOGIN);
    if (!tsg_web_token_equal (token, cookie)) {
        ctx->web->counters.csrf_refused++;
        s_login_form (ctx, 403, "画面の有効期限が切れました。もう一度ログインしてください。",
                      "This login form has expired: please log in again.", NULL);
        tsg_web_form_free (&form);
        return;
    }
    char shown[TSG_HUB_USER_NAME_MAX + 1] = "";
    if (name && tsg_hub_user_name_ok (name))
        snprintf (shown, sizeof shown, "%s", name);
    char address[64];
    tsg_http_client_address (ctx->req, address, sizeof address);
    unsigned wait_s = 0;
    tsg_web_guard_verdict_t verdict =
        tsg_web_guard_ask (ctx->web->guard, shown, address, ctx->mono_ms, &wait_s);
    if (verdict != TSG_WEB_GUARD_TRY) {
        s_refused (ctx, verdict, wait_s, shown);
        tsg_web_form_free (&form);
        return;
    }
    tsg_hub_user_t user;
    tsg_txn_t txn;
    tsg_txn_begin (ctx->web->config.store, &txn, false);
    bool found = shown[0] && txn.rc == TSG_OK && tsg_hub_user_get (&txn, shown, &user);
    tsg_txn_abort (&txn);
    bool ok = false;
    if (found && password)
        ok = tsg_hub_user_password_matches (&user, password) && !user.disabled;
    else
        tsg_hub_user_password_burn (password ? password : "");
    tsg_web_form_free (&form);
    if (ok) {
        s_logged_in (ctx, &user);
        sodium_memzero (&user, sizeof user);
        return;
    }
    sodium_memzero (&user, sizeof user);
    ctx->web->counters.login_failures++;
    bool locked = tsg_web_guard_failed (ctx->web->guard, shown, address, ctx->mono_ms);
    web_audit (ctx, locked ? "staff-locked" : "staff-login-failed", shown,
               json_pack ("{s:s}", "why", found ? "wrong password or disabled" : "unknown name"));
    log_info ("web: a failed login%s%s from %s%s", shown[0] ? " as " : "", shown, address,
              locked ? " (now locked)" : "");
    if (locked) {
        tsg_web_guard_ask (ctx->web->guard, shown, address, ctx->mono_ms, &wait_s);
        s_refused (ctx, TSG_WEB_GUARD_LOCKED, wait_s, shown);
        return;
    }
    s_login_form (ctx, 401, "ユーザー名またはパスワードが違います。",
                  "The user name or the password is wrong.", shown);
}

void
web_logout_post (tsg_web_ctx_t *ctx)
{
    if (!web_auth_session (ctx)) {
        web_redirect (ctx, "/login");
        return;
    }
    tsg_web_form_t form;
    if (ctx->req->too_large || !tsg_web_form_parse (&form, ctx->req->body, ctx->req->body_len)) {
        web_error (ctx, 400, "入力を読めませんでした。", "The form could not be read.");
        return;
    }
    bool ok = web_auth_csrf (ctx, tsg_web_form_get (&form, "csrf"));
    tsg_web_form_free (&form);
    if (!ok)
        return;
    char user[TSG_WEB_USER_SIZE];
    snprintf (user, sizeof user, "%s", ctx->session->user);
    tsg_web_sessions_end (ctx->web->sessions, ctx->cookie);
    ctx->session = NULL;
    web_audit (ctx, "staff-logout", user, NULL);
    web_cookie (ctx, TSG_WEB_COOKIE_SESSION, "", "/", -1);
    web_redirect (ctx, "/login");
}
