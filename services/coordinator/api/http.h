/* The coordinator's HTTP listener: the routes of api.h served by the common adapter
 * (tsg_http_server.h: libmicrohttpd on an epoll fd that the hub's one loop polls, no thread of
 * its own).  The daemon runs the returned server with tsg_http_server_fd, _timeout, _run. */
#ifndef TSG_HUB_HTTP_H_INCLUDED
#define TSG_HUB_HTTP_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "coordinator/api/api.h"
#include "tsunagu/tsg_http_server.h"

/* Splits "HOST:PORT" (numeric IPv4, [IPv6]:PORT, or localhost; port 0..65535, 0 picks one)
 * into host (size bytes; localhost becomes 127.0.0.1) and *port.  False when it is not one. */
bool tsg_hub_http_listen_parse (const char *text, char *host, size_t size, int *port);

/* True when host is a loopback address (127.0.0.0/8 or ::1). */
bool tsg_hub_http_loopback (const char *host);

/* Answers req, a request of the API's routes, into *response (the web's listener serves the
 * API through this too). */
void tsg_hub_http_api (const tsg_hub_api_t *api, const tsg_http_request_t *req,
                       tsg_http_response_t *response);

/* Starts listening on listen ("HOST:PORT"), answering every request from its headers with
 * api (borrowed: it must outlive the server; a body is read and dropped).  At most 256
 * connections, 64 from one address.  NULL (logged) on failure.  The caller destroys it with
 * tsg_http_server_destroy. */
tsg_http_server_t *tsg_hub_http_new (const tsg_hub_api_t *api, const char *listen);

#endif
