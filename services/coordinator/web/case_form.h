/* The case event form of ケース詳細 and what its fields become: the control request
 * "case-event" (control.h) that `tsunaguctl case event` sends too, so the coordinator checks an
 * event from the page exactly as one from the command line (stale versions refused, illegal
 * transitions refused, a 重層的支援会議 only with a consent that covers every attendee). */
#ifndef TSG_HUB_WEB_CASE_FORM_H_INCLUDED
#define TSG_HUB_WEB_CASE_FORM_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>

#include "coordinator/web/form.h"
#include "coordinator/web/web_parts.h"

/* Writes the form for case c (its view, model/views.h) into h. */
void web_case_form (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *c);

/* The control request for the form posted about case_id by user, or NULL with the error code
 * (static: "malformed") in *code when a field is missing or not what it must be. */
json_t *web_case_event_request (const tsg_web_form_t *form, const char *case_id, const char *user,
                                const char **code);

/* The sentence shown for a refusal code of the case event (control.h's codes), in English
 * when en. */
const char *web_case_event_error (const char *code, bool en);

#endif
