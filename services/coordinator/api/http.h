/* The coordinator's HTTP listener: libmicrohttpd on an epoll fd that the hub's one loop polls
 * (no thread of its own), serving the routes of api.h. */
#ifndef TSG_HUB_HTTP_H_INCLUDED
#define TSG_HUB_HTTP_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "coordinator/api/api.h"
#include "tsunagu/tsg_http_limits.h"

typedef struct _tsg_hub_http_t tsg_hub_http_t;

/* Splits "HOST:PORT" (numeric IPv4, [IPv6]:PORT, or localhost; port 0..65535, 0 picks one)
 * into host (size bytes; localhost becomes 127.0.0.1) and *port.  False when it is not one. */
bool tsg_hub_http_listen_parse (const char *text, char *host, size_t size, int *port);

/* True when host is a loopback address (127.0.0.0/8 or ::1). */
bool tsg_hub_http_loopback (const char *host);

/* Starts listening on listen ("HOST:PORT"), answering with api (borrowed: it must outlive
 * the listener).  NULL (logged) on failure. */
tsg_hub_http_t *tsg_hub_http_new (const tsg_hub_api_t *api, const char *listen);

/* Stops listening and closes every connection; safe on NULL and twice. */
void tsg_hub_http_destroy (tsg_hub_http_t **self_p);

/* The fd to poll for reading, and how long until libmicrohttpd must run again or a request
 * reaches its deadline (tsg_http_limits.h) (ms; -1: no deadline). */
int tsg_hub_http_fd (const tsg_hub_http_t *self);
long tsg_hub_http_timeout (tsg_hub_http_t *self);

/* Shuts down the connections past their deadline and does every piece of HTTP work that is
 * ready, without blocking.  Call it every turn of the loop. */
void tsg_hub_http_run (tsg_hub_http_t *self);

/* The port actually bound. */
int tsg_hub_http_port (const tsg_hub_http_t *self);

/* Its connection limits and deadlines, for their counters (tsg_http_limits_open, _expired,
 * _refused in /metrics). */
const tsg_http_limits_t *tsg_hub_http_limits (const tsg_hub_http_t *self);

#endif
