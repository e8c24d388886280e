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

#endif
