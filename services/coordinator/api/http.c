/* http.c — the coordinator's read-only API on the common HTTP adapter (tsg_http_server.h):
 * its listen address, its connection limits, and each request handed to the routes (api.h)
 * as soon as its headers are in.  Owns nothing but the choice of limits. */
#include <arpa/inet.h>
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

/* tsg_hub_request_t.arg over the request's query (cls: the tsg_http_request_t). */
static const char *
s_query (void *cls, const char *name)
{
    return tsg_http_arg (cls, name);
}

void
tsg_hub_http_api (const tsg_hub_api_t *api, const tsg_http_request_t *req,
                  tsg_http_response_t *response)
{
    tsg_hub_request_t request = {
        .method = req->method,
        .path = req->path,
        .authorization = tsg_http_header (req, "Authorization"),
        .arg = s_query,
        .arg_cls = (void *) req,
    };
    tsg_hub_reply_t reply;
    tsg_hub_api_handle (api, &request, &reply);
    response->status = reply.status;
    response->body = reply.body;
    response->content_type = reply.content_type;
    response->allow = reply.allow;
    response->challenge = reply.challenge;
}

/* tsg_http_handler_fn: every route is answered from the headers (arg: the api). */
static tsg_http_step_t
s_headers (void *arg, const tsg_http_request_t *req, tsg_http_response_t *response)
{
    tsg_hub_http_api (arg, req, response);
    return TSG_HTTP_ANSWER;
}

tsg_http_server_t *
tsg_hub_http_new (const tsg_hub_api_t *api, const char *listen)
{
    char host[64];
    int port = 0;
    if (!tsg_hub_http_listen_parse (listen, host, sizeof host, &port)) {
        log_warnx ("http: \"%s\" is not HOST:PORT with a numeric host", listen ? listen : "");
        return NULL;
    }
    if (!tsg_hub_http_loopback (host))
        log_info ("http: listening on %s, which is not a loopback address", host);
    tsg_http_server_config_t config = { .name = "http",
                                        .host = host,
                                        .port = port,
                                        .connections_max = HTTP_CONNECTIONS_MAX,
                                        .per_address_max = HTTP_PER_ADDRESS_MAX,
                                        .headers = s_headers,
                                        .arg = (void *) api };
    return tsg_http_server_new (&config);
}
