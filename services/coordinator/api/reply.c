/* reply.c — the JSON API's answers and query arguments (reply.h). */
#include <stdlib.h>
#include <string.h>

#include "coordinator/api/reply.h"

void
tsg_hub_reply_json (tsg_hub_reply_t *reply, int status, json_t *body)
{
    reply->status = status;
    reply->content_type = "application/json; charset=utf-8";
    reply->body = body ? json_dumps (body, JSON_COMPACT) : NULL;
    json_decref (body);
    if (!reply->body) {
        reply->status = 500;
        reply->body = strdup ("{\"error\":\"internal\",\"message\":\"out of memory\"}");
    }
}

void
tsg_hub_reply_error (tsg_hub_reply_t *reply, int status, const char *code, const char *message)
{
    tsg_hub_reply_json (reply, status, json_pack ("{s:s, s:s}", "error", code, "message", message));
}

const char *
tsg_hub_request_arg (const tsg_hub_request_t *req, const char *name)
{
    const char *value = req->arg ? req->arg (req->arg_cls, name) : NULL;
    return value && *value ? value : NULL;
}
