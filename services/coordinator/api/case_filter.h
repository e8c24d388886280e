/* The filter of a case listing read from a request's query, checked as input from outside:
 * /v1/cases and the dashboard's case list read the same parameters the same way. */
#ifndef TSG_HUB_API_CASE_FILTER_H_INCLUDED
#define TSG_HUB_API_CASE_FILTER_H_INCLUDED

#include "coordinator/api/api.h"
#include "coordinator/model/cases.h"

/* Reads state, agency, tag, type, overdue, withheld, candidate, handed_over (1/true,
 * 0/false), stuck (days),
 * sort (id, updated, -updated, -created), after and cursor from req into *filter (whose other
 * fields are left alone; the strings are borrowed from req).  NULL when every one given is
 * well-formed, else the English sentence of the 400 (and *filter half-filled: do not list). */
const char *tsg_hub_api_case_filter (const tsg_hub_request_t *req, tsg_hub_case_filter_t *filter);

#endif
