/* reports_route.c — GET /v1/reports (reports_route.h): the period checked, the view read in
 * one read transaction. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/api/reports_route.h"
#include "coordinator/model/reports.h"

#define JSON_TYPE "application/json; charset=utf-8"

/* Sets reply to status with body (consumed). */
static void
s_json (tsg_hub_reply_t *reply, int status, json_t *body)
{
    reply->status = status;
    reply->content_type = JSON_TYPE;
    reply->body = body ? json_dumps (body, JSON_COMPACT) : NULL;
    json_decref (body);
    if (!reply->body) {
        reply->status = 500;
        reply->body = strdup ("{\"error\":\"internal\",\"message\":\"out of memory\"}");
    }
}

static void
s_error (tsg_hub_reply_t *reply, int status, const char *code, const char *message)
{
    s_json (reply, status, json_pack ("{s:s, s:s}", "error", code, "message", message));
}

static const char *
s_arg (const tsg_hub_request_t *req, const char *name)
{
    const char *value = req->arg ? req->arg (req->arg_cls, name) : NULL;
    return value && *value ? value : NULL;
}

void
tsg_hub_api_reports (const tsg_hub_api_t *api, const tsg_hub_request_t *req, tsg_hub_reply_t *reply)
{
    const char *from = s_arg (req, "from"), *to = s_arg (req, "to");
    char message[160];
    if (!from || !to) {
        s_error (reply, 400, "invalid", "say which months to report: from=YYYY-MM&to=YYYY-MM");
        return;
    }
    if (!tsg_hub_report_month_ok (from) || !tsg_hub_report_month_ok (to)) {
        snprintf (message, sizeof message, "%s is not a month YYYY-MM (2000-01 to 2199-12)",
                  tsg_hub_report_month_ok (from) ? "to" : "from");
        s_error (reply, 400, "invalid", message);
        return;
    }
    unsigned months = tsg_hub_report_months (from, to);
    if (months == 0) {
        s_error (reply, 400, "invalid", "from is after to");
        return;
    }
    if (months > TSG_HUB_REPORT_MONTHS_MAX) {
        snprintf (message, sizeof message, "a report covers at most %d months, not %u",
                  TSG_HUB_REPORT_MONTHS_MAX, months);
        s_error (reply, 400, "invalid", message);
        return;
    }
    tsg_txn_t txn;
    tsg_txn_begin (api->store, &txn, false);
    json_t *body = txn.rc == TSG_OK ? tsg_hub_view_report (&txn, from, to, tsg_now_ms ()) : NULL;
    int rc = txn.rc;
    tsg_txn_abort (&txn);
    if (rc != TSG_OK || !body) {
        json_decref (body);
        log_warnx ("http: cannot read the reports: %s", tsg_strerror (rc));
        s_error (reply, 500, "internal", "the store could not be read");
        return;
    }
    s_json (reply, 200, body);
}
