/* case_filter.c — a case listing's filter from a request's query (case_filter.h). */
#include <stdlib.h>
#include <string.h>

#include "coordinator/api/reply.h"
#include "coordinator/api/case_filter.h"
#include "tsunagu/tsg_agency_types.h"
#include "tsunagu/tsg_text.h"

/* A flag parameter: absent, 1/true or 0/false; false when it is something else. */
static bool
s_flag (const char *text, bool *out)
{
    if (!text)
        *out = false;
    else if (strcmp (text, "1") == 0 || strcmp (text, "true") == 0)
        *out = true;
    else if (strcmp (text, "0") == 0 || strcmp (text, "false") == 0)
        *out = false;
    else
        return false;
    return true;
}

const char *
tsg_hub_api_case_filter (const tsg_hub_request_t *req, tsg_hub_case_filter_t *filter)
{
    /* The flags first, the strings kept in filter last: a test's arg function keeps only
     * the last few values it answered. */
    tsg_case_state_t state;
    const char *why = NULL;
    if (!s_flag (tsg_hub_request_arg (req, "overdue"), &filter->overdue))
        return "overdue is 1 or 0";
    if (!s_flag (tsg_hub_request_arg (req, "withheld"), &filter->withheld))
        return "withheld is 1 or 0";
    if (!s_flag (tsg_hub_request_arg (req, "candidate"), &filter->candidate))
        return "candidate is 1 or 0";
    if (!s_flag (tsg_hub_request_arg (req, "handed_over"), &filter->handed_over))
        return "handed_over is 1 or 0";
    const char *stuck = tsg_hub_request_arg (req, "stuck");
    if (stuck) {
        char *end = NULL;
        long days = strtol (stuck, &end, 10);
        if (!end || *end || days < 1 || days > 36500)
            return "stuck is a number of days from 1 to 36500";
        filter->stuck_days = (unsigned) days;
    }
    const char *sort = tsg_hub_request_arg (req, "sort");
    if (sort && !tsg_hub_case_sort_parse (sort, &filter->sort))
        return "sort is id, updated, -updated or -created";
    filter->state = tsg_hub_request_arg (req, "state");
    filter->agency = tsg_hub_request_arg (req, "agency");
    filter->tag = tsg_hub_request_arg (req, "tag");
    filter->after = tsg_hub_request_arg (req, "after");
    filter->agency_type = tsg_hub_request_arg (req, "type");
    filter->cursor = tsg_hub_request_arg (req, "cursor");
    if (filter->state && !tsg_case_state_parse (filter->state, &state))
        return "state is not a case state";
    if (filter->agency && !tsg_agency_id_valid (filter->agency))
        return "agency is not an agency id";
    if (filter->tag && !tsg_text_ok (filter->tag, TSG_TAG_LEN_MAX))
        return "tag is not 1 to 64 bytes of text";
    if (filter->agency_type && !tsg_agency_policy_find (filter->agency_type))
        return "type is not an agency type (eldercare, disability, child, poverty)";
    if (filter->after && !tsg_uuid_valid (filter->after))
        return "after is not a case id";
    if (filter->after && filter->sort != TSG_HUB_CASE_SORT_ID)
        return "after pages the listing by id; with sort= use cursor=";
    if (filter->after && filter->cursor)
        return "give after or cursor, not both";
    if (filter->cursor && !tsg_hub_case_cursor_ok (filter->cursor, filter->sort, &why))
        return why;
    return NULL;
}
