/* The agency HTTP listener: libmicrohttpd on an epoll fd that the daemon's one loop polls,
 * with POSTed letters suspended until their group commit. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agency/daemon/http.h"
#include "agency/api/routes.h"

/* Every client of the API is on loopback, so most share 127.0.0.1: the per-address limit is
 * generous (tsunagu-bench --connections 1024 opens 256 to each of its four agencies), and the
 * request deadlines (tsg_http_limits.h) are what frees the slots a slow client holds. */
#define HTTP_CONNECTIONS_MAX 512
#define HTTP_PER_ADDRESS_MAX 256

struct _agency_http_t {
    tsg_agency_t *agency;      /* whose API this is (borrowed) */
    struct MHD_Daemon *daemon; /* libmicrohttpd, external epoll */
    tsg_http_limits_t *limits; /* connection limits and request deadlines */
    int epoll_fd;              /* the fd the loop polls */
    int port;                  /* the bound port */
};

/* One connection's request in progress. */
typedef struct {
    agency_http_t *http;               /* the listener */
    struct MHD_Connection *connection; /* the connection */
    char *body;                        /* the body read so far */
    size_t len;                        /* its length */
    size_t cap;                        /* allocated */
    bool too_large;                    /* past the limit: the rest is dropped */
    bool queued;                       /* an answer was queued */
    bool suspended;                    /* waiting for the group commit */
    bool answered;                     /* the commit's answer is in status/reply */
    int status;                        /* that answer's status */
    json_t *reply;                     /* and body */
} s_conn_t;

/* Queues the answer: the JSON body, or (when plain is given: owned) a text/plain one. */
static enum MHD_Result
s_queue (struct MHD_Connection *connection, int status, json_t *body, const char *allow,
         bool challenge, char *plain)
{
    char *text = plain ? plain : body ? json_dumps (body, JSON_COMPACT) : NULL;
    /* A refusal of new work says when to come back (routes.c: "retry_after_s"). */
    json_t *retry = body ? json_object_get (body, "retry_after_s") : NULL;
    char retry_after[24] = "";
    if (json_is_integer (retry) && json_integer_value (retry) > 0)
        snprintf (retry_after, sizeof retry_after, "%lld", (long long) json_integer_value (retry));
    json_decref (body);
    if (!text) {
        text = strdup ("{\"error\":\"internal\",\"message\":\"out of memory\"}");
        status = 500;
        if (!text)
            return MHD_NO;
    }
    struct MHD_Response *response =
        MHD_create_response_from_buffer (strlen (text), text, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free (text);
        return MHD_NO;
    }
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                             plain ? "text/plain; version=0.0.4; charset=utf-8"
                                   : "application/json; charset=utf-8");
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (allow)
        MHD_add_response_header (response, MHD_HTTP_HEADER_ALLOW, allow);
    if (challenge)
        MHD_add_response_header (response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                 "Bearer realm=\"tsunagu\"");
    if (retry_after[0])
        MHD_add_response_header (response, MHD_HTTP_HEADER_RETRY_AFTER, retry_after);
    enum MHD_Result rc = MHD_queue_response (connection, (unsigned) status, response);
    MHD_destroy_response (response);
    return rc;
}

static void
s_request (struct MHD_Connection *connection, const char *url, const char *method,
           const s_conn_t *conn, agency_http_request_t *req)
{
    memset (req, 0, sizeof *req);
    req->method = method;
    req->path = url;
    req->authorization =
        MHD_lookup_connection_value (connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    req->content_type =
        MHD_lookup_connection_value (connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    req->content_length =
        MHD_lookup_connection_value (connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    req->after = MHD_lookup_connection_value (connection, MHD_GET_ARGUMENT_KIND, "after");
    req->limit = MHD_lookup_connection_value (connection, MHD_GET_ARGUMENT_KIND, "limit");
    req->state = MHD_lookup_connection_value (connection, MHD_GET_ARGUMENT_KIND, "state");
    req->case_filter = MHD_lookup_connection_value (connection, MHD_GET_ARGUMENT_KIND, "case");
    if (conn) {
        req->body = conn->body;
        req->body_len = conn->len;
        req->too_large = conn->too_large;
    }
}

static enum MHD_Result
s_access (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    agency_http_t *self = cls;
    s_conn_t *conn = *con_cls;
    agency_http_request_t req;
    agency_http_reply_t reply;
    (void) version;

    if (!conn) {
        /* First call: headers only.  Answer now what needs no body. */
        conn = calloc (1, sizeof *conn);
        if (!conn)
            return MHD_NO;
        conn->http = self;
        conn->connection = connection;
        *con_cls = conn;
        tsg_http_limits_headers (self->limits, connection);
        s_request (connection, url, method, NULL, &req);
        if (agency_route_check (self->agency, &req, &reply)) {
            conn->queued = true;
            return s_queue (connection, reply.status, reply.body, reply.allow, reply.challenge,
                            reply.text);
        }
        return MHD_YES;
    }
    if (conn->answered) {
        /* Resumed after the group commit. */
        conn->answered = false;
        conn->queued = true;
        json_t *body = conn->reply;
        conn->reply = NULL;
        return s_queue (connection, conn->status, body, NULL, false, NULL);
    }
    if (conn->queued || conn->suspended) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (conn->too_large || conn->len + n > AGENCY_REQUEST_MAX) {
            conn->too_large = true;
            return MHD_YES;
        }
        if (conn->len + n + 1 > conn->cap) {
            size_t cap = conn->cap ? conn->cap : 4096;
            while (cap < conn->len + n + 1)
                cap *= 2;
            char *grown = realloc (conn->body, cap);
            if (!grown)
                return MHD_NO;
            conn->body = grown;
            conn->cap = cap;
        }
        memcpy (conn->body + conn->len, upload_data, n);
        conn->len += n;
        conn->body[conn->len] = '\0';
        return MHD_YES;
    }

    /* The whole request is in. */
    s_request (connection, url, method, conn, &req);
    agency_route (self->agency, &req, &reply);
    free (conn->body);
    conn->body = NULL;
    conn->len = conn->cap = 0;
    if (reply.pending) {
        reply.pending->conn = conn;
        conn->suspended = true;
        tsg_http_limits_hold (self->limits, connection);
        MHD_suspend_connection (connection);
        return MHD_YES;
    }
    conn->queued = true;
    return s_queue (connection, reply.status, reply.body, reply.allow, reply.challenge, reply.text);
}

static void
s_completed (void *cls, struct MHD_Connection *connection, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    agency_http_t *self = cls;
    (void) toe;
    tsg_http_limits_completed (self->limits, connection);
    s_conn_t *conn = *con_cls;
    if (!conn)
        return;
    free (conn->body);
    json_decref (conn->reply);
    free (conn);
    *con_cls = NULL;
}

void
agency_http_answer (void *arg, agency_pending_t *pending)
{
    (void) arg;
    s_conn_t *conn = pending->conn;
    if (!conn)
        return;
    conn->status = pending->status;
    conn->reply = pending->reply;
    pending->reply = NULL;
    conn->answered = true;
    conn->suspended = false;
    pending->conn = NULL;
    tsg_http_limits_release (conn->http->limits, conn->connection);
    MHD_resume_connection (conn->connection);
}

agency_http_t *
agency_http_new (tsg_agency_t *agency, const char *host, int port)
{
    struct sockaddr_storage addr;
    socklen_t addr_len;
    unsigned int flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    memset (&addr, 0, sizeof addr);
    struct sockaddr_in *v4 = (struct sockaddr_in *) &addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *) &addr;
    if (inet_pton (AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons ((uint16_t) port);
        addr_len = sizeof *v4;
    }
    else if (inet_pton (AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons ((uint16_t) port);
        addr_len = sizeof *v6;
        flags |= MHD_USE_IPv6;
    }
    else {
        log_warnx ("http: %s is not a numeric address", host);
        return NULL;
    }
    (void) addr_len;

    agency_http_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->agency = agency;
    self->limits = tsg_http_limits_new ("http", HTTP_CONNECTIONS_MAX, HTTP_PER_ADDRESS_MAX);
    if (!self->limits) {
        free (self);
        return NULL;
    }
    struct MHD_OptionItem limits[TSG_HTTP_LIMITS_OPTIONS];
    tsg_http_limits_options (self->limits, limits);
    self->daemon = MHD_start_daemon (
        flags, (uint16_t) port, NULL, NULL, s_access, self, MHD_OPTION_EXTERNAL_LOGGER,
        tsg_http_limits_log, self->limits, MHD_OPTION_ARRAY, limits, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *) &addr, MHD_OPTION_NOTIFY_COMPLETED, s_completed, self, MHD_OPTION_END);
    if (!self->daemon) {
        log_warnx ("http: cannot listen on %s port %d", host, port);
        tsg_http_limits_destroy (&self->limits);
        free (self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    self->epoll_fd = info ? info->epoll_fd : -1;
    info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : port;
    if (self->epoll_fd < 0) {
        log_warnx ("http: no epoll fd");
        agency_http_destroy (&self);
        return NULL;
    }
    log_info ("http: listening on %s port %d", host, self->port);
    return self;
}

void
agency_http_destroy (agency_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    agency_http_t *self = *self_p;
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    tsg_http_limits_destroy (&self->limits);
    free (self);
    *self_p = NULL;
}

int
agency_http_fd (const agency_http_t *self)
{
    return self->epoll_fd;
}

long
agency_http_timeout (agency_http_t *self)
{
    long deadline = tsg_http_limits_timeout (self->limits);
    MHD_UNSIGNED_LONG_LONG timeout;
    if (MHD_get_timeout (self->daemon, &timeout) != MHD_YES)
        return deadline;
    long mhd = timeout > 60000 ? 60000 : (long) timeout;
    return deadline >= 0 && deadline < mhd ? deadline : mhd;
}

void
agency_http_run (agency_http_t *self)
{
    tsg_http_limits_sweep (self->limits);
    MHD_run (self->daemon);
}

int
agency_http_port (const agency_http_t *self)
{
    return self->port;
}

const tsg_http_limits_t *
agency_http_limits (const agency_http_t *self)
{
    return self->limits;
}
