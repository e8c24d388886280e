/* zap.c — answers libzmq's authentication requests from the in-memory registry. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "coordinator/daemon/zap.h"
#include "tsunagu/tsg_throttle.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
/* version, request id, domain, address, identity, mechanism, key, and one spare */
#define ZAP_FRAMES_MAX 8
#define ZAP_FRAME_MAX  256 /* longest request frame we keep; longer ones are cut (and refused) */
/* Refusals are logged once per client address, then counted: a summary a minute at most. */
#define ZAP_LOG_ADDRESSES 256   /* addresses remembered (the one seen longest ago goes) */
#define ZAP_LOG_WINDOW_MS 60000 /* one summary per address per minute */
#define ZAP_LOG_FRESH_MAX 16    /* new addresses logged in full per minute; the rest counted */

struct _tsg_hub_zap_t {
    void *socket;                         /* REP socket bound at ZAP_ENDPOINT */
    const tsg_hub_directory_t *directory; /* who may connect (borrowed) */
    tsg_throttle_t *refusals;             /* what is logged of the refused handshakes */
    uint64_t refused;                     /* handshakes refused since start */
};

/* One request's frames, each cut to ZAP_FRAME_MAX and NUL-terminated for text use. */
typedef struct {
    char data[ZAP_FRAMES_MAX][ZAP_FRAME_MAX + 1]; /* frame contents */
    size_t len[ZAP_FRAMES_MAX];                   /* their lengths (after cutting) */
    bool cut[ZAP_FRAMES_MAX];                     /* true when a frame was longer */
    int count;                                    /* frames kept */
} s_request_t;

/* A throttle summary: how many more handshakes were refused from one address (key) or from
 * addresses past ZAP_LOG_FRESH_MAX (key NULL), and the latest client key (detail). */
static void
s_summary (void *arg, const char *key, const char *detail, uint64_t count, uint64_t elapsed_ms)
{
    (void) arg;
    log_info ("zap: refused %llu more clients from %s in the last %llu s (the latest key %s)",
              (unsigned long long) count, key ? key : "other addresses",
              (unsigned long long) ((elapsed_ms + 999) / 1000), detail);
}

tsg_hub_zap_t *
tsg_hub_zap_new (void *ctx, const tsg_hub_directory_t *directory)
{
    tsg_hub_zap_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->directory = directory;
    self->refusals =
        tsg_throttle_new (ZAP_LOG_ADDRESSES, ZAP_LOG_WINDOW_MS, ZAP_LOG_FRESH_MAX, s_summary, self);
    if (!self->refusals) {
        log_warnx ("zap: out of memory");
        free (self);
        return NULL;
    }
    self->socket = zmq_socket (ctx, ZMQ_REP);
    int linger = 0;
    if (!self->socket || zmq_setsockopt (self->socket, ZMQ_LINGER, &linger, sizeof linger) != 0
        || zmq_bind (self->socket, ZAP_ENDPOINT) != 0) {
        log_warnx ("zap: cannot bind %s: %s", ZAP_ENDPOINT, zmq_strerror (zmq_errno ()));
        tsg_hub_zap_destroy (&self);
        return NULL;
    }
    return self;
}

void
tsg_hub_zap_destroy (tsg_hub_zap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    if ((*self_p)->socket)
        zmq_close ((*self_p)->socket);
    tsg_throttle_destroy (&(*self_p)->refusals);
    free (*self_p);
    *self_p = NULL;
}

void *
tsg_hub_zap_socket (tsg_hub_zap_t *self)
{
    return self->socket;
}

const char *
tsg_hub_zap_decide (const tsg_hub_directory_t *directory, const char *domain, const char *mechanism,
                    const uint8_t *key, size_t key_len)
{
    if (!domain || strcmp (domain, TSG_HUB_ZAP_DOMAIN) != 0)
        return NULL;
    if (!mechanism || strcmp (mechanism, "CURVE") != 0 || !key || key_len != 32)
        return NULL;
    const Tsunagu__V1__AgencyEntry *entry = tsg_hub_directory_find_key (directory, key);
    if (!entry || entry->status != TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE)
        return NULL;
    return entry->id;
}

/* Reads one whole request without blocking; false when none is waiting. */
static bool
s_request_recv (tsg_hub_zap_t *self, s_request_t *req)
{
    memset (req, 0, sizeof *req);
    int more = 1;
    for (int index = 0; more; index++) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, self->socket, index == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close (&part);
            return index > 0;
        }
        more = zmq_msg_more (&part);
        if (index < ZAP_FRAMES_MAX) {
            size_t len = zmq_msg_size (&part);
            req->cut[index] = len > ZAP_FRAME_MAX;
            req->len[index] = len > ZAP_FRAME_MAX ? ZAP_FRAME_MAX : len;
            memcpy (req->data[index], zmq_msg_data (&part), req->len[index]);
            req->data[index][req->len[index]] = '\0';
            req->count = index + 1;
        }
        zmq_msg_close (&part);
    }
    return true;
}

/* Sends the six-frame reply; user_id may be empty. */
static void
s_reply (tsg_hub_zap_t *self, const s_request_t *req, const char *code, const char *text,
         const char *user_id)
{
    const char *request_id = req->count > 1 ? req->data[1] : "";
    size_t request_id_len = req->count > 1 ? req->len[1] : 0;
    if (zmq_send (self->socket, "1.0", 3, ZMQ_SNDMORE) < 0
        || zmq_send (self->socket, request_id, request_id_len, ZMQ_SNDMORE) < 0
        || zmq_send (self->socket, code, strlen (code), ZMQ_SNDMORE) < 0
        || zmq_send (self->socket, text, strlen (text), ZMQ_SNDMORE) < 0
        || zmq_send (self->socket, user_id, strlen (user_id), ZMQ_SNDMORE) < 0
        || zmq_send (self->socket, "", 0, 0) < 0)
        log_warnx ("zap: cannot reply: %s", zmq_strerror (zmq_errno ()));
}

int
tsg_hub_zap_handle (tsg_hub_zap_t *self)
{
    int answered = 0;
    s_request_t *req = malloc (sizeof *req);
    if (!req)
        return 0;
    while (s_request_recv (self, req)) {
        const char *agency = NULL;
        bool well_formed = req->count >= 7 && !req->cut[2] && !req->cut[5] && !req->cut[6]
                           && req->len[0] == 3 && memcmp (req->data[0], "1.0", 3) == 0;
        if (well_formed)
            agency = tsg_hub_zap_decide (self->directory, req->data[2], req->data[5],
                                         (const uint8_t *) req->data[6], req->len[6]);
        if (agency) {
            log_debug ("zap: admitted %s from %s", agency, req->data[3]);
            s_reply (self, req, "200", "OK", agency);
        }
        else {
            char key[41] = "-";
            if (req->count >= 7 && req->len[6] == 32)
                tsg_key_to_z85 ((const uint8_t *) req->data[6], key);
            const char *address = req->count >= 4 && req->len[3] > 0 ? req->data[3] : "?";
            self->refused++;
            if (tsg_throttle_hit (self->refusals, address, key, tsg_monotonic_ms ()))
                log_info ("zap: refused %s client %s from %s: not an active agency (more from "
                          "%s are counted, one line a minute)",
                          req->count >= 6 ? req->data[5] : "?", key, address, address);
            s_reply (self, req, "400", "not an active agency", "");
        }
        answered++;
    }
    free (req);
    tsg_hub_zap_flush (self);
    return answered;
}

void
tsg_hub_zap_flush (tsg_hub_zap_t *self)
{
    tsg_throttle_flush (self->refusals, tsg_monotonic_ms ());
}

uint64_t
tsg_hub_zap_refused (const tsg_hub_zap_t *self)
{
    return self->refused;
}
