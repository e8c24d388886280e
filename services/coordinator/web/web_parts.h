/* web_parts.h — the dashboard's state and what its files share.  Private to web/:
 *   server.c      the listener: the API's routes to api.h, the pages' to the files below
 *   auth.c        login, logout, the session of a request, CSRF, the login audit
 *   frame.c       answers (pages, redirects, errors, security headers) and the page frame
 *   labels.c      the words of the pages in Japanese and English
 *   page_*.c      one page each (overview, cases, case, agencies, reports), svg.c their charts
 *   act.c         staff actions posted from the pages, sent on as control requests
 *   assets.c      the stylesheet and script compiled into the binary, and their paths
 * Arrows: server.c -> page_*.c, act.c -> auth.c -> frame.c -> assets.c, labels.c, html.c. */
#ifndef TSG_HUB_WEB_PARTS_H_INCLUDED
#define TSG_HUB_WEB_PARTS_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "coordinator/model/users.h"
#include "coordinator/web/assets.h"
#include "coordinator/web/guard.h"
#include "coordinator/web/html.h"
#include "coordinator/web/sessions.h"
#include "coordinator/web/web.h"

/* Bodies the dashboard reads (a posted form). */
#define TSG_WEB_BODY_MAX (64 * 1024)

/* The cookies it sets. */
#define TSG_WEB_COOKIE_SESSION "tsunagu_session" /* the session (HttpOnly, SameSite=Strict) */
#define TSG_WEB_COOKIE_LOGIN   "tsunagu_login"   /* the login form's CSRF token */
#define TSG_WEB_COOKIE_LANG    "tsunagu_lang"    /* "en" for English; Japanese otherwise */

struct _tsg_hub_web_t {
    tsg_hub_web_config_t config;       /* as given (its pointers borrowed) */
    tsg_web_sessions_t *sessions;      /* staff sessions */
    tsg_web_guard_t *guard;            /* how often passwords may be tried */
    tsg_hub_staff_counters_t counters; /* for /metrics */
};

/* The language of a page. */
typedef enum { TSG_WEB_JA = 0, TSG_WEB_EN } tsg_web_lang_t;

/* One request to the pages, as every page and action sees it. */
typedef struct {
    tsg_hub_web_t *web;               /* the dashboard */
    const tsg_http_request_t *req;    /* the request */
    tsg_http_response_t *res;         /* its answer, being made */
    tsg_html_t headers;               /* header lines for res->headers */
    tsg_web_lang_t lang;              /* from the language cookie */
    const tsg_web_session_t *session; /* the staff member's session (NULL: not logged in) */
    tsg_hub_user_t user;              /* their account as stored now (session only) */
    char cookie[TSG_WEB_TOKEN_SIZE];  /* the session cookie's value (session only) */
    uint64_t now_ms;                  /* wall clock, UTC ms */
    uint64_t mono_ms;                 /* monotonic ms */
    json_t *registry;                 /* the agencies' view, read at the first web_agency_name
                                         (owned; freed with the request) */
} tsg_web_ctx_t;

/* The text for the page's language. */
#define L(ctx, ja, en) ((ctx)->lang == TSG_WEB_EN ? (en) : (ja))

/* ---- frame.c: answers ---- */

/* Adds a header line ("Name: value", no newline) to the answer. */
void web_header (tsg_web_ctx_t *ctx, const char *line);

/* Sets cookie name to value for path with max_age_s (0: a session cookie; -1: delete it),
 * HttpOnly, SameSite=Strict, and Secure over TLS. */
void web_cookie (tsg_web_ctx_t *ctx, const char *name, const char *value, const char *path,
                 long max_age_s);

/* Answers status with the page h built (taken), as text/html, with the security headers. */
void web_answer_html (tsg_web_ctx_t *ctx, int status, tsg_html_t *h);

/* Answers status with body (taken) of content type (static), with the security headers. */
void web_answer_bytes (tsg_web_ctx_t *ctx, int status, const char *type, char *body, size_t len);

/* Answers 303 See Other to location (a local path the program made or checked). */
void web_redirect (tsg_web_ctx_t *ctx, const char *location);

/* Answers status with a whole page saying ja / en (a short sentence). */
void web_error (tsg_web_ctx_t *ctx, int status, const char *ja, const char *en);

/* True when target is a local path a redirect may go to: it starts with one '/', and holds no
 * backslash, CR, LF or control character. */
bool web_local_path (const char *target);

/* The navigation entries of the page frame. */
typedef enum {
    WEB_NAV_NONE = 0,
    WEB_NAV_OVERVIEW,
    WEB_NAV_CASES,
    WEB_NAV_AGENCIES,
    WEB_NAV_REPORTS,
} web_nav_t;

/* Opens a page: doctype, head with title, the header with the navigation (nav marked active),
 * the user, the language switch and the logout form; then <main id="main">. */
void web_page_begin (tsg_web_ctx_t *ctx, tsg_html_t *h, const char *title, web_nav_t nav);

/* Closes what web_page_begin opened. */
void web_page_end (tsg_web_ctx_t *ctx, tsg_html_t *h);

/* Writes the hidden CSRF field of the session's forms. */
void web_csrf_field (tsg_web_ctx_t *ctx, tsg_html_t *h);

/* A time (UTC ms) in Japan time as "YYYY-MM-DD HH:MM" ("—" for 0), and a date "YYYY-MM-DD". */
void web_time (tsg_html_t *h, uint64_t ms);
void web_date (tsg_html_t *h, uint64_t ms);

/* The UTC ms of an ISO-8601 UTC time as the views write it ("2026-12-03T04:05:06.789Z"), 0 when
 * iso is not one; and that time written as web_time does. */
uint64_t web_iso_ms (const char *iso);
void web_iso (tsg_html_t *h, const char *iso);

/* The registered name of agency id (its id when it has none or is unknown; "" for NULL);
 * "coordinator" is said in words (コーディネーター). */
const char *web_agency_name (tsg_web_ctx_t *ctx, const char *id);

/* The request's query argument name, or NULL when absent or empty. */
const char *web_arg (const tsg_web_ctx_t *ctx, const char *name);

/* ---- auth.c: who is asking ---- */

/* Finds the request's session (ctx->session, ctx->user), ending it when its account was
 * disabled, removed, or given a new password since.  True when there is one. */
bool web_auth_session (tsg_web_ctx_t *ctx);

/* True when the form's "csrf" field is the session's token; otherwise answers 403 (and counts
 * it). */
bool web_auth_csrf (tsg_web_ctx_t *ctx, const char *token);

/* GET /login, POST /login, POST /logout. */
void web_login_page (tsg_web_ctx_t *ctx);
void web_login_post (tsg_web_ctx_t *ctx);
void web_logout_post (tsg_web_ctx_t *ctx);

/* Records one staff event in the audit log (event "staff-login", ...), with the user name,
 * the client address and details (taken; may be NULL), and commits it. */
void web_audit (tsg_web_ctx_t *ctx, const char *event, const char *user, json_t *details);

/* ---- the pages ---- */
void web_page_overview (tsg_web_ctx_t *ctx);
void web_page_cases (tsg_web_ctx_t *ctx);
void web_page_case (tsg_web_ctx_t *ctx, const char *case_id);
void web_page_agencies (tsg_web_ctx_t *ctx);
void web_page_reports (tsg_web_ctx_t *ctx);
void web_reports_csv (tsg_web_ctx_t *ctx);

/* ---- act.c: POST /cases/{id}/events, POST /alerts/{n}/ack ---- */
void web_act_case_event (tsg_web_ctx_t *ctx, const char *case_id);
void web_act_alert_ack (tsg_web_ctx_t *ctx, const char *alert_n);

/* ---- assets.c ---- */

/* The embedded file name (assets.h), or NULL; and the content type of a file name. */
const tsg_web_embedded_t *web_asset_find (const char *name);
const char *web_asset_type (const char *name);

/* The path of the stylesheet and of the script, with their content hash ("/assets/app.css?v="). */
const char *web_asset_path (const char *name);

#endif
