/* What keeps a libmicrohttpd server answering while clients misbehave: connection limits in
 * all and per client address, bounded headers, and a deadline for the whole request, which
 * libmicrohttpd lacks (its timeout is for idleness, which a client sending a byte every few
 * seconds never reaches).  Both HTTP servers (agency and coordinator) use it:
 *
 *     tsg_http_limits_t *limits = tsg_http_limits_new ("http", 512, 128);
 *     struct MHD_OptionItem items[TSG_HTTP_LIMITS_OPTIONS];
 *     tsg_http_limits_options (limits, items);
 *     daemon = MHD_start_daemon (flags, port, NULL, NULL, access, cls,
 *                                MHD_OPTION_EXTERNAL_LOGGER, tsg_http_limits_log, limits,
 *                                MHD_OPTION_ARRAY, items, ..., MHD_OPTION_END);
 *     // the access handler's first call of a request:  tsg_http_limits_headers (limits, c);
 *     // before MHD_suspend_connection, on resuming:      tsg_http_limits_hold / _release
 *     // MHD_OPTION_NOTIFY_COMPLETED:                     tsg_http_limits_completed (limits, c);
 *     // every turn of the loop, before MHD_run:         tsg_http_limits_sweep (limits);
 *     // the loop's timeout: the smaller of MHD_get_timeout and tsg_http_limits_timeout
 *     MHD_stop_daemon (daemon);
 *     tsg_http_limits_destroy (&limits);
 *
 * The deadline: the request line and headers must be in within TSG_HTTP_HEADERS_MS of the
 * connection opening (or of the previous answer on it, so an idle keep-alive connection goes
 * too), and the whole request, answer sent, within TSG_HTTP_REQUEST_MS.  While the server
 * itself holds a request (suspended, waiting for a commit) the clock stops; it starts again
 * from zero for the answer.  A connection past its deadline is shut down (shutdown(2) on its
 * socket), which libmicrohttpd sees as the client going away and closes at its next turn.
 *
 * Beyond the limits a new connection is accepted and closed at once: it is refused, never left
 * waiting in the kernel's queue (libmicrohttpd closes what is past the per-address limit, and
 * this table what is past the total, since libmicrohttpd at its own limit stops accepting).
 * libmicrohttpd's log lines go through a throttle (one line, then a count per minute), so a flood
 * of refusals cannot fill the log either. */
#ifndef TSG_HTTP_LIMITS_H_INCLUDED
#define TSG_HTTP_LIMITS_H_INCLUDED

#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSG_HTTP_HEADERS_MS     10000 /* request line and headers in, from the connection's start */
#define TSG_HTTP_REQUEST_MS     30000 /* the whole request, answer sent */
#define TSG_HTTP_IDLE_S         30    /* libmicrohttpd's own idle timeout */
#define TSG_HTTP_MEMORY_LIMIT   16384 /* bytes per connection: larger headers get 431 */
#define TSG_HTTP_LIMITS_OPTIONS 6     /* MHD_OptionItem entries tsg_http_limits_options fills */

typedef struct _tsg_http_limits_t tsg_http_limits_t;

/* Limits for one server: at most connections_max open connections, per_address_max of them
 * from one client address.  name prefixes its log lines ("http").  NULL when out of memory. */
tsg_http_limits_t *tsg_http_limits_new (const char *name, unsigned connections_max,
                                        unsigned per_address_max);

/* Frees the table; safe on NULL and twice.  Call it after MHD_stop_daemon (which reports
 * every connection closed). */
void tsg_http_limits_destroy (tsg_http_limits_t **self_p);

/* Fills items (TSG_HTTP_LIMITS_OPTIONS entries, the last MHD_OPTION_END) with the options
 * that set the limits, the idle timeout and the connection notifier; pass them as
 * MHD_OPTION_ARRAY.  self must outlive the daemon. */
void tsg_http_limits_options (tsg_http_limits_t *self, struct MHD_OptionItem *items);

/* MHD_OPTION_EXTERNAL_LOGGER with self as its argument (first among the options: libmicrohttpd
 * warns otherwise): each message once, then a count of its repeats at most once a minute,
 * prefixed with self's name. */
void tsg_http_limits_log (void *cls, const char *fmt, va_list ap);

/* The request line and headers of connection's current request are in: from now on only the
 * whole-request deadline applies.  Call it at the access handler's first call of a request. */
void tsg_http_limits_headers (tsg_http_limits_t *self, struct MHD_Connection *connection);

/* The server holds connection's request (call it before suspending it): no deadline until
 * tsg_http_limits_release, which gives the answer a whole TSG_HTTP_REQUEST_MS (call it when
 * resuming). */
void tsg_http_limits_hold (tsg_http_limits_t *self, struct MHD_Connection *connection);
void tsg_http_limits_release (tsg_http_limits_t *self, struct MHD_Connection *connection);

/* connection's request is answered (MHD_OPTION_NOTIFY_COMPLETED): the next request on it
 * starts its clock now. */
void tsg_http_limits_completed (tsg_http_limits_t *self, struct MHD_Connection *connection);

/* Shuts down every connection past its deadline and writes the log summaries that are due.
 * Cheap when no deadline has passed; call it every turn of the loop, before MHD_run. */
void tsg_http_limits_sweep (tsg_http_limits_t *self);

/* Milliseconds until the next deadline (0 when one has passed), or -1 when no connection
 * has one. */
long tsg_http_limits_timeout (const tsg_http_limits_t *self);

/* Connections open now; shut down for their deadline, and refused past connections_max, since
 * the start (for /metrics). */
size_t tsg_http_limits_open (const tsg_http_limits_t *self);
uint64_t tsg_http_limits_expired (const tsg_http_limits_t *self);
uint64_t tsg_http_limits_refused (const tsg_http_limits_t *self);

#endif
