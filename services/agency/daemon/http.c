/* http.c — the agency's API on the common HTTP adapter (tsg_http_server.h): its connection
 * limits, each request handed to the routes (api/routes.h) in two steps, and a POSTed letter's
 * request held until its group commit answers it.  Owns nothing but the choice of limits and
 * the translation between the adapter's requests and the routes'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency/api/routes.h"
#include "agency/daemon/http.h"
#include "tsunagu/tsg_http_server.h"

/* Every client of the API is on loopback, so most share 127.0.0.1: the per-address limit is
 * generous (tsunagu-bench --connections 1024 opens 256 to each of its four agencies), and the
 * request deadlines (tsg_http_limits.h) are what frees the slots a slow client holds. */
#define HTTP_CONNECTIONS_MAX 512
#define HTTP_PER_ADDRESS_MAX 256

#define TEXT_PLAIN "text/plain; version=0.0.4; charset=utf-8"

struct _agency_http_t {
    tsg_agency_t *agency;      /* whose API this is (borrowed) */
    tsg_http_server_t *server; /* the adapter */
};

/* The routes' view of req. */
static void
s_request (const tsg_http_request_t *req, agency_http_request_t *out)
{
    *out = (agency_http_request_t){
        .method = req->method,
        .path = req->path,
        .authorization = tsg_http_header (req, "Authorization"),
        .content_type = tsg_http_header (req, "Content-Type"),
        .content_length = tsg_http_header (req, "Content-Length"),
        .after = tsg_http_arg (req, "after"),
        .limit = tsg_http_arg (req, "limit"),
        .state = tsg_http_arg (req, "state"),
        .case_filter = tsg_http_arg (req, "case"),
        .body = req->body,
        .body_len = req->body_len,
        .too_large = req->too_large,
    };
}

/* The adapter's answer for a JSON body (stolen; its "retry_after_s" becomes Retry-After) or,
 * when text is given (stolen), a text/plain one. */
static void
s_response (int status, json_t *body, char *text, tsg_http_response_t *out)
{
    json_t *retry = body ? json_object_get (body, "retry_after_s") : NULL;
    if (json_is_integer (retry) && json_integer_value (retry) > 0)
        out->retry_after_s = (unsigned) json_integer_value (retry);
    out->status = status;
    out->body = text ? text : body ? json_dumps (body, JSON_COMPACT) : NULL;
    out->content_type = text ? TEXT_PLAIN : NULL;
    json_decref (body);
}

/* tsg_http_handler_fn, the headers step: what needs no body is answered now. */
static tsg_http_step_t
s_headers (void *arg, const tsg_http_request_t *req, tsg_http_response_t *response)
{
    agency_http_t *self = arg;
    agency_http_request_t request;
    agency_http_reply_t reply;
    s_request (req, &request);
    if (!agency_route_check (self->agency, &request, &reply))
        return TSG_HTTP_NEXT;
    s_response (reply.status, reply.body, reply.text, response);
    response->allow = reply.allow;
    response->challenge = reply.challenge;
    return TSG_HTTP_ANSWER;
}

/* tsg_http_handler_fn, the request step: a letter waits for its group commit. */
static tsg_http_step_t
s_whole (void *arg, const tsg_http_request_t *req, tsg_http_response_t *response)
{
    agency_http_t *self = arg;
    agency_http_request_t request;
    agency_http_reply_t reply;
    s_request (req, &request);
    agency_route (self->agency, &request, &reply);
    if (reply.pending) {
        reply.pending->conn = req->exchange;
        return TSG_HTTP_HOLD;
    }
    s_response (reply.status, reply.body, reply.text, response);
    response->allow = reply.allow;
    response->challenge = reply.challenge;
    return TSG_HTTP_ANSWER;
}

void
agency_http_answer (void *arg, agency_pending_t *pending)
{
    (void) arg;
    tsg_http_exchange_t *exchange = pending->conn;
    if (!exchange)
        return;
    tsg_http_response_t response = { 0 };
    s_response (pending->status, pending->reply, NULL, &response);
    pending->reply = NULL;
    pending->conn = NULL;
    tsg_http_server_answer (exchange, &response);
}

agency_http_t *
agency_http_new (tsg_agency_t *agency, const char *host, int port)
{
    agency_http_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->agency = agency;
    tsg_http_server_config_t config = { .name = "http",
                                        .host = host,
                                        .port = port,
                                        .connections_max = HTTP_CONNECTIONS_MAX,
                                        .per_address_max = HTTP_PER_ADDRESS_MAX,
                                        .body_max = AGENCY_REQUEST_MAX,
                                        .may_hold = true,
                                        .headers = s_headers,
                                        .request = s_whole,
                                        .arg = self };
    self->server = tsg_http_server_new (&config);
    if (!self->server) {
        free (self);
        return NULL;
    }
    log_info ("http: listening on %s port %d", host, tsg_http_server_port (self->server));
    return self;
}

void
agency_http_destroy (agency_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_http_server_destroy (&(*self_p)->server);
    free (*self_p);
    *self_p = NULL;
}

int
agency_http_fd (const agency_http_t *self)
{
    return tsg_http_server_fd (self->server);
}

long
agency_http_timeout (agency_http_t *self)
{
    return tsg_http_server_timeout (self->server);
}

void
agency_http_run (agency_http_t *self)
{
    tsg_http_server_run (self->server);
}

int
agency_http_port (const agency_http_t *self)
{
    return tsg_http_server_port (self->server);
}

const tsg_http_limits_t *
agency_http_limits (const agency_http_t *self)
{
    return tsg_http_server_limits (self->server);
}
