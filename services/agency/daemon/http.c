/* http.c — the agency's API on the common HTTP adapter (tsg_http_server.h): its connection
 * limits, each request handed to the routes (api/routes.h) in two steps, and a POSTed letter's
 * request held until its group commit answers it.  Owns nothing but the choice of limits and
 * the translation between the adapter's requests and the routes'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency/api/routes.h"
#include "agency/api/views.h"
#include "agency/core/outbound.h"
#include "agency/daemon/http.h"
#include "tsunagu/tsg_http_server.h"

/* Every client of the API is on loopback, so most share 127.0.0.1: the per-address limit is
 * generous (tsunagu-bench --connections 1024 opens 256 to each of its four agencies), and the
 * request deadlines (tsg_http_limits.h) are what frees the slots a slow client holds. */
#define HTTP_CONNECTIONS_MAX 512
#define HTTP_PER_ADDRESS_MAX 256

#define AGENCY_EVENTS_HELD_MAX 64 /* GET /v1/events long-polls held at once; past it answered */

#define TEXT_PLAIN "text/plain; version=0.0.4; charset=utf-8"

/* A GET /v1/events long-poll held until an event past its cursor is committed or its wait
 * ends. */
typedef struct {
    tsg_http_exchange_t *exchange; /* the held request */
    uint64_t after;                /* its cursor */
    size_t limit;                  /* its limit */
    uint64_t deadline;             /* monotonic ms: answer (with no events) by then */
} s_waiter_t;

struct _agency_http_t {
    tsg_agency_t *agency;                       /* whose API this is (borrowed) */
    tsg_http_server_t *server;                  /* the adapter */
    s_waiter_t waiters[AGENCY_EVENTS_HELD_MAX]; /* the long-polls held, in no order */
    size_t waiting;                             /* how many (also in agency->events_held) */
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
        .from = tsg_http_arg (req, "from"),
        .to = tsg_http_arg (req, "to"),
        .direction = tsg_http_arg (req, "direction"),
        .encoding = tsg_http_arg (req, "encoding"),
        .personal = tsg_http_arg (req, "personal"),
        .wait = tsg_http_arg (req, "wait"),
        .mapping = tsg_http_arg (req, "mapping"),
        .dry_run = tsg_http_arg (req, "dry_run"),
        .body = req->body,
        .body_len = req->body_len,
        .too_large = req->too_large,
    };
}

/* The adapter's answer for a JSON body (stolen; its "retry_after_s" becomes Retry-After) or,
 * when text is given (stolen), a text/plain one.  Every answer of the API passes here: an
 * error (>= 400) is counted for /metrics by its status and code. */
static void
s_response (tsg_agency_t *agency, int status, json_t *body, char *text, tsg_http_response_t *out)
{
    if (status >= 400)
        agency_metrics_count_refusal (agency, status, body);
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
    s_response (self->agency, reply.status, reply.body, reply.text, response);
    response->allow = reply.allow;
    response->challenge = reply.challenge;
    return TSG_HTTP_ANSWER;
}

/* Answers the i-th held long-poll with the feed as it is now and lets its slot go. */
static void
s_wake (agency_http_t *self, size_t i)
{
    s_waiter_t *w = &self->waiters[i];
    int status = 500;
    size_t count = 0;
    json_t *body = agency_events_list (self->agency, w->after, w->limit, &status, &count);
    tsg_http_response_t response = { 0 };
    s_response (self->agency, status, body, NULL, &response);
    tsg_http_server_answer (w->exchange, &response);
    self->waiters[i] = self->waiters[--self->waiting];
    self->agency->events_held = self->waiting;
}

/* Holds a long-poll (the reply's body is dropped: the answer is read again when it is given);
 * false when AGENCY_EVENTS_HELD_MAX are held already (then it is answered at once). */
static bool
s_hold (agency_http_t *self, tsg_http_exchange_t *exchange, const agency_http_reply_t *reply)
{
    if (self->waiting >= AGENCY_EVENTS_HELD_MAX)
        return false;
    self->waiters[self->waiting++] =
        (s_waiter_t){ .exchange = exchange,
                      .after = reply->wait_after,
                      .limit = reply->wait_limit,
                      .deadline = agency_now_mono () + reply->wait_s * 1000ULL };
    self->agency->events_held = self->waiting;
    json_decref (reply->body);
    return true;
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
    if (reply.wait_s > 0 && s_hold (self, req->exchange, &reply))
        return TSG_HTTP_HOLD;
    s_response (self->agency, reply.status, reply.body, reply.text, response);
    response->allow = reply.allow;
    response->challenge = reply.challenge;
    if (reply.text && reply.text_type) {
        response->content_type = reply.text_type; /* a CSV file, a FHIR Bundle */
        response->body_len = reply.text_len;
    }
    response->headers = reply.headers;
    return TSG_HTTP_ANSWER;
}

void
agency_http_answer (void *arg, agency_pending_t *pending)
{
    agency_http_t *self = arg;
    tsg_http_exchange_t *exchange = pending->conn;
    if (!exchange)
        return;
    tsg_http_response_t response = { 0 };
    s_response (self->agency, pending->status, pending->reply, NULL, &response);
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
                                        .body_max = AGENCY_BODY_MAX,
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
    while ((*self_p)->waiting > 0)
        s_wake (*self_p, 0); /* the server may hold no request when it goes */
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
    long timeout = tsg_http_server_timeout (self->server);
    uint64_t now = agency_now_mono ();
    for (size_t i = 0; i < self->waiting; i++) {
        uint64_t deadline = self->waiters[i].deadline;
        long left = deadline > now ? (long) (deadline - now) : 0;
        if (timeout < 0 || left < timeout)
            timeout = left;
    }
    return timeout;
}

void
agency_http_run (agency_http_t *self)
{
    uint64_t now = agency_now_mono ();
    for (size_t i = self->waiting; i-- > 0;)
        if (self->waiters[i].deadline <= now)
            s_wake (self, i);
    tsg_http_server_run (self->server);
}

void
agency_http_events (agency_http_t *self)
{
    if (!self || self->waiting == 0)
        return;
    uint64_t last = agency_events_last_committed (self->agency);
    bool woke = false;
    for (size_t i = self->waiting; i-- > 0;)
        if (self->waiters[i].after < last) {
            s_wake (self, i);
            woke = true;
        }
    if (woke)
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
