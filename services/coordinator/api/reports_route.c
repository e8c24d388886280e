/* reports_route.c — GET /v1/reports (reports_route.h): the period checked, the view read in
 * one read transaction. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/api/reply.h"
#include "coordinator/api/reports_route.h"
#include "coordinator/model/reports.h"

void
tsg_hub_api_reports (const tsg_hub_api_t *api, const tsg_hub_request_t *req, tsg_hub_reply_t *reply)
{
    const char *from = tsg_hub_request_arg (req, "from"), *to = tsg_hub_request_arg (req, "to");
    char message[160];
    if (!from || !to) {
        tsg_hub_reply_error (reply, 400, "invalid",
                             "say which months to report: from=YYYY-MM&to=YYYY-MM");
        return;
    }
    if (!tsg_hub_report_month_ok (from) || !tsg_hub_report_month_ok (to)) {
        snprintf (message, sizeof message, "%s is not a month YYYY-MM (2000-01 to 2199-12)",
                  tsg_hub_report_month_ok (from) ? "to" : "from");
        tsg_hub_reply_error (reply, 400, "invalid", message);
        return;
    }
    unsigned months = tsg_hub_report_months (from, to);
    if (months == 0) {
        tsg_hub_reply_error (reply, 400, "invalid", "from is after to");
        return;
    }
    if (months > TSG_HUB_REPORT_MONTHS_MAX) {
        snprintf (message, sizeof message, "a report covers at most %d months, not %u",
                  TSG_HUB_REPORT_MONTHS_MAX, months);
        tsg_hub_reply_error (reply, 400, "invalid", message);
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
        tsg_hub_reply_error (reply, 500, "internal", "the store could not be read");
        return;
    }
    tsg_hub_reply_json (reply, 200, body);
}
