/* The agency's link to the coordinator: one ZeroMQ DEALER with CURVE, heartbeats and
 * non-blocking sends. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "agency/daemon/link.h"

#define LINK_HWM 100000

struct _agency_link_t {
    void *context;         /* the ZeroMQ context */
    void *socket;          /* the DEALER */
    char *endpoint;        /* where it connects */
    uint64_t connected_ms; /* monotonic time of the last (re)connect */
    uint64_t patience_ms;  /* silence allowed after it (agency_link_check) */
    uint8_t key[32];       /* the coordinator's CURVE server key */
    uint8_t next[32];      /* the one a hand-over names, ... */
    bool has_next;         /* ... when one does */
    bool using_next;       /* the connection tries next */
};

static bool
s_set_int (void *socket, int option, int value, const char *name)
{
    if (zmq_setsockopt (socket, option, &value, sizeof value) == 0)
        return true;
    log_warnx ("link: cannot set %s: %s", name, zmq_strerror (zmq_errno ()));
    return false;
}

agency_link_t *
agency_link_new (const char *endpoint, const uint8_t server_key[32], const tsg_keys_t *keys)
{
    agency_link_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    /* ZeroMQ's I/O thread starts with the first socket; it must not take the signals
     * meant to wake the loop, so it starts with them blocked. */
    sigset_t block, old;
    sigemptyset (&block);
    sigaddset (&block, SIGINT);
    sigaddset (&block, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &block, &old);
    self->context = zmq_ctx_new ();
    if (self->context)
        self->socket = zmq_socket (self->context, ZMQ_DEALER);
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (!self->socket) {
        log_warnx ("link: cannot create the socket: %s", zmq_strerror (zmq_errno ()));
        agency_link_destroy (&self);
        return NULL;
    }
    int64_t max_frame = 1024 * 1024 + 4096;
    bool ok =
        zmq_setsockopt (self->socket, ZMQ_CURVE_SERVERKEY, server_key, 32) == 0
        && zmq_setsockopt (self->socket, ZMQ_CURVE_PUBLICKEY, tsg_keys_box_public (keys), 32) == 0
        && zmq_setsockopt (self->socket, ZMQ_CURVE_SECRETKEY, tsg_keys_box_secret (keys), 32) == 0;
    if (!ok)
        log_warnx ("link: cannot set the CURVE keys: %s", zmq_strerror (zmq_errno ()));
    ok = ok && s_set_int (self->socket, ZMQ_HEARTBEAT_IVL, 1000, "ZMQ_HEARTBEAT_IVL")
         && s_set_int (self->socket, ZMQ_HEARTBEAT_TIMEOUT, 5000, "ZMQ_HEARTBEAT_TIMEOUT")
         && s_set_int (self->socket, ZMQ_IMMEDIATE, 1, "ZMQ_IMMEDIATE")
         && s_set_int (self->socket, ZMQ_SNDHWM, LINK_HWM, "ZMQ_SNDHWM")
         && s_set_int (self->socket, ZMQ_RCVHWM, LINK_HWM, "ZMQ_RCVHWM")
         && s_set_int (self->socket, ZMQ_RECONNECT_IVL, 100, "ZMQ_RECONNECT_IVL")
         && s_set_int (self->socket, ZMQ_RECONNECT_IVL_MAX, 2000, "ZMQ_RECONNECT_IVL_MAX")
         && zmq_setsockopt (self->socket, ZMQ_MAXMSGSIZE, &max_frame, sizeof max_frame) == 0;
    if (ok && zmq_connect (self->socket, endpoint) != 0) {
        log_warnx ("link: cannot connect to %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        ok = false;
    }
    if (!ok) {
        agency_link_destroy (&self);
        return NULL;
    }
    self->endpoint = strdup (endpoint);
    memcpy (self->key, server_key, 32);
    self->connected_ms = tsg_monotonic_ms ();
    self->patience_ms = AGENCY_LINK_PATIENCE_MS;
    log_info ("link: connecting to the coordinator at %s", endpoint);
    return self;
}

void
agency_link_destroy (agency_link_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    agency_link_t *self = *self_p;
    if (self->socket) {
        int linger = 0;
        zmq_setsockopt (self->socket, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close (self->socket);
    }
    if (self->context)
        zmq_ctx_term (self->context);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

void *
agency_link_socket (agency_link_t *self)
{
    return self->socket;
}

int
agency_link_send (void *arg, const uint8_t *data, size_t len)
{
    agency_link_t *self = arg;
    if (zmq_send (self->socket, data, len, ZMQ_DONTWAIT) == (int) len)
        return 0;
    if (zmq_errno () != EAGAIN)
        log_warnx ("link: send failed: %s", zmq_strerror (zmq_errno ()));
    return -1;
}

int
agency_link_recv (agency_link_t *self, zmq_msg_t *msg)
{
    return zmq_msg_recv (msg, self->socket, ZMQ_DONTWAIT);
}

/* Connects again, to the server key in use. */
static void
s_reconnect (agency_link_t *self)
{
    zmq_disconnect (self->socket, self->endpoint);
    if (zmq_setsockopt (self->socket, ZMQ_CURVE_SERVERKEY,
                        self->using_next ? self->next : self->key, 32)
            != 0
        || zmq_connect (self->socket, self->endpoint) != 0)
        log_warnx ("link: cannot connect to %s: %s", self->endpoint, zmq_strerror (zmq_errno ()));
}

void
agency_link_set_server_keys (agency_link_t *self, const uint8_t server_key[32],
                             const uint8_t next[32])
{
    const uint8_t *in_use = self->using_next ? self->next : self->key;
    bool same = memcmp (in_use, server_key, 32) == 0;
    memcpy (self->key, server_key, 32);
    self->has_next = next != NULL;
    if (next)
        memcpy (self->next, next, 32);
    self->using_next = false;
    if (same || !self->endpoint)
        return;
    log_info ("link: the coordinator's keys changed; connecting to %s with its new server key",
              self->endpoint);
    s_reconnect (self);
    self->connected_ms = tsg_monotonic_ms ();
    self->patience_ms = AGENCY_LINK_PATIENCE_MS;
}

bool
agency_link_check (agency_link_t *self, uint64_t last_heard_ms, uint64_t now_ms)
{
    if (!self->endpoint)
        return false;
    if (last_heard_ms >= self->connected_ms) {
        self->connected_ms = last_heard_ms;
        self->patience_ms = AGENCY_LINK_PATIENCE_MS;
        return false;
    }
    if (now_ms < self->connected_ms + self->patience_ms)
        return false;
    log_info ("link: nothing from the coordinator for %llu s; connecting to %s again",
              (unsigned long long) ((now_ms - self->connected_ms) / 1000), self->endpoint);
    /* Handed new keys over: the coordinator may have switched to them (or not yet). */
    self->using_next = self->has_next && !self->using_next;
    s_reconnect (self);
    self->connected_ms = now_ms;
    self->patience_ms = self->patience_ms * 2 > AGENCY_LINK_PATIENCE_MAX_MS
                            ? AGENCY_LINK_PATIENCE_MAX_MS
                            : self->patience_ms * 2;
    return true;
}
