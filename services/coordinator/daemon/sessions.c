/* sessions.c — the table of agency sessions and each one's forwarding window. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/daemon/sessions.h"

struct _tsg_hub_session_t {
    char id[TSG_ID_MAX + 1];       /* the agency, as ZAP authenticated it */
    uint8_t rid[TSG_HUB_RID_MAX];  /* its connection's routing id */
    size_t rid_len;                /* bytes of rid in use */
    uint64_t started_at;           /* monotonic ms when the session began */
    uint64_t last_seen;            /* monotonic ms of its last message */
    uint64_t next_seq;             /* mailbox sequence to forward from next */
    uint64_t ring[TSG_HUB_WINDOW]; /* forwarded sequences, in sending order, from ring_head */
    bool done[TSG_HUB_WINDOW];     /* acknowledged flags, parallel to ring */
    size_t ring_head;              /* index of the oldest kept entry */
    size_t ring_len;               /* entries kept (oldest unacknowledged .. newest sent) */
    size_t outstanding;            /* entries kept and not acknowledged */
    uint64_t last_progress;        /* monotonic ms of the last ack (or of the first send) */
    bool want;                     /* forwarding should be tried */
    uint64_t not_before;           /* ... but not before this monotonic ms */
    bool directory_due;            /* a DIRECTORY must be sent */
    uint64_t forwarded;            /* letters forwarded in this session, for the log */
    uint64_t rewound_at;           /* monotonic ms of the last rewind the agency asked for */
    uint8_t holds[32];             /* the coordinator's next signing key its HELLO named */
    bool holds_known;              /* ... when it named one */
};

struct _tsg_hub_sessions_t {
    tsg_hub_session_t **items; /* the sessions (owned), unordered */
    size_t count;              /* entries in use */
    size_t capacity;           /* entries allocated */
};

tsg_hub_sessions_t *
tsg_hub_sessions_new (void)
{
    return calloc (1, sizeof (tsg_hub_sessions_t));
}

void
tsg_hub_sessions_destroy (tsg_hub_sessions_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_hub_sessions_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free (self->items[i]);
    free (self->items);
    free (self);
    *self_p = NULL;
}

static size_t
s_index_of (const tsg_hub_sessions_t *self, const char *id)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->items[i]->id, id) == 0)
            return i;
    return self->count;
}

tsg_hub_session_t *
tsg_hub_sessions_find (tsg_hub_sessions_t *self, const char *id)
{
    size_t i = s_index_of (self, id);
    return i < self->count ? self->items[i] : NULL;
}

/* Removes the index-th session, logging its end. */
static void
s_remove (tsg_hub_sessions_t *self, size_t i, const char *why, uint64_t now)
{
    tsg_hub_session_t *s = self->items[i];
    log_info ("session end: %s (%s) after %llu s, %llu letters forwarded, %zu unacknowledged",
              s->id, why, (unsigned long long) ((now - s->started_at) / 1000),
              (unsigned long long) s->forwarded, s->outstanding);
    free (s);
    self->items[i] = self->items[--self->count];
}

tsg_hub_session_t *
tsg_hub_sessions_touch (tsg_hub_sessions_t *self, const char *id, const uint8_t *rid,
                        size_t rid_len, uint64_t now, bool may_replace, bool *started)
{
    *started = false;
    if (rid_len > TSG_HUB_RID_MAX)
        rid_len = TSG_HUB_RID_MAX;
    size_t i = s_index_of (self, id);
    if (i < self->count) {
        tsg_hub_session_t *s = self->items[i];
        if (s->rid_len == rid_len && memcmp (s->rid, rid, rid_len) == 0) {
            s->last_seen = now;
            return s;
        }
        if (!may_replace)
            return s;
        s_remove (self, i, "the agency reconnected", now);
    }
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 8;
        tsg_hub_session_t **grown = realloc (self->items, capacity * sizeof *grown);
        if (!grown)
            return NULL;
        self->items = grown;
        self->capacity = capacity;
    }
    tsg_hub_session_t *s = calloc (1, sizeof *s);
    if (!s)
        return NULL;
    snprintf (s->id, sizeof s->id, "%s", id);
    memcpy (s->rid, rid, rid_len);
    s->rid_len = rid_len;
    s->started_at = s->last_seen = s->last_progress = now;
    s->want = true;
    s->directory_due = true;
    self->items[self->count++] = s;
    *started = true;
    log_info ("session start: %s", id);
    return s;
}

void
tsg_hub_sessions_drop (tsg_hub_sessions_t *self, const char *id, const char *why)
{
    size_t i = s_index_of (self, id);
    if (i < self->count)
        s_remove (self, i, why, tsg_monotonic_ms ());
}

size_t
tsg_hub_sessions_expire (tsg_hub_sessions_t *self, uint64_t now, uint64_t idle_ms)
{
    size_t ended = 0;
    for (size_t i = 0; i < self->count;) {
        if (now - self->items[i]->last_seen >= idle_ms) {
            s_remove (self, i, "silent too long", now);
            ended++;
        }
        else
            i++;
    }
    return ended;
}

size_t
tsg_hub_sessions_size (const tsg_hub_sessions_t *self)
{
    return self->count;
}

tsg_hub_session_t *
tsg_hub_sessions_at (tsg_hub_sessions_t *self, size_t index)
{
    return index < self->count ? self->items[index] : NULL;
}

const char *
tsg_hub_session_id (const tsg_hub_session_t *self)
{
    return self->id;
}

const uint8_t *
tsg_hub_session_rid (const tsg_hub_session_t *self, size_t *len)
{
    *len = self->rid_len;
    return self->rid;
}

uint64_t
tsg_hub_session_next_seq (const tsg_hub_session_t *self)
{
    return self->next_seq;
}

bool
tsg_hub_session_window_open (const tsg_hub_session_t *self)
{
    return self->ring_len < TSG_HUB_WINDOW;
}

size_t
tsg_hub_session_outstanding (const tsg_hub_session_t *self)
{
    return self->outstanding;
}

size_t
tsg_hub_session_room (const tsg_hub_session_t *self)
{
    return TSG_HUB_WINDOW - self->ring_len;
}

void
tsg_hub_session_sent (tsg_hub_session_t *self, uint64_t seq, uint64_t now)
{
    if (self->ring_len == TSG_HUB_WINDOW)
        return; /* callers check the window first; never overwrite */
    if (self->outstanding == 0)
        self->last_progress = now;
    size_t at = (self->ring_head + self->ring_len) % TSG_HUB_WINDOW;
    self->ring[at] = seq;
    self->done[at] = false;
    self->ring_len++;
    self->outstanding++;
    self->forwarded++;
    if (seq >= self->next_seq)
        self->next_seq = seq + 1;
}

void
tsg_hub_session_acked (tsg_hub_session_t *self, uint64_t seq, uint64_t now)
{
    /* The kept entries are in increasing order: binary search by position. */
    size_t lo = 0, hi = self->ring_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t value = self->ring[(self->ring_head + mid) % TSG_HUB_WINDOW];
        if (value == seq) {
            size_t at = (self->ring_head + mid) % TSG_HUB_WINDOW;
            if (!self->done[at]) {
                self->done[at] = true;
                self->outstanding--;
                self->last_progress = now;
            }
            break;
        }
        if (value < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    while (self->ring_len > 0 && self->done[self->ring_head]) {
        self->ring_head = (self->ring_head + 1) % TSG_HUB_WINDOW;
        self->ring_len--;
    }
}

bool
tsg_hub_session_check_stall (tsg_hub_session_t *self, uint64_t now, uint64_t stall_ms)
{
    if (self->outstanding == 0 || now - self->last_progress < stall_ms)
        return false;
    log_info ("session %s: nothing acknowledged for %llu s; resending %zu letters from the oldest",
              self->id, (unsigned long long) (stall_ms / 1000), self->outstanding);
    self->ring_head = self->ring_len = self->outstanding = 0;
    self->next_seq = 0;
    self->last_progress = now;
    self->want = true;
    self->not_before = 0;
    return true;
}

bool
tsg_hub_session_rewind (tsg_hub_session_t *self, uint64_t now)
{
    if (self->rewound_at && now - self->rewound_at < TSG_HUB_REWIND_MIN_MS)
        return false;
    self->rewound_at = now;
    log_info ("session %s: the agency asked for its mailbox again; resending %zu letters from the "
              "oldest",
              self->id, self->outstanding);
    self->ring_head = self->ring_len = self->outstanding = 0;
    self->next_seq = 0;
    self->last_progress = now;
    self->want = true;
    self->not_before = 0;
    return true;
}

void
tsg_hub_session_want (tsg_hub_session_t *self, bool want, uint64_t not_before)
{
    self->want = want;
    self->not_before = not_before;
}

bool
tsg_hub_session_wants (const tsg_hub_session_t *self, uint64_t now)
{
    return self->want && now >= self->not_before;
}

void
tsg_hub_session_set_directory_due (tsg_hub_session_t *self, bool due)
{
    self->directory_due = due;
}

bool
tsg_hub_session_directory_due (const tsg_hub_session_t *self)
{
    return self->directory_due;
}

uint64_t
tsg_hub_session_last_seen (const tsg_hub_session_t *self)
{
    return self->last_seen;
}

void
tsg_hub_session_set_holds (tsg_hub_session_t *self, const uint8_t sign_public[32])
{
    self->holds_known = sign_public != NULL;
    if (sign_public)
        memcpy (self->holds, sign_public, 32);
}

bool
tsg_hub_session_holds (const tsg_hub_session_t *self, const uint8_t sign_public[32])
{
    return self->holds_known && memcmp (self->holds, sign_public, 32) == 0;
}
