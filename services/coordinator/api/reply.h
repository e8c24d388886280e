/* The pieces every route of the JSON API answers with: a JSON body, the error shape
 * {"error": "<code>", "message": "<sentence>"}, and a query argument as the routes read it. */
#ifndef TSG_HUB_API_REPLY_H_INCLUDED
#define TSG_HUB_API_REPLY_H_INCLUDED

#include <jansson.h>

#include "coordinator/api/api.h"

/* Sets reply to status with body (consumed), as compact JSON; a 500 when body is NULL or
 * cannot be written (out of memory). */
void tsg_hub_reply_json (tsg_hub_reply_t *reply, int status, json_t *body);

/* Sets reply to status with the error shape. */
void tsg_hub_reply_error (tsg_hub_reply_t *reply, int status, const char *code,
                          const char *message);

/* The query argument name of req, or NULL when absent or empty. */
const char *tsg_hub_request_arg (const tsg_hub_request_t *req, const char *name);

#endif
