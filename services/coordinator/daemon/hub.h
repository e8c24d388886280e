/* The coordinator's event loop: ROUTER + ZAP, batches of inbound letters, forwarding, timers. */
#ifndef TSG_HUB_HUB_H_INCLUDED
#define TSG_HUB_HUB_H_INCLUDED

#include <signal.h>
#include <stdint.h>

#include "coordinator/model/audit.h"
#include "coordinator/model/limits.h"
#include "tsunagu/tsunagu.h"

/* Timings from proto/README.md and the coordinator's requirements. */
#define TSG_HUB_BATCH_MESSAGES    1000  /* messages drained per batch (one transaction) */
#define TSG_HUB_BATCH_FRAMES      4096  /* ... or envelopes, whichever comes first */
#define TSG_HUB_REGISTRY_CHECK_MS 250   /* how often the registry generation is looked at */
#define TSG_HUB_STALL_MS          5000  /* no ack for this long: resend from the oldest */
#define TSG_HUB_IDLE_MS           15000 /* a session silent this long ends */

typedef struct _tsg_hub_t tsg_hub_t;

/* A coordinator listening on endpoint (a zmq_bind address; "tcp://127.0.0.1:*" picks a
 * port), taking ownership of keys and store (the caller's pointers become NULL, also on
 * failure).  Loads the registry, starts the ZAP handler, then binds the CURVE ROUTER.
 * NULL on failure, logged. */
tsg_hub_t *tsg_hub_new (const char *endpoint, tsg_keys_t **keys_p, tsg_store_t **store_p);

/* Quotas and retention (copied) and the ceiling (bytes) the store may grow to when it
 * fills; the defaults of limits.h hold until this is called. */
void tsg_hub_set_limits (tsg_hub_t *self, const tsg_hub_limits_t *limits, size_t map_max);

/* Closes the sockets (dropping unsent letters: all of them are in the store), closes the
 * store and wipes the keys; safe on NULL and twice. */
void tsg_hub_destroy (tsg_hub_t **self_p);

/* Opens the audit log DATA_DIR/audit.log (coordinator/audit.h) after the store: each batch
 * flushes its records into it before committing.  Returns TSG_OK or a TSG_ERR_* (logged). */
int tsg_hub_open_audit (tsg_hub_t *self, const char *data_dir);

/* The audit log (borrowed; NULL until tsg_hub_open_audit). */
tsg_hub_audit_t *tsg_hub_audit (tsg_hub_t *self);

/* The key file the hub's keys came from (copied), beside which a rotation of its own keys
 * keeps the next and previous keys (daemon/own_keys.h); after tsg_hub_open_audit, since it
 * also resumes a rotation under way (and completes a switch a crash cut short).  TSG_OK or
 * TSG_ERR_NOMEM. */
int tsg_hub_set_keys_path (tsg_hub_t *self, const char *keys_path);

/* The endpoint actually bound (with the port chosen for "*"). */
const char *tsg_hub_endpoint (const tsg_hub_t *self);

/* How the hub serves HTTP: the JSON API for machines and the dashboard for staff. */
typedef struct {
    const char *listen;          /* "HOST:PORT"; port 0 picks one */
    const uint8_t *token_sha256; /* SHA-256 of the API's bearer token (NULL: no token, so every
                                    API route but /healthz answers 401) */
    unsigned session_idle_s;     /* the dashboard's sessions: idle lifetime (0: default) */
    unsigned session_max_s;      /* ... and absolute lifetime (0: default) */
    const char *tls_cert_pem;    /* HTTPS: the certificate chain (NULL: plain HTTP) */
    const char *tls_key_pem;     /* ... and its private key */
} tsg_hub_http_conf_t;

/* Serves the JSON API and the dashboard (web/web.h) as conf says from the hub's loop.  Returns
 * TSG_OK or TSG_ERR_IO (logged). */
int tsg_hub_serve_http (tsg_hub_t *self, const tsg_hub_http_conf_t *conf);

/* The HTTP port bound (0 when not serving). */
int tsg_hub_http_port_bound (const tsg_hub_t *self);

/* Binds the control socket ipc://data_dir/control.sock (coordinator/control.h).  Returns
 * TSG_OK or TSG_ERR_IO (logged). */
int tsg_hub_serve_control (tsg_hub_t *self, const char *data_dir);

/* Runs until *stop becomes non-zero (checked between batches; a signal interrupts the
 * wait).  Returns 0, or -1 when the loop cannot go on (logged). */
int tsg_hub_run (tsg_hub_t *self, volatile sig_atomic_t *stop);

#endif
