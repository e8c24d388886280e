/* loop.c — the agency daemon's one loop: zmq_poll over the DEALER and the HTTP epoll fd, one
 * group commit per turn for the letters received and those the API accepted, HELLO every
 * second, the outbox timers, the retention sweep.  It runs until a signal asks it to stop
 * (signals.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "agency/core/inbox.h"
#include "agency/core/outbound.h"
#include "agency/core/pending.h"
#include "agency/daemon/http.h"
#include "agency/daemon/link.h"
#include "agency/daemon/signals.h"
#include "agency/daemon/webhooks.h"
#include "agency/records/events.h"

#define HELLO_INTERVAL_MS 1000
#define RECEIVE_BATCH     1024
#define EVENTS_PRUNE_MAX  1000 /* events one retention pass may delete */

/* One pass of the retention sweeps (seen.h, events.h) in a short write transaction of its
 * own. */
static void
s_retention_pass (tsg_agency_t *self)
{
    const tsg_agency_config_t *config = self->config;
    uint64_t days = config->seen_days ? config->seen_days : AGENCY_SEEN_DAYS_DEFAULT;
    uint64_t now = tsg_now_ms ();
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, true);
    size_t n = agency_retention_prune (&txn, &self->prune, now, days * 24 * 3600 * 1000);
    size_t events = agency_events_prune_past (
        &txn, now, config->events_keep ? config->events_keep : AGENCY_EVENTS_KEEP,
        (config->events_keep ? config->events_days : AGENCY_EVENTS_DAYS) * 24ULL * 3600 * 1000,
        EVENTS_PRUNE_MAX);
    if (n + events > 0 && tsg_txn_commit (&txn) == TSG_OK) {
        self->pruned += n;
        self->events_pruned += events;
    }
    else
        tsg_txn_abort (&txn);
}

/* HELLO: every second while the coordinator takes our letters, every AGENCY_HELLO_SLOW_MS
 * while it refuses them (a suspended agency learns it was resumed from the answer).  While
 * forwarded letters are held it asks for the mailbox again from the oldest. */
static void
s_hello (tsg_agency_t *self)
{
    tsg_letter_t letter;
    uint8_t message_id[TSG_MESSAGE_ID_SIZE];
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    Tsunagu__V1__Hello hello = TSUNAGU__V1__HELLO__INIT;
    tsg_letter_prepare (&letter, NULL, message_id, TSUNAGU__V1__KIND__KIND_HELLO, self->config->id,
                        TSG_COORDINATOR_ID);
    letter.sequence = 0;
    letter.created_at_ms = agency_standing_now_ms (&self->standing);
    hello.batch_proofs = true; /* protocol 1.1: letters to us may be signed in batches */
    letter.hello = &hello;
    if (self->hold_inbound)
        hello.resend_from_oldest = true;
    if (self->coordinator.has_next) /* a hand-over of the coordinator's keys: we hold them */
        hello.coordinator_next_sign_public =
            (ProtobufCBinaryData){ 32, self->coordinator.next_sign };
    if (tsg_envelope_seal (&letter, self->config->keys, &sealed, &sealed_len) == TSG_OK) {
        self->send (self->send_arg, sealed, sealed_len);
        free (sealed);
    }
}

/* For /metrics: one group commit of api letters from the API and inbound frames, which ran
 * seconds. */
static void
s_observe_commit (tsg_agency_t *self, size_t api, size_t inbound, double seconds)
{
    if (api > 0)
        agency_histogram_observe (&self->stats.commit_api_letters, (double) api);
    if (inbound > 0)
        agency_histogram_observe (&self->stats.commit_inbound_letters, (double) inbound);
    agency_histogram_observe (&self->stats.commit_seconds, seconds);
}

/* One group commit: the inbound letters waiting on the DEALER (up to one batch) and the
 * letters the API accepted (referrals, status changes, case events), in one write transaction;
 * then, and only then, receipts and answers. */
static void
s_commit_batch (tsg_agency_t *self, zmq_msg_t *messages, bool inbound)
{
    const uint8_t *frames[RECEIVE_BATCH];
    size_t lens[RECEIVE_BATCH];
    size_t count = 0, received = 0;
    while (inbound && received < RECEIVE_BATCH) {
        zmq_msg_t *msg = &messages[received];
        zmq_msg_init (msg);
        if (agency_link_recv (self->link, msg) < 0) {
            zmq_msg_close (msg);
            break;
        }
        received++;
        if (zmq_msg_size (msg) == 0)
            continue; /* an empty delimiter frame carries no envelope */
        frames[count] = zmq_msg_data (msg);
        lens[count] = zmq_msg_size (msg);
        count++;
    }
    bool answers = self->pending != NULL;
    if (count > 0 || answers) {
        agency_batch_t batch = { 0 };
        tsg_txn_t txn;
        double started = agency_histogram_clock ();
        tsg_txn_begin (self->store, &txn, true);
        if (count > 0)
            agency_receive_into (self, &txn, frames, lens, count, &batch);
        size_t written = agency_pending_write (self, &txn);
        int rc = tsg_txn_commit (&txn);
        s_observe_commit (self, written, count, agency_histogram_clock () - started);
        if (rc != TSG_OK)
            self->stats.commit_failures++;
        agency_receive_finish (self, &batch, rc);
        if (self->coordinator_keys_changed && rc != TSG_OK) {
            /* Not stored: trust what the store holds, as a restart would. */
            tsg_txn_begin (self->store, &txn, false);
            agency_pin_load (&txn, self->config->coordinator_box, self->config->coordinator_sign,
                             &self->coordinator);
            tsg_txn_abort (&txn);
        }
        if (self->coordinator_keys_changed) {
            self->coordinator_keys_changed = false;
            agency_link_set_server_keys (self->link, self->coordinator.box,
                                         self->coordinator.has_next ? self->coordinator.next_box
                                                                    : NULL);
            self->hello_due_ms = agency_now_mono (); /* tell the coordinator at once */
        }
        agency_pending_finish (self, rc, agency_http_answer, self->http);
        if (rc == TSG_OK)
            agency_http_events (self->http); /* long-polls learn of the events just committed */
        if (rc == TSG_ERR_STORE_FULL)
            tsg_store_grow (self->store, self->config->map_max > self->config->map_size
                                             ? self->config->map_max
                                             : self->config->map_size);
        if (self->hold_inbound)
            self->hello_due_ms = agency_now_mono (); /* ask for the mailbox again now */
    }
    for (size_t i = 0; i < received; i++)
        zmq_msg_close (&messages[i]);
    if (answers)
        agency_http_run (self->http); /* the resumed connections get their answers */
}

static long
s_min_timeout (long a, long b)
{
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

int
tsg_agency_run (tsg_agency_t *self)
{
    zmq_msg_t *messages = calloc (RECEIVE_BATCH, sizeof *messages);
    if (!messages || !self->link || !self->http) {
        free (messages);
        log_warnx ("the agency is not started");
        return 1;
    }
    log_info ("agency %s running", self->config->id);
    while (!agency_stopping ()) {
        uint64_t now = agency_now_mono ();
        if (now >= self->hello_due_ms) {
            s_hello (self);
            self->hello_due_ms = now
                                 + (agency_standing_silent (&self->standing) ? AGENCY_HELLO_SLOW_MS
                                                                             : HELLO_INTERVAL_MS);
        }
        if (now >= self->prune_at_ms) {
            s_retention_pass (self);
            self->prune_at_ms = now + 1000;
            /* Once a second: a link the coordinator refused at the handshake tries again. */
            if (agency_link_check (self->link, self->coordinator_seen_ms, now))
                self->hello_due_ms = now;
        }
        agency_pump (self);

        long timeout = (long) (self->hello_due_ms - now);
        timeout = s_min_timeout (timeout, agency_outbox_timeout (self->outbox, now));
        timeout = s_min_timeout (timeout, agency_http_timeout (self->http));
        timeout = s_min_timeout (timeout, agency_webhooks_timeout (self->webhooks));
        if (timeout < 0)
            timeout = 0;
        zmq_pollitem_t items[2] = {
            { agency_link_socket (self->link), 0,
              (short) (ZMQ_POLLIN | (agency_outbox_blocked (self->outbox) ? ZMQ_POLLOUT : 0)), 0 },
            { NULL, agency_http_fd (self->http), ZMQ_POLLIN, 0 },
        };
        int rc = zmq_poll (items, 2, timeout);
        if (rc < 0) {
            if (zmq_errno () == EINTR)
                continue;
            log_warnx ("poll: %s", zmq_strerror (zmq_errno ()));
            break;
        }
        /* HTTP first (its reads happen outside any write transaction): accepted referrals
         * wait suspended for the commit that follows. */
        agency_http_run (self->http);
        bool inbound = (items[0].revents & ZMQ_POLLIN) != 0;
        if (inbound || self->pending)
            s_commit_batch (self, messages, inbound);
        /* The events this turn committed go out at once; a transfer never waits here. */
        agency_webhooks_run (self->webhooks);
    }
    /* Nothing is pending here: every batch was committed in the iteration that took it. */
    free (messages);
    log_info ("agency %s stopping", self->config->id);
    return 0;
}
