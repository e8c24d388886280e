/* hub_forward.c — forwarding: each session's mail sent from where it stopped, while its
 * window (sessions.c) and the router allow, and what a commit did to the sessions (entries
 * acknowledged or withheld leave the window; new mail makes a session want forwarding). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "coordinator/daemon/hub_parts.h"

void
hub_note_effects (tsg_hub_t *self, uint64_t now)
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
    if (hub_send_frames (fw->hub, rid, rid_len, fw->frames, fw->lens, fw->count) != 0) {
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

void
hub_forward (tsg_hub_t *self, tsg_hub_session_t *s, uint64_t now)
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
