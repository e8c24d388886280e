/* The agency's link to the coordinator: one ZeroMQ DEALER with CURVE, heartbeats and
 * non-blocking sends. */
#ifndef AGENCY_DAEMON_LINK_H_INCLUDED
#define AGENCY_DAEMON_LINK_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "agency/core/agency.h"

/* Connects to endpoint as a CURVE client of server_key with the agency's box keys.
 * NULL (logged) on failure. */
agency_link_t *agency_link_new (const char *endpoint, const uint8_t server_key[32],
                                const tsg_keys_t *keys);

/* Closes at once (linger 0); safe on NULL and twice. */
void agency_link_destroy (agency_link_t **self_p);

/* The socket, for zmq_poll. */
void *agency_link_socket (agency_link_t *self);

/* agency_send_fn: sends one envelope as a one-frame message without blocking.
 * 0 when queued, -1 when the socket cannot take it now. */
int agency_link_send (void *self, const uint8_t *data, size_t len);

/* Receives one frame into msg without blocking (msg must be initialised).
 * Its size, or -1 when nothing is waiting. */
int agency_link_recv (agency_link_t *self, zmq_msg_t *msg);

/* The coordinator's CURVE server key (server_key) and the next one a hand-over of its keys
 * names (NULL: none).  Connects again at once, with server_key, when the connection used
 * another; while next is set, each reconnect of agency_link_check tries the other of the two
 * (the coordinator switches when every agency holds next, or at its deadline). */
void agency_link_set_server_keys (agency_link_t *self, const uint8_t server_key[32],
                                  const uint8_t next[32]);

#define AGENCY_LINK_PATIENCE_MS     10000 /* silence after a (re)connect before connecting again */
#define AGENCY_LINK_PATIENCE_MAX_MS 60000 /* ... doubling up to this while the silence lasts */

/* Connects again when nothing came from the coordinator (last_heard_ms, monotonic; 0: never)
 * since the link last (re)connected and its patience has run out: libzmq does not retry a
 * handshake the coordinator refused, so an agency that was pending or suspended when it
 * connected would otherwise never be heard after its approval or resumption.  The patience
 * doubles while the silence lasts and is back to AGENCY_LINK_PATIENCE_MS once the
 * coordinator is heard.  True when it connected again. */
bool agency_link_check (agency_link_t *self, uint64_t last_heard_ms, uint64_t now_ms);

#endif
