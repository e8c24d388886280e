/* throttle.c — turns a run of like log lines into one line and a count per key per window. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_throttle.h"

/* One key's run of events. */
typedef struct {
    char key[TSG_THROTTLE_KEY_MAX + 1];       /* the key, cut to TSG_THROTTLE_KEY_MAX */
    char detail[TSG_THROTTLE_DETAIL_MAX + 1]; /* the latest event's detail */
    uint64_t window_start;                    /* when the key's window began */
    uint64_t last_seen;                       /* its latest event (the oldest is evicted) */
    uint64_t count;                           /* events in the window not yet in a summary */
    bool used;                                /* the slot holds a key */
} s_slot_t;

struct _tsg_throttle_t {
    s_slot_t *slots;          /* the table */
    size_t size;              /* slots in it */
    uint64_t window_ms;       /* a window's length */
    size_t fresh_max;         /* new keys logged in full per window */
    size_t fresh;             /* new keys logged in full in the current fresh window */
    uint64_t fresh_start;     /* when that window began */
    s_slot_t others;          /* events of new keys past fresh_max, counted together */
    uint64_t next_due;        /* the earliest window end with a count (UINT64_MAX: none) */
    uint64_t total;           /* events ever counted */
    tsg_throttle_fn *summary; /* writes a summary */
    void *arg;                /* its argument */
};

tsg_throttle_t *
tsg_throttle_new (size_t slots, uint64_t window_ms, size_t fresh_max, tsg_throttle_fn *summary,
                  void *arg)
{
    assert (summary && slots > 0);
    tsg_throttle_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->slots = calloc (slots, sizeof *self->slots);
    if (!self->slots) {
        free (self);
        return NULL;
    }
    self->size = slots;
    self->window_ms = window_ms;
    self->fresh_max = fresh_max;
    self->next_due = UINT64_MAX;
    self->summary = summary;
    self->arg = arg;
    return self;
}

/* Hands slot's count to the summary (as elapsed since its window began) and zeroes it. */
static void
s_report (tsg_throttle_t *self, s_slot_t *slot, uint64_t now_ms, bool others)
{
    if (slot->count == 0)
        return;
    uint64_t elapsed = now_ms > slot->window_start ? now_ms - slot->window_start : 0;
    self->summary (self->arg, others ? NULL : slot->key, slot->detail, slot->count, elapsed);
    slot->count = 0;
}

/* Notes when slot's summary falls due. */
static void
s_due (tsg_throttle_t *self, const s_slot_t *slot)
{
    uint64_t due = slot->window_start + self->window_ms;
    if (slot->count > 0 && due < self->next_due)
        self->next_due = due;
}

static void
s_copy (char *out, size_t size, const char *text)
{
    snprintf (out, size, "%s", text ? text : "");
}

void
tsg_throttle_destroy (tsg_throttle_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_throttle_t *self = *self_p;
    for (size_t i = 0; i < self->size; i++)
        s_report (self, &self->slots[i], self->slots[i].last_seen, false);
    s_report (self, &self->others, self->others.last_seen, true);
    free (self->slots);
    free (self);
    *self_p = NULL;
}

/* An event of a key the table does not hold.  True when it is to be logged in full. */
static bool
s_fresh (tsg_throttle_t *self, const char *key, const char *detail, uint64_t now_ms)
{
    if (now_ms - self->fresh_start >= self->window_ms) {
        self->fresh_start = now_ms;
        self->fresh = 0;
    }
    if (self->fresh >= self->fresh_max) {
        s_slot_t *others = &self->others;
        if (others->count == 0)
            others->window_start = now_ms;
        others->count++;
        others->last_seen = now_ms;
        s_copy (others->detail, sizeof others->detail, detail);
        s_due (self, others);
        return false;
    }
    self->fresh++;
    s_slot_t *slot = NULL;
    for (size_t i = 0; i < self->size && !slot; i++)
        if (!self->slots[i].used)
            slot = &self->slots[i];
    if (!slot) {
        slot = &self->slots[0];
        for (size_t i = 1; i < self->size; i++)
            if (self->slots[i].last_seen < slot->last_seen)
                slot = &self->slots[i];
        s_report (self, slot, slot->last_seen, false);
    }
    memset (slot, 0, sizeof *slot);
    slot->used = true;
    s_copy (slot->key, sizeof slot->key, key);
    s_copy (slot->detail, sizeof slot->detail, detail);
    slot->window_start = slot->last_seen = now_ms;
    return true;
}

bool
tsg_throttle_hit (tsg_throttle_t *self, const char *key, const char *detail, uint64_t now_ms)
{
    char cut[TSG_THROTTLE_KEY_MAX + 1];
    s_copy (cut, sizeof cut, key);
    self->total++;
    s_slot_t *slot = NULL;
    for (size_t i = 0; i < self->size && !slot; i++)
        if (self->slots[i].used && strcmp (self->slots[i].key, cut) == 0)
            slot = &self->slots[i];
    if (!slot)
        return s_fresh (self, cut, detail, now_ms);

    slot->last_seen = now_ms;
    s_copy (slot->detail, sizeof slot->detail, detail);
    if (now_ms - slot->window_start < self->window_ms) {
        slot->count++;
        s_due (self, slot);
        return false;
    }
    if (slot->count == 0) {
        /* A quiet window: this one starts a new run and is logged. */
        slot->window_start = now_ms;
        return true;
    }
    /* The run goes on: its summary now, and this event opens the next window's count. */
    s_report (self, slot, now_ms, false);
    slot->window_start = now_ms;
    slot->count = 1;
    s_due (self, slot);
    return false;
}

void
tsg_throttle_flush (tsg_throttle_t *self, uint64_t now_ms)
{
    if (now_ms < self->next_due)
        return;
    self->next_due = UINT64_MAX;
    for (size_t i = 0; i <= self->size; i++) {
        s_slot_t *slot = i < self->size ? &self->slots[i] : &self->others;
        if (slot->count == 0)
            continue;
        if (now_ms - slot->window_start >= self->window_ms) {
            /* The summary opens the next window: at most one line per key per window. */
            s_report (self, slot, now_ms, i == self->size);
            slot->window_start = now_ms;
        }
        else
            s_due (self, slot);
    }
}

uint64_t
tsg_throttle_total (const tsg_throttle_t *self)
{
    return self->total;
}
