/* hub_parts.h — the hub's state and the pieces its files share.  Private to them:
 *   hub.c          the hub's lifecycle and its loop: poll, then hand each ready socket on
 *   hub_batch.c    one batch: drain the router, one write transaction, commit, answer
 *   hub_forward.c  mail forwarded to each session, and what a commit did to the sessions
 *   hub_timers.c   the registry's generation, idle and stalled sessions, ended consents,
 *                  retention and the store's room
 *   hub_send.c     the ROUTER: binding it, and every send on it (answers, directories)
 *   hub_live.c     what the overview asks the running hub: letters per minute, last seen,
 *                  the validity of the directory each agency was sent
 * Arrows: hub.c -> hub_batch.c, hub_timers.c -> hub_forward.c -> hub_send.c;
 *         hub.c, hub_timers.c -> hub_live.c. */
#ifndef TSG_HUB_HUB_PARTS_H_INCLUDED
#define TSG_HUB_HUB_PARTS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/api/api.h"
#include "coordinator/daemon/control.h"
#include "coordinator/daemon/hub.h"
#include "coordinator/daemon/sessions.h"
#include "coordinator/daemon/zap.h"
#include "coordinator/intake/intake.h"
#include "coordinator/model/audit.h"
#include "coordinator/model/directory.h"
#include "coordinator/model/rotation.h"
#include "coordinator/web/web.h"
#include "tsunagu/tsg_http_server.h"

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
} hub_pending_t;

/* hub_live.c: letters per minute and when each agency last spoke. */
typedef struct _hub_live_t hub_live_t;

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
    tsg_http_server_t *http;        /* the JSON API and the dashboard (NULL until served) */
    tsg_hub_web_t *web;             /* the dashboard's sessions and pages (NULL until served) */
    tsg_hub_control_t *control;     /* the control socket (NULL until served) */
    hub_pending_t *pending;         /* answers of the current batch */
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
    hub_live_t *live;               /* letters per minute, last seen (owned; NULL: none) */
    char *keys_path;                /* the key file (owned; NULL: no rotation of its own keys) */
    tsg_keys_t *next_keys;          /* the keys a rotation under way hands over to (owned) */
    tsg_hub_rotation_t rotation;    /* where that rotation stands, as the store says */
    uint64_t rotation_retry_at;     /* monotonic ms before which a failed switch is not tried */
    uint64_t rebind_at;             /* monotonic ms to bind the listener with the new keys (0:
                                       nothing to do) */
};

/* hub_send.c: creates, configures and binds the ROUTER on endpoint (the bound one goes to
 * self->endpoint).  NULL on failure, logged. */
void *hub_router_new (tsg_hub_t *self, const char *endpoint);

/* hub_send.c: sends frames as one message to rid without blocking.  Returns 0, or -1 with
 * errno (EAGAIN: the peer's queue is full; EHOSTUNREACH: it is gone). */
int hub_send_frames (tsg_hub_t *self, const uint8_t *rid, size_t rid_len, uint8_t *const frames[],
                     const size_t lens[], size_t count);

/* hub_send.c: sends the batch's answers, as few messages as possible (consecutive answers to
 * the same connection together), and empties the list. */
void hub_send_answers (tsg_hub_t *self);

/* hub_send.c: sends the DIRECTORY to every session that is due one. */
void hub_send_directories (tsg_hub_t *self);

/* hub_forward.c: lets the sessions know what the last batch (or control request, or consent
 * expiry) did: entries acknowledged, and agencies with new mail. */
void hub_note_effects (tsg_hub_t *self, uint64_t now);

/* hub_forward.c: forwards the session's mail from where it stopped, while the window and the
 * router allow (proto/README.md §4). */
void hub_forward (tsg_hub_t *self, tsg_hub_session_t *s, uint64_t now);

/* hub_batch.c: one batch: drain up to TSG_HUB_BATCH_MESSAGES messages, one write transaction,
 * commit, then answer (proto/README.md §4).  Nothing when none was waiting. */
void hub_take_batch (tsg_hub_t *self);

/* hub_timers.c: reloads the registry when its generation moved, pushes the new directory and
 * ends the sessions of agencies no longer active (by the clock, and at once after a control
 * request, so that ZAP never admits by a registry older than the last change). */
void hub_registry_check (tsg_hub_t *self);

/* hub_timers.c: what is due at now (monotonic ms): the registry's generation, idle sessions,
 * stalled windows, consents that ended, retention. */
void hub_timers (tsg_hub_t *self, uint64_t now);

/* hub_rotation.c: the rotation of the coordinator's own keys as the store says it (at start
 * and after each registry change): the next keys loaded and handed over in every directory
 * while one is announced; a switch a crash cut short completed. */
void hub_rotation_load (tsg_hub_t *self);

/* hub_rotation.c: by the clock (now: monotonic ms): switches an announced rotation whose time
 * came (every active agency holds the next keys, or the deadline passed): the key files and
 * the record, and the keys everything signs with; a second later the listener is bound again
 * with the new CURVE key.  True when it switched: the caller then sends every session a new
 * directory (hub_registry_check), signed with the new keys, which each agency holds and on
 * which it reconnects to the new server key. */
bool hub_rotation_check (tsg_hub_t *self, uint64_t now);

/* hub_rotation.c: tsg_hub_api_live_t's holds_next_keys (arg: the hub). */
int hub_rotation_holds (void *arg, const char *agency);

/* hub_live.c: a new, empty record of the hub's live figures (NULL when memory ran out), and
 * its end (safe on NULL and twice). */
hub_live_t *hub_live_new (void);
void hub_live_destroy (hub_live_t **self_p);

/* hub_live.c: at each turn of the loop (now: monotonic ms): counts the letters stored since
 * the last turn, and once a second notes when each session last spoke. */
void hub_live_tick (tsg_hub_t *self, uint64_t now);

/* hub_live.c: tsg_hub_api_live_t's last_seen_ms and letters_per_minute (arg: the hub). */
uint64_t hub_live_last_seen_ms (void *arg, const char *agency);

/* hub_live.c: notes that the DIRECTORY sent to agency now is valid until until_ms (wall
 * clock), and tsg_hub_api_live_t's directory_until_ms (arg: the hub). */
void hub_live_directory_sent (tsg_hub_t *self, const char *agency, uint64_t until_ms);
uint64_t hub_live_directory_until_ms (void *arg, const char *agency);
void hub_live_letters_per_minute (void *arg, uint32_t out[60]);

#endif
