/* When to send and resend the outbox: letters go out in sequence order, and everything
 * not yet acknowledged is resent from the first unacknowledged letter, with backoff. */
#include <stdlib.h>

#include "tsunagu/tsunagu.h"
#include "agency/records/outbox.h"

struct _agency_outbox_t {
    tsg_store_t *store;   /* the agency's store (borrowed) */
    MDB_dbi db;           /* its outbox database: be64 sequence → Envelope */
    uint64_t first;       /* first unacknowledged sequence, 0 when empty */
    size_t count;         /* letters in the outbox */
    uint64_t next_send;   /* the next sequence to hand to the socket */
    bool unsent;          /* letters at or after next_send exist */
    bool blocked;         /* the last send failed: wait for the socket */
    bool window_full;     /* unsent letters wait for acknowledgements */
    uint64_t backoff_ms;  /* current resend delay */
    uint64_t deadline_ms; /* resend when nothing is acknowledged by then; 0 = none */
    uint64_t rewound_ms;  /* when the last rewind happened; 0 = never */
};

agency_outbox_t *
agency_outbox_new (tsg_store_t *store, MDB_dbi db)
{
    agency_outbox_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->db = db;
    self->backoff_ms = AGENCY_OUTBOX_BACKOFF_MIN_MS;
    return self;
}

void
agency_outbox_destroy (agency_outbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

static bool
s_in_flight (const agency_outbox_t *self)
{
    return self->first != 0 && self->next_send > self->first;
}

void
agency_outbox_refresh (agency_outbox_t *self, uint64_t now_ms)
{
    uint64_t old_first = self->first;
    tsg_txn_t txn;
    tsg_iter_t it;
    uint8_t key[8];

    tsg_txn_begin (self->store, &txn, false);
    self->first = 0;
    tsg_iter_begin (&txn, self->db, &it, NULL, 0);
    if (it.valid && it.key.mv_size == 8)
        self->first = tsg_be64_get (it.key.mv_data);
    tsg_iter_end (&it);
    self->count = tsg_txn_count (&txn, self->db);
    if (self->first == 0) {
        self->next_send = 0;
        self->unsent = false;
        self->blocked = false;
        self->window_full = false;
        self->deadline_ms = 0;
        self->backoff_ms = AGENCY_OUTBOX_BACKOFF_MIN_MS;
        tsg_txn_abort (&txn);
        return;
    }
    if (self->next_send < self->first)
        self->next_send = self->first;
    tsg_be64_put (key, self->next_send);
    tsg_iter_begin (&txn, self->db, &it, key, 8);
    self->unsent = it.valid;
    self->window_full =
        it.valid && tsg_be64_get (it.key.mv_data) >= self->first + AGENCY_OUTBOX_WINDOW;
    tsg_iter_end (&it);
    tsg_txn_abort (&txn);

    if (self->first != old_first) {
        /* Progress: the coordinator is taking letters, so start the backoff again. */
        self->backoff_ms = AGENCY_OUTBOX_BACKOFF_MIN_MS;
        self->rewound_ms = 0;
        self->deadline_ms = s_in_flight (self) ? now_ms + self->backoff_ms : 0;
    }
    if (!s_in_flight (self))
        self->deadline_ms = 0;
}

size_t
agency_outbox_pump (agency_outbox_t *self, uint64_t now_ms, agency_outbox_send_fn *send, void *arg)
{
    if (self->first == 0)
        return 0;
    if (s_in_flight (self) && self->deadline_ms && now_ms >= self->deadline_ms) {
        log_debug ("outbox: nothing acknowledged for %llu ms, resending from %llu",
                   (unsigned long long) self->backoff_ms, (unsigned long long) self->first);
        self->next_send = self->first;
        self->unsent = true;
        self->backoff_ms *= 2;
        if (self->backoff_ms > AGENCY_OUTBOX_BACKOFF_MAX_MS)
            self->backoff_ms = AGENCY_OUTBOX_BACKOFF_MAX_MS;
        self->deadline_ms = 0;
    }
    if (!self->unsent)
        return 0;

    size_t sent = 0;
    tsg_txn_t txn;
    tsg_iter_t it;
    uint8_t key[8];
    tsg_txn_begin (self->store, &txn, false);
    tsg_be64_put (key, self->next_send);
    self->blocked = false;
    self->window_full = false;
    for (tsg_iter_begin (&txn, self->db, &it, key, 8); it.valid; tsg_iter_next (&it)) {
        if (it.key.mv_size != 8)
            continue;
        uint64_t sequence = tsg_be64_get (it.key.mv_data);
        if (sequence >= self->first + AGENCY_OUTBOX_WINDOW) {
            self->window_full = true;
            break;
        }
        if (send (arg, sequence, it.val.mv_data, it.val.mv_size) != 0) {
            self->blocked = true;
            break;
        }
        sent++;
        self->next_send = sequence + 1;
    }
    self->unsent = it.valid;
    tsg_iter_end (&it);
    tsg_txn_abort (&txn);
    if (sent > 0 && self->deadline_ms == 0)
        self->deadline_ms = now_ms + self->backoff_ms;
    return sent;
}

void
agency_outbox_rewind (agency_outbox_t *self, uint64_t now_ms)
{
    if (self->first == 0)
        return;
    if (self->rewound_ms && now_ms < self->rewound_ms + self->backoff_ms)
        return; /* rewound lately: the resend deadline takes it from here */
    if (self->rewound_ms) {
        self->backoff_ms *= 2;
        if (self->backoff_ms > AGENCY_OUTBOX_BACKOFF_MAX_MS)
            self->backoff_ms = AGENCY_OUTBOX_BACKOFF_MAX_MS;
    }
    self->rewound_ms = now_ms;
    self->next_send = self->first;
    self->unsent = true;
    self->window_full = false;
    self->deadline_ms = 0;
}

long
agency_outbox_timeout (const agency_outbox_t *self, uint64_t now_ms)
{
    if (self->first == 0)
        return -1;
    if (self->unsent && !self->blocked && !self->window_full)
        return 0;
    if (s_in_flight (self) && self->deadline_ms)
        return self->deadline_ms > now_ms ? (long) (self->deadline_ms - now_ms) : 0;
    return -1;
}

bool
agency_outbox_blocked (const agency_outbox_t *self)
{
    return self->first != 0 && self->unsent && self->blocked;
}

uint64_t
agency_outbox_first (const agency_outbox_t *self)
{
    return self->first;
}

uint64_t
agency_outbox_next (const agency_outbox_t *self)
{
    return self->next_send;
}

size_t
agency_outbox_pending (const agency_outbox_t *self)
{
    return self->count;
}
