/* ZeroMQ endpoints as the daemons use them, checked before any socket exists, so that a
 * configuration check (-n) refuses what start-up would refuse, with a reason. */
#ifndef TSG_ENDPOINT_H_INCLUDED
#define TSG_ENDPOINT_H_INCLUDED

#include <stdbool.h>

/* Checks endpoint for zmq_bind (bind true: the coordinator's ROUTER) or zmq_connect (bind
 * false: what agencies dial).  Accepted:
 *
 *   tcp://HOST:PORT  PORT a number from 1 to 65535; HOST, for a bind, "*", an IPv4 address of
 *                    this machine or a network interface name (libzmq takes no host names
 *                    there); for a connect, an IPv4 address or a host name (not resolved: the
 *                    link retries until it resolves).  IPv6 is refused: the sockets do not
 *                    turn ZMQ_IPV6 on.
 *   ipc://PATH       PATH not empty and short enough for a Unix socket address.
 *
 * Returns NULL when endpoint is fine, else a static English phrase saying what is wrong.
 * Touches no port: "an address of this machine" is tried with a bind to port 0 of a socket
 * that is closed at once, so a daemon already listening on the endpoint does not matter. */
const char *tsg_endpoint_check (const char *endpoint, bool bind);

#endif
