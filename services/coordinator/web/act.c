/* act.c — what staff do from the pages (web_parts.h): record a case event, acknowledge an
 * emergency alert.  Each is checked here for the role and the form's CSRF token, then sent to
 * the daemon as a control request with the user's name as actor (web.h), which applies and
 * audits it as it would one from tsunaguctl.  The answer is a redirect back to the page (so a
 * reload does not post twice), saying how it went. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/web/case_form.h"
#include "coordinator/web/web_parts.h"

/* Reads the posted form into *form and checks its token and the role; false when the answer
 * was given here. */
static bool
s_begin (tsg_web_ctx_t *ctx, tsg_web_form_t *form)
{
    if (ctx->req->too_large || !tsg_web_form_parse (form, ctx->req->body, ctx->req->body_len)) {
        web_error (ctx, 400, "入力を読めませんでした。", "The form could not be read.");
        return false;
    }
    if (!web_auth_csrf (ctx, tsg_web_form_get (form, "csrf"))) {
        tsg_web_form_free (form);
        return false;
    }
    if (!tsg_hub_user_may (&ctx->user, TSG_HUB_ROLE_COORDINATOR)) {
        tsg_web_form_free (form);
        web_error (ctx, 403, "記録するにはコーディネーターの権限が必要です。",
                   "Recording needs the coordinator role.");
        return false;
    }
    if (!ctx->web->config.act) {
        tsg_web_form_free (form);
        web_error (ctx, 503, "いまは記録できません。", "Nothing can be recorded now.");
        return false;
    }
    return true;
}

/* Sends request (taken) to the daemon; the reply object (the caller decrefs), or NULL. */
static json_t *
s_act (tsg_web_ctx_t *ctx, json_t *request)
{
    char *text = request ? json_dumps (request, JSON_COMPACT) : NULL;
    json_decref (request);
    char *answer = text ? ctx->web->config.act (ctx->web->config.act_arg, text) : NULL;
    free (text);
    json_t *reply = answer ? json_loads (answer, 0, NULL) : NULL;
    free (answer);
    return reply;
}

void
web_act_case_event (tsg_web_ctx_t *ctx, const char *case_id)
{
    if (!tsg_uuid_valid (case_id)) {
        web_error (ctx, 404, "そのケースはありません。", "There is no such case.");
        return;
    }
    tsg_web_form_t form;
    if (!s_begin (ctx, &form))
        return;
    const char *code = NULL;
    json_t *request = web_case_event_request (&form, case_id, ctx->session->user, &code);
    tsg_web_form_free (&form);
    char location[160];
    if (!request) {
        snprintf (location, sizeof location, "/cases/%s?error=%s#flash", case_id, code);
        web_redirect (ctx, location);
        return;
    }
    json_t *reply = s_act (ctx, request);
    bool ok = json_is_true (json_object_get (reply, "ok"));
    const char *error = json_string_value (json_object_get (reply, "error"));
    if (ok)
        snprintf (location, sizeof location, "/cases/%s?done=1#flash", case_id);
    else
        snprintf (location, sizeof location, "/cases/%s?error=%s#flash", case_id,
                  error && strlen (error) < 40
                          && strspn (error, "abcdefghijklmnopqrstuvwxyz_") == strlen (error)
                      ? error
                      : "store");
    log_info ("web: %s recorded a case event on %s: %s", ctx->session->user, case_id,
              ok      ? "applied"
              : error ? error
                      : "no answer");
    json_decref (reply);
    web_redirect (ctx, location);
}

void
web_act_alert_ack (tsg_web_ctx_t *ctx, const char *alert_n)
{
    char *end = NULL;
    unsigned long long n =
        alert_n[0] >= '1' && alert_n[0] <= '9' ? strtoull (alert_n, &end, 10) : 0;
    if (!end || *end || n == 0 || n > INT64_MAX) {
        web_error (ctx, 404, "その通報はありません。", "There is no such alert.");
        return;
    }
    tsg_web_form_t form;
    if (!s_begin (ctx, &form))
        return;
    tsg_web_form_free (&form);
    json_t *reply = s_act (ctx, json_pack ("{s:s, s:I, s:s}", "command", "alert-ack", "n",
                                           (json_int_t) n, "actor", ctx->session->user));
    bool ok = json_is_true (json_object_get (reply, "ok"));
    json_decref (reply);
    if (!ok) {
        web_error (ctx, 409, "通報を確認済みにできませんでした。",
                   "The alert could not be acknowledged.");
        return;
    }
    web_redirect (ctx, "/#alerts");
}
