/* The ZAP handler (ZeroMQ RFC 27): admits only CURVE clients whose key belongs to an active agency.
 */
#ifndef TSG_HUB_ZAP_H_INCLUDED
#define TSG_HUB_ZAP_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "coordinator/model/directory.h"

/* The ZAP domain the coordinator's ROUTER announces. */
#define TSG_HUB_ZAP_DOMAIN "tsunagu"

typedef struct _tsg_hub_zap_t tsg_hub_zap_t;

/* Binds a ZAP handler in ctx (at "inproc://zeromq.zap.01"); it must exist before any CURVE
 * server socket binds.  directory is borrowed and consulted on every request, so reloading
 * it changes who is admitted.  NULL on failure, logged. */
tsg_hub_zap_t *tsg_hub_zap_new (void *ctx, const tsg_hub_directory_t *directory);

/* Closes the handler socket; safe on NULL and twice. */
void tsg_hub_zap_destroy (tsg_hub_zap_t **self_p);

/* The handler's socket, to poll for ZMQ_POLLIN. */
void *tsg_hub_zap_socket (tsg_hub_zap_t *self);

/* Answers every pending request without blocking.  Returns how many were answered.  A
 * refusal is logged in full the first time its client address is seen (and again after a
 * quiet minute); the refusals that follow from that address are counted, and a summary line
 * ("zap: refused 37 more clients from ADDRESS in the last 60 s ...") goes out at most once a
 * minute per address.  256 addresses are remembered (the one seen longest ago is dropped, its
 * count logged first), and at most 16 new addresses a minute are logged in full: refusals
 * from further ones are counted together. */
int tsg_hub_zap_handle (tsg_hub_zap_t *self);

/* Writes the refusal summaries that are due.  tsg_hub_zap_handle does it too, so without a
 * call from a timer a summary waits for the next handshake (or for destroy). */
void tsg_hub_zap_flush (tsg_hub_zap_t *self);

/* Handshakes refused since the handler was made (for /metrics). */
uint64_t tsg_hub_zap_refused (const tsg_hub_zap_t *self);

/* The decision itself: the id of the active agency whose box key is key, when domain is
 * "tsunagu", mechanism is "CURVE" and key is 32 bytes; NULL otherwise (refuse). */
const char *tsg_hub_zap_decide (const tsg_hub_directory_t *directory, const char *domain,
                                const char *mechanism, const uint8_t *key, size_t key_len);

#endif
