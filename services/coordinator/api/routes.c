/* routes.c — the coordinator's read-only JSON routes: bearer token, dispatch, parameters. */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "coordinator/api/reply.h"
#include "coordinator/model/alerts.h"
#include "coordinator/api/api.h"
#include "coordinator/api/case_filter.h"
#include "coordinator/api/overview.h"
#include "coordinator/api/reports_route.h"
#include "coordinator/model/codec.h"
#include "tsunagu/tsg_agency_types.h"
#include "coordinator/model/consents.h"
#include "coordinator/model/views.h"

#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* True when the Authorization header carries the configured bearer token. */
static bool
s_authorized (const tsg_hub_api_t *api, const char *header)
{
    return api->has_token && tsg_bearer_matches (header, api->token_sha256);
}

/* Parses a limit argument in 1..max (default dflt); false when it is not one. */
static bool
s_limit (const char *text, size_t dflt, size_t max, size_t *out)
{
    if (!text) {
        *out = dflt;
        return true;
    }
    char *end = NULL;
    long value = strtol (text, &end, 10);
    if (!end || *end || value < 1 || (size_t) value > max)
        return false;
    *out = (size_t) value;
    return true;
}

/* Runs view in a read transaction and answers with it, or 404 not_found when it gives NULL
 * (missing says what was not found). */
typedef json_t *(s_view_fn) (tsg_txn_t *txn, const void *arg, uint64_t now_ms);

static void
s_read (const tsg_hub_api_t *api, tsg_hub_reply_t *reply, s_view_fn *view, const void *arg,
        const char *missing)
{
    tsg_txn_t txn;
    tsg_txn_begin (api->store, &txn, false);
    json_t *body = txn.rc == TSG_OK ? view (&txn, arg, tsg_now_ms ()) : NULL;
    int rc = txn.rc;
    tsg_txn_abort (&txn);
    if (rc != TSG_OK) {
        json_decref (body);
        log_warnx ("http: cannot read the store: %s", tsg_strerror (rc));
        tsg_hub_reply_error (reply, 500, "internal", "the store could not be read");
    }
    else if (!body)
        tsg_hub_reply_error (reply, 404, "not_found", missing);
    else
        tsg_hub_reply_json (reply, 200, body);
}

static json_t *
s_view_cases (tsg_txn_t *txn, const void *arg, uint64_t now_ms)
{
    tsg_hub_case_filter_t filter = *(const tsg_hub_case_filter_t *) arg;
    filter.now_ms = now_ms;
    return tsg_hub_view_cases (txn, &filter);
}

static json_t *
s_view_case (tsg_txn_t *txn, const void *arg, uint64_t now_ms)
{
    return tsg_hub_view_case (txn, arg, now_ms);
}

static json_t *
s_view_referral (tsg_txn_t *txn, const void *arg, uint64_t now_ms)
{
    tsg_hub_referral_t ref;
    return tsg_hub_referral_get (txn, arg, &ref) ? tsg_hub_view_referral (&ref, now_ms) : NULL;
}

/* What /v1/referrals?overdue= asks. */
typedef struct {
    tsg_hub_due_kind_t kind; /* overdue for what */
    size_t limit;            /* most to list */
} s_overdue_arg_t;

static json_t *
s_view_overdue (tsg_txn_t *txn, const void *arg, uint64_t now_ms)
{
    const s_overdue_arg_t *o = arg;
    return tsg_hub_view_overdue (txn, o->kind, now_ms, o->limit);
}

static json_t *
s_view_stats (tsg_txn_t *txn, const void *arg, uint64_t now_ms)
{
    (void) arg;
    return tsg_hub_view_stats (txn, now_ms);
}

static json_t *
s_view_alerts (tsg_txn_t *txn, const void *arg, uint64_t now_ms)
{
    (void) now_ms;
    return tsg_hub_view_alerts (txn, *(const size_t *) arg);
}

static json_t *
s_view_consents (tsg_txn_t *txn, const void *arg, uint64_t now_ms)
{
    return tsg_hub_view_consents (txn, arg, now_ms);
}

static json_t *
s_view_agencies (tsg_txn_t *txn, const void *arg, uint64_t now_ms)
{
    (void) now_ms;
    const tsg_hub_api_t *api = arg;
    json_t *body = tsg_hub_view_agencies (txn);
    json_t *list = json_object_get (body, "agencies");
    for (size_t i = 0; i < json_array_size (list); i++) {
        json_t *entry = json_array_get (list, i);
        const char *id = json_string_value (json_object_get (entry, "id"));
        bool connected = tsg_hub_api_connected (api, id);
        json_object_set_new (entry, "connected", json_boolean (connected));
    }
    return body;
}

static void
s_cases (const tsg_hub_api_t *api, const tsg_hub_request_t *req, tsg_hub_reply_t *reply)
{
    tsg_hub_case_filter_t filter = { 0 };
    const char *problem = tsg_hub_api_case_filter (req, &filter);
    if (problem)
        tsg_hub_reply_error (reply, 400, "invalid", problem);
    else if (!s_limit (tsg_hub_request_arg (req, "limit"), TSG_HUB_PAGE_DEFAULT, TSG_HUB_PAGE_MAX,
                       &filter.limit))
        tsg_hub_reply_error (reply, 400, "invalid", "limit is a number from 1 to 500");
    else
        s_read (api, reply, s_view_cases, &filter, "no cases");
}

static void
s_referrals (const tsg_hub_api_t *api, const tsg_hub_request_t *req, tsg_hub_reply_t *reply)
{
    s_overdue_arg_t arg;
    const char *overdue = tsg_hub_request_arg (req, "overdue");
    if (!overdue || !tsg_hub_due_kind_parse (overdue, &arg.kind))
        tsg_hub_reply_error (
            reply, 400, "invalid",
            "say which overdue referrals to list: overdue=received or overdue=accepted");
    else if (!s_limit (tsg_hub_request_arg (req, "limit"), TSG_HUB_PAGE_DEFAULT, TSG_HUB_PAGE_MAX,
                       &arg.limit))
        tsg_hub_reply_error (reply, 400, "invalid", "limit is a number from 1 to 500");
    else
        s_read (api, reply, s_view_overdue, &arg, "nothing");
}

static void
s_alerts (const tsg_hub_api_t *api, const tsg_hub_request_t *req, tsg_hub_reply_t *reply)
{
    size_t limit;
    if (!s_limit (tsg_hub_request_arg (req, "limit"), TSG_HUB_PAGE_DEFAULT, TSG_HUB_PAGE_MAX,
                  &limit))
        tsg_hub_reply_error (reply, 400, "invalid", "limit is a number from 1 to 500");
    else
        s_read (api, reply, s_view_alerts, &limit, "no alerts");
}

static void
s_consents (const tsg_hub_api_t *api, const tsg_hub_request_t *req, tsg_hub_reply_t *reply)
{
    const char *case_id = tsg_hub_request_arg (req, "case");
    if (!case_id || !tsg_uuid_valid (case_id))
        tsg_hub_reply_error (reply, 400, "invalid", "say whose consents to list: case=<case id>");
    else
        s_read (api, reply, s_view_consents, case_id, "no consents");
}

static void
s_healthz (const tsg_hub_api_t *api, tsg_hub_reply_t *reply)
{
    size_t sessions = tsg_hub_api_sessions (api);
    tsg_hub_reply_json (reply, 200,
                        json_pack ("{s:s, s:s, s:s, s:I, s:I, s:I}", "status", "ok", "role",
                                   TSG_COORDINATOR_ID, "version", TSUNAGU_VERSION,
                                   "registry_serial",
                                   (json_int_t) tsg_hub_directory_serial (api->directory),
                                   "agencies", (json_int_t) tsg_hub_directory_size (api->directory),
                                   "sessions", (json_int_t) sessions));
}

static void
s_metrics (const tsg_hub_api_t *api, tsg_hub_reply_t *reply)
{
    tsg_txn_t txn;
    tsg_txn_begin (api->store, &txn, false);
    char *text = txn.rc == TSG_OK ? tsg_hub_metrics_text (api, &txn, tsg_now_ms ()) : NULL;
    tsg_txn_abort (&txn);
    if (!text) {
        tsg_hub_reply_error (reply, 500, "internal", "the metrics could not be read");
        return;
    }
    reply->status = 200;
    reply->content_type = METRICS_TYPE;
    reply->body = text;
}

/* The id after prefix in path when path is prefix + one segment, else NULL. */
static const char *
s_tail (const char *path, const char *prefix)
{
    size_t n = strlen (prefix);
    if (strncmp (path, prefix, n) != 0 || path[n] == '\0' || strchr (path + n, '/'))
        return NULL;
    return path + n;
}

void
tsg_hub_api_handle (const tsg_hub_api_t *api, const tsg_hub_request_t *req, tsg_hub_reply_t *reply)
{
    memset (reply, 0, sizeof *reply);
    const char *path = req->path ? req->path : "";
    const char *case_id = s_tail (path, "/v1/cases/");
    const char *referral_id = s_tail (path, "/v1/referrals/");
    bool known = strcmp (path, "/healthz") == 0 || strcmp (path, "/metrics") == 0
                 || strcmp (path, "/v1/agencies") == 0 || strcmp (path, "/v1/cases") == 0
                 || strcmp (path, "/v1/referrals") == 0 || strcmp (path, "/v1/stats") == 0
                 || strcmp (path, "/v1/alerts") == 0 || strcmp (path, "/v1/consents") == 0
                 || strcmp (path, TSG_HUB_OVERVIEW_PATH) == 0
                 || strcmp (path, TSG_HUB_REPORTS_PATH) == 0 || case_id || referral_id;
    if (!known) {
        tsg_hub_reply_error (reply, 404, "not_found", "there is no such route");
        return;
    }
    if (!req->method || strcmp (req->method, "GET") != 0) {
        tsg_hub_reply_error (reply, 405, "method_not_allowed", "this route answers GET only");
        reply->allow = "GET";
        return;
    }
    if (strcmp (path, "/healthz") == 0) {
        s_healthz (api, reply);
        return;
    }
    if (!s_authorized (api, req->authorization)) {
        tsg_hub_reply_error (reply, 401, "unauthorized",
                             "a valid bearer token is required (Authorization: Bearer <token>)");
        reply->challenge = true;
        return;
    }
    if (strcmp (path, "/metrics") == 0)
        s_metrics (api, reply);
    else if (strcmp (path, "/v1/agencies") == 0)
        s_read (api, reply, s_view_agencies, api, "no registry");
    else if (strcmp (path, "/v1/cases") == 0)
        s_cases (api, req, reply);
    else if (case_id)
        s_read (api, reply, s_view_case, case_id, "there is no such case");
    else if (strcmp (path, "/v1/referrals") == 0)
        s_referrals (api, req, reply);
    else if (referral_id)
        s_read (api, reply, s_view_referral, referral_id, "there is no such referral");
    else if (strcmp (path, "/v1/alerts") == 0)
        s_alerts (api, req, reply);
    else if (strcmp (path, "/v1/consents") == 0)
        s_consents (api, req, reply);
    else if (strcmp (path, TSG_HUB_REPORTS_PATH) == 0)
        tsg_hub_api_reports (api, req, reply);
    else if (strcmp (path, TSG_HUB_OVERVIEW_PATH) == 0)
        s_read (api, reply, tsg_hub_api_overview_view, api, "no overview");
    else
        s_read (api, reply, s_view_stats, NULL, "no indicators");
}
