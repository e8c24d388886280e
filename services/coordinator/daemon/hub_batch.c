/* hub_batch.c — one batch of inbound letters: every message waiting on the router is taken
 * (up to TSG_HUB_BATCH_MESSAGES, or TSG_HUB_BATCH_FRAMES envelopes) and each envelope handed
 * to the intake as it came (the intake decodes it, once); one write transaction, the audit
 * flushed, one commit; then the answers go out, and the verified letters' sessions move.
 * Owns the batch's list of answers waiting for the commit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "coordinator/daemon/hub_parts.h"

/* A fresh pending slot for an answer, or NULL when memory ran out (the answer is lost; the
 * agency resends and is answered then). */
static hub_pending_t *
s_pending_add (tsg_hub_t *self, const uint8_t *rid, size_t rid_len, const char *to)
{
    if (self->pending_count == self->pending_capacity) {
        size_t capacity = self->pending_capacity ? self->pending_capacity * 2 : 256;
        hub_pending_t *grown = realloc (self->pending, capacity * sizeof *grown);
        if (!grown) {
            log_warnx ("hub: out of memory for answers");
            return NULL;
        }
        self->pending = grown;
        self->pending_capacity = capacity;
    }
    hub_pending_t *p = &self->pending[self->pending_count++];
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
    if (s && answer->hello)
        tsg_hub_session_set_holds (s, answer->holds_next ? answer->holds_next_sign : NULL);
    if (s && answer->rewind && !started) {
        size_t rid_len;
        const uint8_t *on = tsg_hub_session_rid (s, &rid_len);
        /* A HELLO on a dying connection must not rewind the live one, and the answer says
         * "rewound" only when it was (the agency asks again, a second later). */
        bool same = rid_len == zmq_msg_size (rid) && memcmp (on, zmq_msg_data (rid), rid_len) == 0;
        answer->rewind = same && tsg_hub_session_rewind (s, now);
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
            hub_pending_t *p = s_pending_add (self, zmq_msg_data (&rid), zmq_msg_size (&rid),
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
        hub_pending_t *p = s_pending_add (self, zmq_msg_data (&rid), zmq_msg_size (&rid),
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

void
hub_take_batch (tsg_hub_t *self)
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
        hub_note_effects (self, now);
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
    hub_send_directories (self);
    hub_send_answers (self);
}
