/* hub.c — the coordinator's loop: drain a batch of letters, commit once, answer, then forward. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "coordinator/api/api.h"
#include "coordinator/model/audit.h"
#include "coordinator/daemon/control.h"
#include "coordinator/model/directory.h"
#include "coordinator/api/http.h"
#include "coordinator/daemon/hub.h"
#include "coordinator/intake/intake.h"
#include "coordinator/model/mailbox.h"
#include "coordinator/daemon/sessions.h"
#include "coordinator/model/stats.h"
#include "coordinator/daemon/zap.h"

/* Envelopes per outgoing ZeroMQ message.  One: libzmq 4.3.4's DEALER asserts (fq.cpp:112,
 * "!_more") when a connection drops while it holds part of a multi-frame message, which would
 * kill the agency daemon on the other end.  Receiving still accepts up to TSG_FRAMES_MAX. */
#define HUB_SEND_FRAMES 1

/* A draft option in libzmq 4.3's header, implemented by the library all the same. */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

/* An answer waiting for the batch's commit. */
typedef struct {
    uint8_t rid[TSG_HUB_RID_MAX]; /* the connection it goes back on */
    size_t rid_len;               /* bytes of rid in use */
    char to[TSG_ID_MAX + 1];      /* the authenticated agency on that connection */
    tsg_hub_answer_t answer;      /* what to send */
} s_pending_t;

struct _tsg_hub_t {
    void *ctx;                      /* the ZeroMQ context */
    void *router;                   /* the CURVE ROUTER agencies connect to */
    tsg_hub_zap_t *zap;             /* the ZAP handler, polled with the router */
    tsg_keys_t *keys;               /* the coordinator's keys (owned, wiped at the end) */
    tsg_store_t *store;             /* the LMDB store (owned) */
    tsg_hub_audit_t *audit;         /* the audit log (owned; NULL until opened) */
    tsg_hub_directory_t *directory; /* the registry in memory */
    tsg_hub_intake_t *intake;       /* checks and stores inbound letters */
    tsg_hub_sessions_t *sessions;   /* connected agencies */
    tsg_hub_api_t api;              /* what the HTTP routes read */
    tsg_hub_http_t *http;           /* the read-only HTTP API (NULL until served) */
    tsg_hub_control_t *control;     /* the control socket (NULL until served) */
    s_pending_t *pending;           /* answers of the current batch */
    size_t pending_count;           /* entries of pending in use */
    size_t pending_capacity;        /* entries of pending allocated */
    uint64_t registry_checked_at;   /* monotonic ms of the last generation check */
    uint64_t sessions_checked_at;   /* monotonic ms of the last expiry/stall check */
    char endpoint[256];             /* the bound endpoint */
    uint64_t letters_in;            /* envelopes received, for the final log line */
    uint64_t batches;               /* transactions committed */
    uint64_t batches_failed;        /* transactions that could not commit */
    uint64_t answers_dropped;       /* answers the router would not take */
    size_t map_max;                 /* the ceiling the store may grow to (bytes) */
};

/* Sets an integer socket option, logging failure. */
static bool
s_set_int (void *socket, int option, int value, const char *name)
{
    if (zmq_setsockopt (socket, option, &value, sizeof value) == 0)
        return true;
    log_warnx ("router: cannot set %s: %s", name, zmq_strerror (zmq_errno ()));
    return false;
}

/* Creates, configures and binds the ROUTER.  NULL on failure, logged. */
static void *
s_router_new (tsg_hub_t *self, const char *endpoint)
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

tsg_hub_t *
tsg_hub_new (const char *endpoint, tsg_keys_t **keys_p, tsg_store_t **store_p)
{
    tsg_hub_t *self = calloc (1, sizeof *self);
    if (!self) {
        tsg_keys_destroy (keys_p);
        tsg_store_destroy (store_p);
        return NULL;
    }
    self->keys = *keys_p;
    self->store = *store_p;
    self->map_max = TSG_HUB_MAP_MAX_DEFAULT;
    *keys_p = NULL;
    *store_p = NULL;
    self->directory = tsg_hub_directory_new (self->keys);
    self->intake = tsg_hub_intake_new (self->directory, self->keys);
    self->sessions = tsg_hub_sessions_new ();
    if (!self->directory || !self->intake || !self->sessions) {
        log_warnx ("hub: out of memory");
        tsg_hub_destroy (&self);
        return NULL;
    }
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    int rc = tsg_hub_directory_load (self->directory, &txn);
    tsg_txn_abort (&txn);
    if (rc != TSG_OK) {
        log_warnx ("hub: cannot read the registry: %s", tsg_strerror (rc));
        tsg_hub_destroy (&self);
        return NULL;
    }
    self->ctx = zmq_ctx_new ();
    if (self->ctx)
        self->zap = tsg_hub_zap_new (self->ctx, self->directory);
    if (self->zap)
        self->router = s_router_new (self, endpoint);
    if (!self->router) {
        tsg_hub_destroy (&self);
        return NULL;
    }
    self->api.store = self->store;
    self->api.directory = self->directory;
    self->api.sessions = self->sessions;
    self->api.counters = tsg_hub_intake_counters (self->intake);
    self->api.intake = self->intake;
    self->api.zap = self->zap;
    self->api.http = (const struct _tsg_hub_http_t *const *) &self->http;
    self->registry_checked_at = self->sessions_checked_at = tsg_monotonic_ms ();
    log_info ("listening on %s; registry generation %llu with %zu agencies", self->endpoint,
              (unsigned long long) tsg_hub_directory_serial (self->directory),
              tsg_hub_directory_size (self->directory));
    return self;
}

void
tsg_hub_destroy (tsg_hub_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_hub_t *self = *self_p;
    tsg_hub_http_destroy (&self->http);
    tsg_hub_control_destroy (&self->control);
    if (self->router) {
        int linger = 0;
        zmq_setsockopt (self->router, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close (self->router);
    }
    tsg_hub_zap_destroy (&self->zap);
    if (self->ctx)
        zmq_ctx_term (self->ctx);
    tsg_hub_sessions_destroy (&self->sessions);
    tsg_hub_intake_destroy (&self->intake);
    tsg_hub_directory_destroy (&self->directory);
    tsg_hub_audit_destroy (&self->audit);
    tsg_store_destroy (&self->store);
    tsg_keys_destroy (&self->keys);
    free (self->pending);
    free (self);
    *self_p = NULL;
}

void
tsg_hub_set_limits (tsg_hub_t *self, const tsg_hub_limits_t *limits, size_t map_max)
{
    tsg_hub_intake_set_limits (self->intake, limits);
    self->map_max = map_max;
}

int
tsg_hub_open_audit (tsg_hub_t *self, const char *data_dir)
{
    tsg_hub_audit_destroy (&self->audit);
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    int rc = tsg_hub_audit_open (data_dir, &txn, &self->audit);
    tsg_txn_abort (&txn);
    /* Every routing decision the intake makes is recorded from now on. */
    tsg_hub_intake_set_audit (self->intake, self->audit);
    if (rc != TSG_OK)
        log_warnx ("cannot open the audit log in %s: %s", data_dir, tsg_strerror (rc));
    return rc;
}

tsg_hub_audit_t *
tsg_hub_audit (tsg_hub_t *self)
{
    return self->audit;
}

const char *
tsg_hub_endpoint (const tsg_hub_t *self)
{
    return self->endpoint;
}

int
tsg_hub_serve_http (tsg_hub_t *self, const char *listen, const uint8_t token_sha256[32])
{
    self->api.has_token = token_sha256 != NULL;
    if (token_sha256)
        memcpy (self->api.token_sha256, token_sha256, 32);
    else
        log_info ("http: no [http] token_sha256 configured: every route but /healthz "
                  "answers 401");
    tsg_hub_http_destroy (&self->http);
    self->http = tsg_hub_http_new (&self->api, listen);
    return self->http ? TSG_OK : TSG_ERR_IO;
}

int
tsg_hub_http_port_bound (const tsg_hub_t *self)
{
    return self->http ? tsg_hub_http_port (self->http) : 0;
}

int
tsg_hub_serve_control (tsg_hub_t *self, const char *data_dir)
{
    tsg_hub_control_destroy (&self->control);
    self->control = tsg_hub_control_new (self->ctx, data_dir);
    return self->control ? TSG_OK : TSG_ERR_IO;
}

/* Lets the sessions know what the last batch (or control request) did: entries
 * acknowledged, and agencies with new mail. */
static void
s_note_effects (tsg_hub_t *self, uint64_t now)
{
    for (size_t i = 0; i < tsg_hub_intake_acked_count (self->intake); i++) {
        uint64_t seq = 0;
        const char *recipient = tsg_hub_intake_acked (self->intake, i, &seq);
        tsg_hub_session_t *s = tsg_hub_sessions_find (self->sessions, recipient);
        if (s) {
            tsg_hub_session_acked (s, seq, now);
            tsg_hub_session_want (s, true, 0);
        }
    }
    for (size_t i = 0; i < tsg_hub_intake_new_mail_count (self->intake); i++) {
        tsg_hub_session_t *s =
            tsg_hub_sessions_find (self->sessions, tsg_hub_intake_new_mail (self->intake, i));
        if (s)
            tsg_hub_session_want (s, true, 0);
    }
}

/* A fresh pending slot for an answer, or NULL when memory ran out (the answer is lost; the
 * agency resends and is answered then). */
static s_pending_t *
s_pending_add (tsg_hub_t *self, const uint8_t *rid, size_t rid_len, const char *to)
{
    if (self->pending_count == self->pending_capacity) {
        size_t capacity = self->pending_capacity ? self->pending_capacity * 2 : 256;
        s_pending_t *grown = realloc (self->pending, capacity * sizeof *grown);
        if (!grown) {
            log_warnx ("hub: out of memory for answers");
            return NULL;
        }
        self->pending = grown;
        self->pending_capacity = capacity;
    }
    s_pending_t *p = &self->pending[self->pending_count++];
    p->rid_len = rid_len > TSG_HUB_RID_MAX ? TSG_HUB_RID_MAX : rid_len;
    memcpy (p->rid, rid, p->rid_len);
    snprintf (p->to, sizeof p->to, "%s", to);
    return p;
}

/* The session of auth (an active agency whose letter on connection rid verified): started,
 * kept alive, moved to rid on a HELLO, rewound when the HELLO asks. */
static void
s_session_touch (tsg_hub_t *self, const char *auth, zmq_msg_t *rid, tsg_hub_answer_t *answer,
                 uint64_t now)
{
    bool started = false;
    tsg_hub_session_t *s = tsg_hub_sessions_touch (
        self->sessions, auth, zmq_msg_data (rid), zmq_msg_size (rid), now, answer->hello, &started);
    if (s && answer->rewind && !started) {
        size_t rid_len;
        const uint8_t *on = tsg_hub_session_rid (s, &rid_len);
        /* A HELLO on a dying connection must not rewind the live one, and the answer says
         * "rewound" only when it was (the agency asks again, a second later). */
        bool same = rid_len == zmq_msg_size (rid) && memcmp (on, zmq_msg_data (rid), rid_len) == 0;
        answer->rewind = same && tsg_hub_session_rewind (s, now);
    }
}

/* Sends frames as one message to rid without blocking.  Returns 0, or -1 with errno
 * (EAGAIN: the peer's queue is full; EHOSTUNREACH: it is gone). */
static int
s_send_frames (tsg_hub_t *self, const uint8_t *rid, size_t rid_len, uint8_t *const frames[],
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

/* Sends the batch's answers, as few messages as possible (up to TSG_FRAMES_MAX envelopes
 * each, consecutive answers to the same connection together). */
static void
s_send_answers (tsg_hub_t *self)
{
    uint8_t *frames[TSG_FRAMES_MAX];
    size_t lens[TSG_FRAMES_MAX];
    size_t count = 0;
    for (size_t i = 0; i < self->pending_count; i++) {
        s_pending_t *p = &self->pending[i];
        uint8_t *sealed = NULL;
        size_t sealed_len = 0;
        if (p->answer.type != TSG_HUB_ANSWER_NONE) {
            int rc = tsg_hub_answer_seal (&p->answer, p->to, self->keys, &sealed, &sealed_len);
            if (rc == TSG_OK) {
                frames[count] = sealed;
                lens[count++] = sealed_len;
            }
            else
                log_warnx ("hub: cannot seal an answer to %s: %s", p->to, tsg_strerror (rc));
        }
        bool last_of_connection = i + 1 == self->pending_count
                                  || self->pending[i + 1].rid_len != p->rid_len
                                  || memcmp (self->pending[i + 1].rid, p->rid, p->rid_len) != 0;
        if (count > 0 && (count == HUB_SEND_FRAMES || last_of_connection)) {
            if (s_send_frames (self, p->rid, p->rid_len, frames, lens, count) != 0) {
                self->answers_dropped += count;
                log_debug ("hub: %zu answers to %s not sent: %s", count, p->to,
                           zmq_strerror (zmq_errno ()));
            }
            for (size_t k = 0; k < count; k++)
                free (frames[k]);
            count = 0;
        }
    }
    self->pending_count = 0;
}

/* Sends the DIRECTORY to every session that is due one. */
static void
s_send_directories (tsg_hub_t *self)
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
        if (s_send_frames (self, rid, rid_len, &sealed, &len, 1) == 0) {
            tsg_hub_session_set_directory_due (s, false);
            log_debug ("sent directory %llu to %s",
                       (unsigned long long) tsg_hub_directory_serial (self->directory),
                       tsg_hub_session_id (s));
        }
        free (sealed);
    }
}

/* Receives one whole message from the router into the batch.  Returns false when none
 * was waiting. */
static bool
s_receive_one (tsg_hub_t *self, uint64_t now, size_t *frames_taken)
{
    zmq_msg_t rid;
    zmq_msg_init (&rid);
    if (zmq_msg_recv (&rid, self->router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&rid);
        return false;
    }
    int more = zmq_msg_more (&rid);
    char auth[TSG_ID_MAX + 1] = "";
    size_t index = 0;
    bool excess = false;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, self->router, 0) < 0) {
            zmq_msg_close (&part);
            break;
        }
        more = zmq_msg_more (&part);
        if (index == 0) {
            const char *user = zmq_msg_gets (&part, "User-Id");
            if (user && strlen (user) <= TSG_ID_MAX)
                snprintf (auth, sizeof auth, "%s", user);
        }
        if (index < TSG_FRAMES_MAX) {
            s_pending_t *p = s_pending_add (self, zmq_msg_data (&rid), zmq_msg_size (&rid),
                                            auth[0] ? auth : "unknown");
            tsg_hub_answer_t scratch;
            tsg_hub_answer_t *answer = p ? &p->answer : &scratch;
            tsg_hub_intake_letter (self->intake, auth, zmq_msg_data (&part), zmq_msg_size (&part),
                                   answer);
            self->letters_in++;
            /* Only a letter the intake verified, from an active agency, keeps its session
             * alive; only a verified HELLO (sent first on every connection) moves it to a new
             * connection or asks for the mailbox again. */
            if (answer->verified)
                s_session_touch (self, auth, &rid, answer, now);
        }
        else
            excess = true;
        index++;
        zmq_msg_close (&part);
    }
    if (excess) {
        log_info ("refused %zu envelopes beyond the first %d in one message from %s",
                  index - TSG_FRAMES_MAX, TSG_FRAMES_MAX, auth[0] ? auth : "?");
        s_pending_t *p = s_pending_add (self, zmq_msg_data (&rid), zmq_msg_size (&rid),
                                        auth[0] ? auth : "unknown");
        if (p) {
            memset (&p->answer, 0, sizeof p->answer);
            p->answer.type = TSG_HUB_ANSWER_ERROR;
            p->answer.code = TSUNAGU__V1__ERROR_CODE__ERROR_TOO_LARGE;
            snprintf (p->answer.detail, sizeof p->answer.detail,
                      "more than %d envelopes in one message; the rest were dropped",
                      TSG_FRAMES_MAX);
        }
    }
    zmq_msg_close (&rid);
    *frames_taken += index;
    return true;
}

/* One batch: drain, one write transaction, commit, then answer (proto/README.md §4). */
static void
s_batch (tsg_hub_t *self)
{
    uint64_t now = tsg_monotonic_ms ();
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, true);
    tsg_hub_intake_begin (self->intake, &txn);
    size_t messages = 0, frames = 0;
    while (messages < TSG_HUB_BATCH_MESSAGES && frames < TSG_HUB_BATCH_FRAMES
           && s_receive_one (self, now, &frames))
        messages++;
    if (messages == 0) {
        tsg_txn_abort (&txn);
        return;
    }
    /* The cases this batch changed are announced in the same transaction. */
    tsg_hub_intake_end (self->intake);
    /* The batch's audit records reach the disk before the commit that makes them count. */
    int rc = self->audit ? tsg_hub_audit_flush (self->audit, &txn) : TSG_OK;
    if (rc == TSG_OK)
        rc = tsg_txn_commit (&txn);
    else
        tsg_txn_abort (&txn);
    if (rc == TSG_OK) {
        self->batches++;
        s_note_effects (self, now);
    }
    else {
        if (self->audit)
            tsg_hub_audit_rollback (self->audit);
        self->batches_failed++;
        log_warnx ("store: a batch of %zu envelopes could not be committed (%s); "
                   "their senders are told to resend",
                   frames, tsg_strerror (rc));
        /* A full map grows (the transaction is over, none is open) up to the ceiling; at the
         * ceiling the store-full check refuses new letters instead. */
        if (rc == TSG_ERR_STORE_FULL)
            tsg_store_grow (self->store, self->map_max);
        for (size_t i = 0; i < self->pending_count; i++)
            tsg_hub_answer_store_failed (&self->pending[i].answer);
    }
    s_send_directories (self);
    s_send_answers (self);
}

/* Context of one forwarding pass over a session's mailbox. */
typedef struct {
    tsg_hub_t *hub;                  /* the hub */
    tsg_hub_session_t *session;      /* whom to forward to */
    uint64_t now;                    /* monotonic ms */
    uint8_t *frames[TSG_FRAMES_MAX]; /* envelopes collected (borrowed from the txn) */
    size_t lens[TSG_FRAMES_MAX];     /* their lengths */
    uint64_t seqs[TSG_FRAMES_MAX];   /* their mailbox sequences */
    size_t count;                    /* collected so far */
    int blocked_errno;               /* non-zero once the router refused */
} s_forward_t;

/* Sends the collected envelopes as one message and records them as sent. */
static void
s_forward_flush (s_forward_t *fw)
{
    if (fw->count == 0)
        return;
    size_t rid_len;
    const uint8_t *rid = tsg_hub_session_rid (fw->session, &rid_len);
    if (s_send_frames (fw->hub, rid, rid_len, fw->frames, fw->lens, fw->count) != 0) {
        fw->blocked_errno = zmq_errno () ? zmq_errno () : EAGAIN;
        fw->count = 0;
        return;
    }
    for (size_t i = 0; i < fw->count; i++)
        tsg_hub_session_sent (fw->session, fw->seqs[i], fw->now);
    fw->count = 0;
}

static bool
s_forward_one (void *arg, uint64_t seq, const uint8_t *envelope, size_t len)
{
    s_forward_t *fw = arg;
    fw->frames[fw->count] = (uint8_t *) envelope;
    fw->lens[fw->count] = len;
    fw->seqs[fw->count++] = seq;
    if (fw->count == HUB_SEND_FRAMES || fw->count >= tsg_hub_session_room (fw->session))
        s_forward_flush (fw);
    return !fw->blocked_errno && tsg_hub_session_window_open (fw->session);
}

/* Forwards the session's mail from where it stopped, while the window and the router
 * allow (proto/README.md §4). */
static void
s_forward (tsg_hub_t *self, tsg_hub_session_t *s, uint64_t now)
{
    if (!tsg_hub_session_wants (s, now))
        return;
    if (!tsg_hub_session_window_open (s)) {
        tsg_hub_session_want (s, false, 0);
        return;
    }
    s_forward_t fw = { .hub = self, .session = s, .now = now };
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    tsg_hub_mailbox_scan (&txn, tsg_hub_session_id (s), tsg_hub_session_next_seq (s), s_forward_one,
                          &fw);
    if (!fw.blocked_errno)
        s_forward_flush (&fw);
    tsg_txn_abort (&txn);
    if (fw.blocked_errno) {
        /* EHOSTUNREACH: the connection is gone; the session ends when it stays silent. */
        uint64_t delay = fw.blocked_errno == EHOSTUNREACH ? 1000 : 20;
        tsg_hub_session_want (s, true, now + delay);
        log_debug ("forwarding to %s paused: %s", tsg_hub_session_id (s),
                   zmq_strerror (fw.blocked_errno));
    }
    else
        tsg_hub_session_want (s, false, 0);
}

/* Reloads the registry when its generation moved; pushes the new directory and ends the
 * sessions of agencies no longer active. */
static void
s_registry_check (tsg_hub_t *self)
{
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    uint64_t generation = tsg_registry_generation (&txn);
    bool changed = txn.rc == TSG_OK && generation != tsg_hub_directory_serial (self->directory);
    int rc = changed ? tsg_hub_directory_load (self->directory, &txn) : TSG_OK;
    tsg_txn_abort (&txn);
    if (!changed)
        return;
    if (rc != TSG_OK) {
        log_warnx ("registry: cannot reload: %s", tsg_strerror (rc));
        return;
    }
    log_info ("registry changed: generation %llu, %zu agencies", (unsigned long long) generation,
              tsg_hub_directory_size (self->directory));
    tsg_hub_intake_registry_changed (self->intake);
    for (size_t i = tsg_hub_sessions_size (self->sessions); i-- > 0;) {
        tsg_hub_session_t *s = tsg_hub_sessions_at (self->sessions, i);
        if (!tsg_hub_directory_active (self->directory, tsg_hub_session_id (s)))
            tsg_hub_sessions_drop (self->sessions, tsg_hub_session_id (s),
                                   "the agency is no longer active");
        else
            tsg_hub_session_set_directory_due (s, true);
    }
    s_send_directories (self);
}

/* Retention: one short pass of the sweep over MESSAGES (limits.h), in its own transaction,
 * and whether the store is near its ceiling. */
static void
s_housekeeping (tsg_hub_t *self)
{
    tsg_hub_intake_prune (self->intake, self->store);
    size_t used = 0, map = 0;
    if (tsg_store_usage (self->store, &used, &map) == TSG_OK)
        tsg_hub_intake_set_store_full (
            self->intake, used > self->map_max / 100 * (100 - TSG_HUB_STORE_RESERVE_PERCENT));
}

/* Timers: registry generation, idle sessions, stalled windows, consents that ended. */
static void
s_timers (tsg_hub_t *self, uint64_t now)
{
    if (now - self->registry_checked_at >= TSG_HUB_REGISTRY_CHECK_MS) {
        self->registry_checked_at = now;
        s_registry_check (self);
    }
    if (now - self->sessions_checked_at >= 1000) {
        self->sessions_checked_at = now;
        tsg_hub_sessions_expire (self->sessions, now, TSG_HUB_IDLE_MS);
        for (size_t i = 0; i < tsg_hub_sessions_size (self->sessions); i++)
            tsg_hub_session_check_stall (tsg_hub_sessions_at (self->sessions, i), now,
                                         TSG_HUB_STALL_MS);
        /* An expired consent withholds its mail at once (within the second). */
        if (tsg_hub_intake_expire (self->intake, self->store) > 0)
            s_note_effects (self, now);
        s_housekeeping (self);
        tsg_hub_zap_flush (self->zap);
    }
}

/* How long the next poll may wait (ms): until the next timer or paused forward. */
static long
s_poll_timeout (tsg_hub_t *self, uint64_t now)
{
    uint64_t wait = TSG_HUB_REGISTRY_CHECK_MS;
    uint64_t since = now - self->registry_checked_at;
    wait = since >= wait ? 0 : wait - since;
    for (size_t i = 0; i < tsg_hub_sessions_size (self->sessions); i++) {
        tsg_hub_session_t *s = tsg_hub_sessions_at (self->sessions, i);
        if (tsg_hub_session_wants (s, UINT64_MAX)) {
            uint64_t until = 0;
            if (!tsg_hub_session_wants (s, now))
                until = 20; /* paused: look again shortly */
            if (until < wait)
                wait = until;
        }
    }
    if (self->http) {
        long http = tsg_hub_http_timeout (self->http);
        if (http >= 0 && (uint64_t) http < wait)
            wait = (uint64_t) http;
    }
    return (long) wait;
}

/* Answers the control requests that are waiting, one transaction each. */
static void
s_control (tsg_hub_t *self)
{
    tsg_hub_control_env_t env = { .store = self->store,
                                  .intake = self->intake,
                                  .keys = self->keys,
                                  .directory = self->directory,
                                  .sessions = self->sessions };
    while (tsg_hub_control_handle (self->control, &env))
        s_note_effects (self, tsg_monotonic_ms ());
}

int
tsg_hub_run (tsg_hub_t *self, volatile sig_atomic_t *stop)
{
    while (!*stop) {
        uint64_t now = tsg_monotonic_ms ();
        zmq_pollitem_t items[4] = {
            { self->router, 0, ZMQ_POLLIN, 0 },
            { tsg_hub_zap_socket (self->zap), 0, ZMQ_POLLIN, 0 },
            { self->control ? tsg_hub_control_socket (self->control) : NULL, 0, ZMQ_POLLIN, 0 },
            { NULL, self->http ? tsg_hub_http_fd (self->http) : -1, ZMQ_POLLIN, 0 },
        };
        int count = 2;
        if (self->control)
            count = 3;
        if (self->http) {
            if (count == 2)
                items[2] = items[3];
            count++;
        }
        int rc = zmq_poll (items, count, s_poll_timeout (self, now));
        if (rc < 0) {
            if (zmq_errno () == EINTR)
                continue;
            log_warnx ("hub: poll failed: %s", zmq_strerror (zmq_errno ()));
            return -1;
        }
        if (items[1].revents & ZMQ_POLLIN)
            tsg_hub_zap_handle (self->zap);
        if (items[0].revents & ZMQ_POLLIN)
            s_batch (self);
        if (self->control && (items[2].revents & ZMQ_POLLIN))
            s_control (self);
        /* libmicrohttpd does what is ready (and its timeouts) without blocking. */
        if (self->http)
            tsg_hub_http_run (self->http);
        now = tsg_monotonic_ms ();
        s_timers (self, now);
        for (size_t i = 0; i < tsg_hub_sessions_size (self->sessions); i++)
            s_forward (self, tsg_hub_sessions_at (self->sessions, i), now);
    }
    log_info ("stopping: %llu envelopes in %llu batches, %llu batches not committed, "
              "%llu answers dropped",
              (unsigned long long) self->letters_in, (unsigned long long) self->batches,
              (unsigned long long) self->batches_failed,
              (unsigned long long) self->answers_dropped);
    return 0;
}
