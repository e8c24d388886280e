/* http_server.c — libmicrohttpd in the caller's loop (tsg_http_server.h): the daemon in
 * external-epoll mode, one exchange per request (its body, whether it was answered or is held),
 * answers turned into libmicrohttpd responses.  Owns the daemon, its limits and the exchanges;
 * the only file of the project that calls libmicrohttpd's request API. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tsunagu/tsg_http_server.h"
#include "tsunagu/tsg_log.h"

struct _tsg_http_server_t {
    tsg_http_server_config_t config; /* as given (its strings and arg borrowed) */
    struct MHD_Daemon *daemon;       /* libmicrohttpd, external epoll */
    tsg_http_limits_t *limits;       /* connection limits and request deadlines */
    int epoll_fd;                    /* the fd the loop polls */
    int port;                        /* the bound port */
    bool tls;                        /* serving HTTPS */
};

struct _tsg_http_exchange_t {
    tsg_http_server_t *server;         /* the server */
    struct MHD_Connection *connection; /* the connection */
    char *body;                        /* the body read so far */
    size_t len;                        /* its length */
    size_t cap;                        /* allocated */
    bool too_large;                    /* past body_max: the rest is dropped */
    bool queued;                       /* an answer was queued: the rest of a body is dropped */
    bool held;                         /* suspended until tsg_http_server_answer */
    bool answered;                     /* a held request's answer waits in response */
    tsg_http_response_t response;      /* that answer (its body owned) */
};

/* Why a response could not be made: the body of a 500. */
#define HTTP_NOMEM_BODY "{\"error\":\"internal\",\"message\":\"out of memory\"}"

const char *
tsg_http_header (const tsg_http_request_t *req, const char *name)
{
    return MHD_lookup_connection_value (req->exchange->connection, MHD_HEADER_KIND, name);
}

const char *
tsg_http_arg (const tsg_http_request_t *req, const char *name)
{
    return MHD_lookup_connection_value (req->exchange->connection, MHD_GET_ARGUMENT_KIND, name);
}

const char *
tsg_http_cookie (const tsg_http_request_t *req, const char *name)
{
    return MHD_lookup_connection_value (req->exchange->connection, MHD_COOKIE_KIND, name);
}

void
tsg_http_client_address (const tsg_http_request_t *req, char *out, size_t size)
{
    if (size == 0)
        return;
    out[0] = '\0';
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info (req->exchange->connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop (AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, out, (socklen_t) size);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop (AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr, out, (socklen_t) size);
}

/* What tsg_http_args_each walks with. */
typedef struct {
    tsg_http_arg_fn *fn; /* the caller's function */
    void *arg;           /* its argument */
} s_each_t;

static enum MHD_Result
s_each (void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    s_each_t *each = cls;
    (void) kind;
    return each->fn (each->arg, key, value) ? MHD_YES : MHD_NO;
}

void
tsg_http_args_each (const tsg_http_request_t *req, tsg_http_arg_fn *fn, void *arg)
{
    s_each_t each = { fn, arg };
    MHD_get_connection_values (req->exchange->connection, MHD_GET_ARGUMENT_KIND, s_each, &each);
}

/* True when c may appear in a header name (RFC 9110 token). */
static bool
s_token_char (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Adds each "Name: value" line of lines to response; drops (and logs) any other line. */
static void
s_add_headers (struct MHD_Response *response, char *lines)
{
    for (char *line = lines; line && *line;) {
        char *end = strchr (line, '\n');
        if (end)
            *end = '\0';
        char *colon = strchr (line, ':');
        bool ok = colon && colon > line && !strchr (line, '\r');
        for (char *c = line; ok && c < colon; c++)
            ok = s_token_char (*c);
        if (ok) {
            *colon = '\0';
            const char *value = colon + 1;
            while (*value == ' ')
                value++;
            MHD_add_response_header (response, line, value);
        }
        else
            log_warnx ("http: a malformed response header line was dropped");
        line = end ? end + 1 : NULL;
    }
}

/* Queues *res on connection (taking its body and headers).  MHD_NO when not even the 500
 * could be made. */
static enum MHD_Result
s_queue (struct MHD_Connection *connection, tsg_http_response_t *res)
{
    char *text = res->body;
    int status = res->status;
    size_t len = text ? (res->body_len ? res->body_len : strlen (text)) : 0;
    const char *type = res->content_type ? res->content_type : "application/json; charset=utf-8";
    res->body = NULL;
    char *headers = res->headers;
    res->headers = NULL;
    if (!text) {
        text = strdup (HTTP_NOMEM_BODY);
        status = 500;
        type = "application/json; charset=utf-8";
        free (headers);
        headers = NULL;
        if (!text)
            return MHD_NO;
        len = strlen (text);
    }
    struct MHD_Response *response =
        MHD_create_response_from_buffer (len, text, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free (text);
        free (headers);
        return MHD_NO;
    }
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL,
                             res->cache ? res->cache : "no-store");
    s_add_headers (response, headers);
    free (headers);
    if (res->allow)
        MHD_add_response_header (response, MHD_HTTP_HEADER_ALLOW, res->allow);
    if (res->challenge)
        MHD_add_response_header (response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                 "Bearer realm=\"tsunagu\"");
    if (res->retry_after_s > 0) {
        char retry_after[24];
        snprintf (retry_after, sizeof retry_after, "%u", res->retry_after_s);
        MHD_add_response_header (response, MHD_HTTP_HEADER_RETRY_AFTER, retry_after);
    }
    enum MHD_Result rc = MHD_queue_response (connection, (unsigned) status, response);
    MHD_destroy_response (response);
    return rc;
}

/* Keeps n more bytes of the body (up to body_max; past it, too_large and dropped).  False
 * when memory ran out. */
static bool
s_append (tsg_http_exchange_t *ex, const char *data, size_t n)
{
    if (ex->too_large || ex->len + n > ex->server->config.body_max) {
        ex->too_large = true;
        return true;
    }
    if (ex->len + n + 1 > ex->cap) {
        size_t cap = ex->cap ? ex->cap : 4096;
        while (cap < ex->len + n + 1)
            cap *= 2;
        char *grown = realloc (ex->body, cap);
        if (!grown)
            return false;
        ex->body = grown;
        ex->cap = cap;
    }
    memcpy (ex->body + ex->len, data, n);
    ex->len += n;
    ex->body[ex->len] = '\0';
    return true;
}

/* The first call of a request: its headers are in.  The headers step may answer now. */
static enum MHD_Result
s_begin (tsg_http_server_t *self, struct MHD_Connection *connection, const char *url,
         const char *method, void **con_cls)
{
    tsg_http_exchange_t *ex = calloc (1, sizeof *ex);
    if (!ex)
        return MHD_NO;
    ex->server = self;
    ex->connection = connection;
    *con_cls = ex;
    tsg_http_limits_headers (self->limits, connection);
    if (!self->config.headers)
        return MHD_YES;
    tsg_http_request_t req = { .method = method, .path = url, .tls = self->tls, .exchange = ex };
    tsg_http_response_t res = { 0 };
    if (self->config.headers (self->config.arg, &req, &res) != TSG_HTTP_ANSWER) {
        free (res.body);
        free (res.headers);
        return MHD_YES;
    }
    ex->queued = true;
    return s_queue (connection, &res);
}

/* The whole request is in: the request step answers or holds it. */
static enum MHD_Result
s_complete (tsg_http_server_t *self, tsg_http_exchange_t *ex, const char *url, const char *method)
{
    tsg_http_request_t req = { .method = method,
                               .path = url,
                               .body = ex->body,
                               .body_len = ex->len,
                               .too_large = ex->too_large,
                               .tls = self->tls,
                               .exchange = ex };
    tsg_http_response_t res = { 0 };
    tsg_http_step_t step = TSG_HTTP_ANSWER;
    if (self->config.request)
        step = self->config.request (self->config.arg, &req, &res);
    free (ex->body);
    ex->body = NULL;
    ex->len = ex->cap = 0;
    if (step == TSG_HTTP_HOLD && self->config.may_hold) {
        free (res.body);
        free (res.headers);
        ex->held = true;
        tsg_http_limits_hold (self->limits, ex->connection);
        MHD_suspend_connection (ex->connection);
        return MHD_YES;
    }
    ex->queued = true;
    return s_queue (ex->connection, &res);
}

static enum MHD_Result
s_access (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    tsg_http_server_t *self = cls;
    tsg_http_exchange_t *ex = *con_cls;
    (void) version;
    if (!ex)
        return s_begin (self, connection, url, method, con_cls);
    if (ex->answered) {
        /* Resumed with its answer. */
        ex->answered = false;
        ex->queued = true;
        return s_queue (connection, &ex->response);
    }
    if (ex->queued || ex->held) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        return s_append (ex, upload_data, n) ? MHD_YES : MHD_NO;
    }
    return s_complete (self, ex, url, method);
}

/* MHD_OPTION_NOTIFY_COMPLETED: the next request on the connection starts its clock, and the
 * exchange goes. */
static void
s_completed (void *cls, struct MHD_Connection *connection, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    tsg_http_server_t *self = cls;
    (void) toe;
    tsg_http_limits_completed (self->limits, connection);
    tsg_http_exchange_t *ex = *con_cls;
    if (!ex)
        return;
    free (ex->body);
    free (ex->response.body);
    free (ex->response.headers);
    free (ex);
    *con_cls = NULL;
}

void
tsg_http_server_answer (tsg_http_exchange_t *ex, tsg_http_response_t *response)
{
    free (ex->response.body);
    free (ex->response.headers);
    ex->response = *response;
    response->body = NULL;
    response->headers = NULL;
    ex->answered = true;
    ex->held = false;
    tsg_http_limits_release (ex->server->limits, ex->connection);
    MHD_resume_connection (ex->connection);
}

/* Fills addr for host:port; *flags gains MHD_USE_IPv6 for an IPv6 host.  False when host is
 * not a numeric address. */
static bool
s_address (const char *host, int port, struct sockaddr_storage *addr, unsigned int *flags)
{
    memset (addr, 0, sizeof *addr);
    struct sockaddr_in *v4 = (struct sockaddr_in *) addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *) addr;
    if (host && inet_pton (AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons ((uint16_t) port);
        return true;
    }
    if (host && inet_pton (AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons ((uint16_t) port);
        *flags |= MHD_USE_IPv6;
        return true;
    }
    return false;
}

tsg_http_server_t *
tsg_http_server_new (const tsg_http_server_config_t *config)
{
    const char *name = config->name ? config->name : "http";
    struct sockaddr_storage addr;
    unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (config->may_hold)
        flags |= MHD_ALLOW_SUSPEND_RESUME;
    bool tls = config->tls_cert_pem && config->tls_key_pem;
    if (tls)
        flags |= MHD_USE_TLS;
    if (!s_address (config->host, config->port, &addr, &flags)) {
        log_warnx ("%s: %s is not a numeric address", name, config->host ? config->host : "");
        return NULL;
    }
    tsg_http_server_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->config = *config;
    self->config.name = name;
    self->config.tls_cert_pem = self->config.tls_key_pem = NULL; /* read here only */
    self->tls = tls;
    self->limits = tsg_http_limits_new (name, config->connections_max, config->per_address_max);
    if (!self->limits) {
        free (self);
        return NULL;
    }
    struct MHD_OptionItem limits[TSG_HTTP_LIMITS_OPTIONS + 3];
    tsg_http_limits_options (self->limits, limits);
    if (tls) {
        /* The limits' array ends with MHD_OPTION_END: the key and certificate go before it. */
        size_t end = 0;
        while (limits[end].option != MHD_OPTION_END)
            end++;
        limits[end++] =
            (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *) config->tls_key_pem };
        limits[end++] =
            (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *) config->tls_cert_pem };
        limits[end] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
    }
    self->daemon = MHD_start_daemon (
        flags, (uint16_t) config->port, NULL, NULL, s_access, self, MHD_OPTION_EXTERNAL_LOGGER,
        tsg_http_limits_log, self->limits, MHD_OPTION_ARRAY, limits, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *) &addr, MHD_OPTION_NOTIFY_COMPLETED, s_completed, self, MHD_OPTION_END);
    if (!self->daemon) {
        log_warnx ("%s: cannot listen on %s port %d", name, config->host, config->port);
        tsg_http_limits_destroy (&self->limits);
        free (self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    self->epoll_fd = info ? info->epoll_fd : -1;
    info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : config->port;
    if (self->epoll_fd < 0) {
        log_warnx ("%s: libmicrohttpd gave no epoll fd", name);
        tsg_http_server_destroy (&self);
        return NULL;
    }
    log_info ("%s: listening on %s port %d%s", name, config->host, self->port,
              tls ? " (HTTPS)" : "");
    self->config.host = NULL; /* read here only */
    return self;
}

void
tsg_http_server_destroy (tsg_http_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_http_server_t *self = *self_p;
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    tsg_http_limits_destroy (&self->limits);
    free (self);
    *self_p = NULL;
}

int
tsg_http_server_fd (const tsg_http_server_t *self)
{
    return self->epoll_fd;
}

long
tsg_http_server_timeout (tsg_http_server_t *self)
{
    long deadline = tsg_http_limits_timeout (self->limits);
    MHD_UNSIGNED_LONG_LONG timeout;
    if (MHD_get_timeout (self->daemon, &timeout) != MHD_YES)
        return deadline;
    long mhd = timeout > 60000 ? 60000 : (long) timeout;
    return deadline >= 0 && deadline < mhd ? deadline : mhd;
}

void
tsg_http_server_run (tsg_http_server_t *self)
{
    tsg_http_limits_sweep (self->limits);
    MHD_run (self->daemon);
}

int
tsg_http_server_port (const tsg_http_server_t *self)
{
    return self->port;
}

const tsg_http_limits_t *
tsg_http_server_limits (const tsg_http_server_t *self)
{
    return self->limits;
}
