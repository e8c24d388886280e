/* http.c — libmicrohttpd in external-epoll mode for the coordinator's read-only API. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "coordinator/api/http.h"

/* The dashboard and /metrics may be reached from other hosts: each address gets a quarter of
 * the connections at most, and the request deadlines (tsg_http_limits.h) free what a slow
 * client holds. */
#define HTTP_CONNECTIONS_MAX 256
#define HTTP_PER_ADDRESS_MAX 64

struct _tsg_hub_http_t {
    const tsg_hub_api_t *api;  /* what the routes read (borrowed) */
    struct MHD_Daemon *daemon; /* libmicrohttpd */
    tsg_http_limits_t *limits; /* connection limits and request deadlines */
    int epoll_fd;              /* the fd the loop polls */
    int port;                  /* the bound port */
};

bool
tsg_hub_http_listen_parse (const char *text, char *host, size_t size, int *port)
{
    if (!text)
        return false;
    const char *colon;
    size_t host_len;
    if (text[0] == '[') {
        const char *close = strchr (text, ']');
        if (!close || close[1] != ':')
            return false;
        colon = close + 1;
        text++;
        host_len = (size_t) (close - text);
    }
    else {
        colon = strrchr (text, ':');
        if (!colon)
            return false;
        host_len = (size_t) (colon - text);
    }
    if (host_len == 0 || host_len >= size)
        return false;
    memcpy (host, text, host_len);
    host[host_len] = '\0';
    if (strcmp (host, "localhost") == 0 && size > 9)
        memcpy (host, "127.0.0.1", 10);
    char *end = NULL;
    long value = strtol (colon + 1, &end, 10);
    if (colon[1] == '\0' || !end || *end || value < 0 || value > 65535)
        return false;
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton (AF_INET, host, &v4) != 1 && inet_pton (AF_INET6, host, &v6) != 1)
        return false;
    *port = (int) value;
    return true;
}

bool
tsg_hub_http_loopback (const char *host)
{
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton (AF_INET, host, &v4) == 1)
        return (ntohl (v4.s_addr) >> 24) == 127;
    return inet_pton (AF_INET6, host, &v6) == 1 && IN6_IS_ADDR_LOOPBACK (&v6);
}

/* tsg_hub_request_t.arg over a connection's query. */
static const char *
s_query (void *cls, const char *name)
{
    return MHD_lookup_connection_value (cls, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result
s_access (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    tsg_hub_http_t *self = cls;
    (void) version;
    (void) upload_data;
    /* Every route is answered from the headers; a body is read and dropped. */
    if (*con_cls) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    *con_cls = self;
    tsg_http_limits_headers (self->limits, connection);
    tsg_hub_request_t req = {
        .method = method,
        .path = url,
        .authorization = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                      MHD_HTTP_HEADER_AUTHORIZATION),
        .arg = s_query,
        .arg_cls = connection,
    };
    tsg_hub_reply_t reply;
    tsg_hub_api_handle (self->api, &req, &reply);
    if (!reply.body)
        return MHD_NO;
    struct MHD_Response *response =
        MHD_create_response_from_buffer (strlen (reply.body), reply.body, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free (reply.body);
        return MHD_NO;
    }
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type);
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (reply.allow)
        MHD_add_response_header (response, MHD_HTTP_HEADER_ALLOW, reply.allow);
    if (reply.challenge)
        MHD_add_response_header (response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                 "Bearer realm=\"tsunagu\"");
    enum MHD_Result rc = MHD_queue_response (connection, (unsigned) reply.status, response);
    MHD_destroy_response (response);
    return rc;
}

/* MHD_OPTION_NOTIFY_COMPLETED: the next request on the connection starts its clock. */
static void
s_completed (void *cls, struct MHD_Connection *connection, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    tsg_hub_http_t *self = cls;
    (void) con_cls;
    (void) toe;
    tsg_http_limits_completed (self->limits, connection);
}

tsg_hub_http_t *
tsg_hub_http_new (const tsg_hub_api_t *api, const char *listen)
{
    char host[64];
    int port = 0;
    if (!tsg_hub_http_listen_parse (listen, host, sizeof host, &port)) {
        log_warnx ("http: \"%s\" is not HOST:PORT with a numeric host", listen ? listen : "");
        return NULL;
    }
    struct sockaddr_storage addr;
    memset (&addr, 0, sizeof addr);
    struct sockaddr_in *v4 = (struct sockaddr_in *) &addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *) &addr;
    unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (inet_pton (AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons ((uint16_t) port);
    }
    else {
        inet_pton (AF_INET6, host, &v6->sin6_addr);
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons ((uint16_t) port);
        flags |= MHD_USE_IPv6;
    }
    if (!tsg_hub_http_loopback (host))
        log_info ("http: listening on %s, which is not a loopback address", host);

    tsg_hub_http_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->api = api;
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
        log_warnx ("http: cannot listen on %s", listen);
        tsg_http_limits_destroy (&self->limits);
        free (self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    self->epoll_fd = info ? info->epoll_fd : -1;
    info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : port;
    if (self->epoll_fd < 0) {
        log_warnx ("http: libmicrohttpd gave no epoll fd");
        tsg_hub_http_destroy (&self);
        return NULL;
    }
    log_info ("http: listening on %s port %d", host, self->port);
    return self;
}

void
tsg_hub_http_destroy (tsg_hub_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    if ((*self_p)->daemon)
        MHD_stop_daemon ((*self_p)->daemon);
    tsg_http_limits_destroy (&(*self_p)->limits);
    free (*self_p);
    *self_p = NULL;
}

int
tsg_hub_http_fd (const tsg_hub_http_t *self)
{
    return self->epoll_fd;
}

long
tsg_hub_http_timeout (tsg_hub_http_t *self)
{
    long deadline = tsg_http_limits_timeout (self->limits);
    MHD_UNSIGNED_LONG_LONG timeout;
    if (MHD_get_timeout (self->daemon, &timeout) != MHD_YES)
        return deadline;
    long mhd = timeout > 60000 ? 60000 : (long) timeout;
    return deadline >= 0 && deadline < mhd ? deadline : mhd;
}

void
tsg_hub_http_run (tsg_hub_http_t *self)
{
    tsg_http_limits_sweep (self->limits);
    MHD_run (self->daemon);
}

int
tsg_hub_http_port (const tsg_hub_http_t *self)
{
    return self->port;
}

const tsg_http_limits_t *
tsg_hub_http_limits (const tsg_hub_http_t *self)
{
    return self->limits;
}
