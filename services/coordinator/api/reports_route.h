/* GET /v1/reports?from=YYYY-MM&to=YYYY-MM: the figures of a period (model/reports.h) for the
 * dashboard and for machines with the bearer token.  routes.c hands it the request once the
 * token has been checked. */
#ifndef TSG_HUB_REPORTS_ROUTE_H_INCLUDED
#define TSG_HUB_REPORTS_ROUTE_H_INCLUDED

#include "coordinator/api/api.h"

/* The path it answers. */
#define TSG_HUB_REPORTS_PATH "/v1/reports"

/* Answers GET /v1/reports: 200 with tsg_hub_view_report's JSON; 400 invalid when from or to is
 * missing or not a month "YYYY-MM", from is after to, or the period is longer than 120 months;
 * 500 internal when the store cannot be read.  Never fails: reply is always set. */
void tsg_hub_api_reports (const tsg_hub_api_t *api, const tsg_hub_request_t *req,
                          tsg_hub_reply_t *reply);

#endif
