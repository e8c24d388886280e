/* hub_send.c — the coordinator's ROUTER: bound with CURVE (its keys) and ZAP (the domain the
 * handler checks), heartbeats and size limits; every send on it, never blocking: the batch's
 * answers and the DIRECTORY for sessions that are due one.  Calls no other hub file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "coordinator/daemon/hub_parts.h"

/* Sets an integer socket option, logging failure. */
static bool
s_set_int (void *socket, int option, int value, const char *name)
{
    if (zmq_setsockopt (socket, option, &value, sizeof value) == 0)
        return true;
    log_warnx ("router: cannot set %s: %s", name, zmq_strerror (zmq_errno ()));
    return false;
}

void *
hub_router_new (tsg_hub_t *self, const char *endpoint)
{
    void *router = zmq_socket (self->ctx, ZMQ_ROUTER);
    if (!router) {
        log_warnx ("router: cannot create: %s", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    int64_t max_size = (int64_t) TSG_ENVELOPE_MAX * TSG_FRAMES_MAX;
    bool ok =
        s_set_int (router, ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER")
        && zmq_setsockopt (router, ZMQ_CURVE_SECRETKEY, tsg_keys_box_secret (self->keys), 32) == 0
        && zmq_setsockopt (router, ZMQ_ZAP_DOMAIN, TSG_HUB_ZAP_DOMAIN, strlen (TSG_HUB_ZAP_DOMAIN))
               == 0
        && s_set_int (router, ZMQ_ROUTER_MANDATORY, 1, "ZMQ_ROUTER_MANDATORY")
        && s_set_int (router, ZMQ_ROUTER_HANDOVER, 1, "ZMQ_ROUTER_HANDOVER")
        && s_set_int (router, ZMQ_HEARTBEAT_IVL, 1000, "ZMQ_HEARTBEAT_IVL")
        && s_set_int (router, ZMQ_HEARTBEAT_TIMEOUT, 5000, "ZMQ_HEARTBEAT_TIMEOUT")
        && s_set_int (router, ZMQ_HEARTBEAT_TTL, 5000, "ZMQ_HEARTBEAT_TTL")
        && zmq_setsockopt (router, ZMQ_MAXMSGSIZE, &max_size, sizeof max_size) == 0
        && s_set_int (router, ZMQ_SNDHWM, 100000, "ZMQ_SNDHWM")
        && s_set_int (router, ZMQ_RCVHWM, 100000, "ZMQ_RCVHWM");
    /* Without it, libzmq still asks the handler, which checks the domain itself. */
    if (ok)
        s_set_int (router, ZMQ_ZAP_ENFORCE_DOMAIN, 1, "ZMQ_ZAP_ENFORCE_DOMAIN");
    if (!ok) {
        log_warnx ("router: cannot configure: %s", zmq_strerror (zmq_errno ()));
        zmq_close (router);
        return NULL;
    }
    if (zmq_bind (router, endpoint) != 0) {
        log_warnx ("router: cannot bind %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        zmq_close (router);
        return NULL;
    }
    size_t len = sizeof self->endpoint;
    if (zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, self->endpoint, &len) != 0)
        snprintf (self->endpoint, sizeof self->endpoint, "%s", endpoint);
    return router;
}

int
hub_send_frames (tsg_hub_t *self, const uint8_t *rid, size_t rid_len, uint8_t *const frames[],
                 const size_t lens[], size_t count)
{
    if (zmq_send (self->router, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    for (size_t i = 0; i < count; i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < count ? ZMQ_SNDMORE : 0);
        if (zmq_send (self->router, frames[i], lens[i], flags) < 0)
            return -1; /* libzmq drops the partial message */
    }
    return 0;
}

/* Every answer of the batch as an envelope in wire[i] (NULL: none, or it could not be made). */
static void
s_answers_seal (tsg_hub_t *self, uint8_t **wire, size_t *wire_len)
{
    size_t count = self->pending_count;
    uint8_t **packed = calloc (count ? count : 1, sizeof *packed);
    size_t *lens = calloc (count ? count : 1, sizeof *lens);
    bool *batched = calloc (count ? count : 1, sizeof *batched);
    for (size_t i = 0; packed && lens && batched && i < count; i++) {
        hub_pending_t *p = &self->pending[i];
        if (p->answer.type == TSG_HUB_ANSWER_NONE)
            continue;
        int rc = tsg_hub_answer_pack (&p->answer, p->to, &packed[i], &lens[i]);
        if (rc != TSG_OK) {
            log_warnx ("hub: cannot seal an answer to %s: %s", p->to, tsg_strerror (rc));
            packed[i] = NULL;
            continue;
        }
        const Tsunagu__V1__AgencyEntry *entry = tsg_hub_directory_find (self->directory, p->to);
        batched[i] = entry && entry->batch_proofs;
    }
    /* Letters to agencies that verify batch proofs share one signature per TSG_BATCH_MAX. */
    if (packed && lens && batched
        && tsg_envelopes_sign ((const uint8_t *const *) packed, lens, batched, count, self->keys,
                               wire, wire_len)
               != TSG_OK)
        log_warnx ("hub: cannot sign %zu answers", count);
    for (size_t i = 0; packed && i < count; i++)
        free (packed[i]);
    free (packed);
    free (lens);
    free (batched);
}

void
hub_send_answers (tsg_hub_t *self)
{
    uint8_t *frames[TSG_FRAMES_MAX];
    size_t lens[TSG_FRAMES_MAX];
    size_t count = 0;
    size_t total = self->pending_count;
    uint8_t **wire = calloc (total ? total : 1, sizeof *wire);
    size_t *wire_len = calloc (total ? total : 1, sizeof *wire_len);
    if (wire && wire_len)
        s_answers_seal (self, wire, wire_len);
    else
        log_warnx ("hub: out of memory: %zu answers not sent", total);
    for (size_t i = 0; wire && wire_len && i < total; i++) {
        hub_pending_t *p = &self->pending[i];
        if (wire[i]) {
            frames[count] = wire[i];
            lens[count++] = wire_len[i];
        }
        bool last_of_connection = i + 1 == total || self->pending[i + 1].rid_len != p->rid_len
                                  || memcmp (self->pending[i + 1].rid, p->rid, p->rid_len) != 0;
        if (count > 0 && (count == HUB_SEND_FRAMES || last_of_connection)) {
            if (hub_send_frames (self, p->rid, p->rid_len, frames, lens, count) != 0) {
                self->answers_dropped += count;
                log_debug ("hub: %zu answers to %s not sent: %s", count, p->to,
                           zmq_strerror (zmq_errno ()));
            }
            for (size_t k = 0; k < count; k++)
                free (frames[k]);
            count = 0;
        }
    }
    free (wire);
    free (wire_len);
    self->pending_count = 0;
}

void
hub_send_directories (tsg_hub_t *self)
{
    for (size_t i = 0; i < tsg_hub_sessions_size (self->sessions); i++) {
        tsg_hub_session_t *s = tsg_hub_sessions_at (self->sessions, i);
        if (!tsg_hub_session_directory_due (s))
            continue;
        uint8_t *sealed = NULL;
        size_t len = 0;
        int rc = tsg_hub_directory_seal (self->directory, tsg_hub_session_id (s), &sealed, &len);
        if (rc != TSG_OK) {
            log_warnx ("hub: cannot seal the directory for %s: %s", tsg_hub_session_id (s),
                       tsg_strerror (rc));
            continue;
        }
        size_t rid_len;
        const uint8_t *rid = tsg_hub_session_rid (s, &rid_len);
        if (hub_send_frames (self, rid, rid_len, &sealed, &len, 1) == 0) {
            tsg_hub_session_set_directory_due (s, false);
            /* As tsg_hub_directory_seal dated it, within the milliseconds since. */
            hub_live_directory_sent (self, tsg_hub_session_id (s),
                                     tsg_now_ms () - TSG_HUB_DIRECTORY_SLACK_MS
                                         + TSG_HUB_DIRECTORY_VALID_MS);
            log_debug ("sent directory %llu to %s",
                       (unsigned long long) tsg_hub_directory_serial (self->directory),
                       tsg_hub_session_id (s));
        }
        free (sealed);
    }
}
