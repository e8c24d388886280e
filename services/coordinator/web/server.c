/* server.c — the coordinator's one HTTP listener (web.h): the JSON API's routes go to api.h as
 * they always did, the rest to the dashboard's pages.  A GET is answered from its headers; a
 * POST (a form of the pages) once its body is in.  Every page but the login page, the
 * language switch and the assets needs a staff session: without one, a GET goes to the login
 * page (303, coming back afterwards) and a POST is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/api/http.h"
#include "coordinator/web/form.h"
#include "coordinator/web/web_parts.h"

/* At most this many connections, and from one address. */
#define WEB_CONNECTIONS_MAX 256
#define WEB_PER_ADDRESS_MAX 64

tsg_hub_web_t *
tsg_hub_web_new (const tsg_hub_web_config_t *config)
{
    tsg_hub_web_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->config = *config;
    unsigned idle = config->session_idle_s ? config->session_idle_s : TSG_HUB_WEB_IDLE_S_DEFAULT;
    unsigned max = config->session_max_s ? config->session_max_s : TSG_HUB_WEB_MAX_S_DEFAULT;
    self->sessions = tsg_web_sessions_new ((uint64_t) idle * 1000, (uint64_t) max * 1000);
    self->guard = tsg_web_guard_new ();
    if (!self->sessions || !self->guard) {
        tsg_hub_web_destroy (&self);
        return NULL;
    }
    return self;
}

void
tsg_hub_web_destroy (tsg_hub_web_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_hub_web_t *self = *self_p;
    tsg_web_sessions_destroy (&self->sessions);
    tsg_web_guard_destroy (&self->guard);
    free (self);
    *self_p = NULL;
}

const tsg_hub_staff_counters_t *
tsg_hub_web_counters (const tsg_hub_web_t *self)
{
    return &self->counters;
}

/* True when path is one of the JSON API's (api.h). */
static bool
s_api_path (const char *path)
{
    return strncmp (path, "/v1/", 4) == 0 || strcmp (path, "/v1") == 0
           || strcmp (path, "/metrics") == 0 || strcmp (path, "/healthz") == 0;
}

/* The id after prefix in path when path is prefix + one segment (+ suffix when given), copied
 * into out; else false. */
static bool
s_segment (const char *path, const char *prefix, const char *suffix, char *out, size_t size)
{
    size_t n = strlen (prefix);
    if (strncmp (path, prefix, n) != 0)
        return false;
    const char *start = path + n;
    const char *slash = strchr (start, '/');
    size_t len = slash ? (size_t) (slash - start) : strlen (start);
    if (len == 0 || len >= size)
        return false;
    if (suffix ? !slash || strcmp (slash, suffix) != 0 : slash != NULL)
        return false;
    memcpy (out, start, len);
    out[len] = '\0';
    return true;
}

/* GET /assets/<name>: kept by browsers for a day (the paths change with the content). */
static void
s_asset (tsg_web_ctx_t *ctx, const char *name)
{
    const tsg_web_embedded_t *e = web_asset_find (name);
    if (!e) {
        web_answer_bytes (ctx, 404, "text/plain; charset=utf-8", strdup ("no such asset\n"), 0);
        return;
    }
    char *copy = malloc (e->len + 1);
    if (copy)
        memcpy (copy, e->data, e->len + 1);
    ctx->res->cache = "public, max-age=86400";
    web_answer_bytes (ctx, 200, web_asset_type (name), copy, e->len);
}

/* GET /lang?to=en|ja&back=PATH: remembers the language for a year and goes back. */
static void
s_lang (tsg_web_ctx_t *ctx)
{
    const char *to = web_arg (ctx, "to");
    const char *back = web_arg (ctx, "back");
    bool en = to && strcmp (to, "en") == 0;
    web_cookie (ctx, TSG_WEB_COOKIE_LANG, en ? "en" : "ja", "/", 365L * 24 * 3600);
    web_redirect (ctx, back && web_local_path (back) ? back : "/");
}

/* Sends a GET without a session to the login page, to come back here afterwards. */
static void
s_to_login (tsg_web_ctx_t *ctx)
{
    char next[1100] = "/login";
    char encoded[1024];
    if (strcmp (ctx->req->path, "/") != 0
        && tsg_web_url_encode (ctx->req->path, encoded, sizeof encoded))
        snprintf (next, sizeof next, "/login?next=%s", encoded);
    web_redirect (ctx, next);
}

/* A GET of the pages. */
static void
s_get (tsg_web_ctx_t *ctx)
{
    const char *path = ctx->req->path;
    char id[64];
    if (strncmp (path, "/assets/", 8) == 0) {
        s_asset (ctx, path + 8);
        return;
    }
    if (strcmp (path, "/login") == 0) {
        web_login_page (ctx);
        return;
    }
    if (strcmp (path, "/lang") == 0) {
        s_lang (ctx);
        return;
    }
    bool known = strcmp (path, "/") == 0 || strcmp (path, "/cases") == 0
                 || strcmp (path, "/agencies") == 0 || strcmp (path, "/reports") == 0
                 || strcmp (path, "/reports.csv") == 0
                 || s_segment (path, "/cases/", NULL, id, sizeof id);
    if (!known) {
        web_auth_session (ctx);
        web_error (ctx, 404, "そのページはありません。", "There is no such page.");
        return;
    }
    if (!web_auth_session (ctx)) {
        s_to_login (ctx);
        return;
    }
    if (strcmp (path, "/") == 0)
        web_page_overview (ctx);
    else if (strcmp (path, "/cases") == 0)
        web_page_cases (ctx);
    else if (strcmp (path, "/agencies") == 0)
        web_page_agencies (ctx);
    else if (strcmp (path, "/reports") == 0)
        web_page_reports (ctx);
    else if (strcmp (path, "/reports.csv") == 0)
        web_reports_csv (ctx);
    else
        web_page_case (ctx, id);
}

/* A POST of the pages, its body in. */
static void
s_post (tsg_web_ctx_t *ctx)
{
    const char *path = ctx->req->path;
    char id[64];
    if (strcmp (path, "/login") == 0) {
        web_login_post (ctx);
        return;
    }
    if (strcmp (path, "/logout") == 0) {
        web_logout_post (ctx);
        return;
    }
    bool event = s_segment (path, "/cases/", "/events", id, sizeof id);
    bool ack = !event && s_segment (path, "/alerts/", "/ack", id, sizeof id);
    if (!event && !ack) {
        web_auth_session (ctx);
        web_error (ctx, 404, "そのページはありません。", "There is no such page.");
        return;
    }
    if (!web_auth_session (ctx)) {
        web_error (ctx, 401, "ログインしてください。", "Please log in.");
        return;
    }
    if (event)
        web_act_case_event (ctx, id);
    else
        web_act_alert_ack (ctx, id);
}

/* Sets up the context of one request to the pages. */
static void
s_ctx (tsg_web_ctx_t *ctx, tsg_hub_web_t *self, const tsg_http_request_t *req,
       tsg_http_response_t *res)
{
    memset (ctx, 0, sizeof *ctx);
    ctx->web = self;
    ctx->req = req;
    ctx->res = res;
    const char *lang = tsg_http_cookie (req, TSG_WEB_COOKIE_LANG);
    ctx->lang = lang && strcmp (lang, "en") == 0 ? TSG_WEB_EN : TSG_WEB_JA;
    ctx->now_ms = tsg_now_ms ();
    ctx->mono_ms = tsg_monotonic_ms ();
    self->counters.sessions_active = tsg_web_sessions_count (self->sessions, ctx->mono_ms);
}

/* The headers step: the API and every GET are answered now; a POST's body is read first. */
static tsg_http_step_t
s_headers (void *arg, const tsg_http_request_t *req, tsg_http_response_t *response)
{
    tsg_hub_web_t *self = arg;
    const char *path = req->path ? req->path : "";
    if (s_api_path (path)) {
        tsg_hub_http_api (self->config.api, req, response);
        return TSG_HTTP_ANSWER;
    }
    if (req->method && strcmp (req->method, "POST") == 0)
        return TSG_HTTP_NEXT;
    tsg_web_ctx_t ctx;
    s_ctx (&ctx, self, req, response);
    if (!req->method || (strcmp (req->method, "GET") != 0 && strcmp (req->method, "HEAD") != 0)) {
        web_error (&ctx, 405, "この操作はできません。", "This method is not allowed here.");
        response->allow = "GET, HEAD, POST";
    }
    else
        s_get (&ctx);
    tsg_html_free (&ctx.headers);
    json_decref (ctx.registry);
    return TSG_HTTP_ANSWER;
}

/* The request step: a POST with its body. */
static tsg_http_step_t
s_request (void *arg, const tsg_http_request_t *req, tsg_http_response_t *response)
{
    tsg_web_ctx_t ctx;
    s_ctx (&ctx, arg, req, response);
    s_post (&ctx);
    tsg_html_free (&ctx.headers);
    json_decref (ctx.registry);
    return TSG_HTTP_ANSWER;
}

tsg_http_server_t *
tsg_hub_web_serve (tsg_hub_web_t *self, const char *listen, const char *tls_cert_pem,
                   const char *tls_key_pem)
{
    char host[64];
    int port = 0;
    if (!tsg_hub_http_listen_parse (listen, host, sizeof host, &port)) {
        log_warnx ("http: \"%s\" is not HOST:PORT with a numeric host", listen ? listen : "");
        return NULL;
    }
    if (!tsg_hub_http_loopback (host))
        log_info ("http: listening on %s, which is not a loopback address%s", host,
                  tls_cert_pem ? "" : ": serve it over TLS ([http] tls_cert, tls_key)");
    tsg_http_server_config_t config = { .name = "http",
                                        .host = host,
                                        .port = port,
                                        .connections_max = WEB_CONNECTIONS_MAX,
                                        .per_address_max = WEB_PER_ADDRESS_MAX,
                                        .body_max = TSG_WEB_BODY_MAX,
                                        .headers = s_headers,
                                        .request = s_request,
                                        .arg = self,
                                        .tls_cert_pem = tls_cert_pem,
                                        .tls_key_pem = tls_key_pem };
    return tsg_http_server_new (&config);
}
