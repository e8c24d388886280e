/* guard.c — how often a password may be tried (guard.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/web/guard.h"

/* One name or address and its failures. */
typedef struct {
    char key[64];          /* the name or the address ("" : free) */
    uint32_t failures;     /* consecutive failures */
    uint64_t locked_until; /* monotonic ms; 0: not locked */
    uint64_t used_ms;      /* the last attempt */
} s_entry_t;

struct _tsg_web_guard_t {
    s_entry_t names[TSG_WEB_GUARD_ENTRIES];     /* by user name */
    s_entry_t addresses[TSG_WEB_GUARD_ENTRIES]; /* by client address */
    uint64_t second;                            /* the second the allowance is for */
    unsigned checks;                            /* checks made in it */
};

tsg_web_guard_t *
tsg_web_guard_new (void)
{
    return calloc (1, sizeof (tsg_web_guard_t));
}

void
tsg_web_guard_destroy (tsg_web_guard_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

/* True when a is a better entry to give up than b at now_ms: a free one first, then one not
 * locked (unused longest first), and a locked one only when every one is (its lock ending
 * first): failing many other names must not unlock one. */
static bool
s_rather (const s_entry_t *a, const s_entry_t *b, uint64_t now_ms)
{
    if (!a->key[0] || !b->key[0])
        return !a->key[0] && b->key[0];
    bool a_locked = a->locked_until > now_ms, b_locked = b->locked_until > now_ms;
    if (a_locked != b_locked)
        return !a_locked;
    return a_locked ? a->locked_until < b->locked_until : a->used_ms < b->used_ms;
}

/* The entry of key in table, or NULL when absent and !make; made (replacing the entry s_rather
 * gives up) when make. */
static s_entry_t *
s_entry (s_entry_t *table, const char *key, bool make, uint64_t now_ms)
{
    s_entry_t *room = NULL;
    for (size_t i = 0; i < TSG_WEB_GUARD_ENTRIES; i++) {
        s_entry_t *e = &table[i];
        if (e->key[0] && strncmp (e->key, key, sizeof e->key - 1) == 0)
            return e;
        if (!room || s_rather (e, room, now_ms))
            room = e;
    }
    s_entry_t *oldest = room;
    if (!make)
        return NULL;
    memset (oldest, 0, sizeof *oldest);
    snprintf (oldest->key, sizeof oldest->key, "%s", key);
    return oldest;
}

/* Seconds until e unlocks at now_ms (0: not locked). */
static unsigned
s_wait (const s_entry_t *e, uint64_t now_ms)
{
    if (!e || e->locked_until <= now_ms)
        return 0;
    return (unsigned) ((e->locked_until - now_ms + 999) / 1000);
}

tsg_web_guard_verdict_t
tsg_web_guard_ask (tsg_web_guard_t *self, const char *name, const char *address, uint64_t now_ms,
                   unsigned *wait_s)
{
    unsigned by_name = s_wait (s_entry (self->names, name, false, now_ms), now_ms);
    unsigned by_address = s_wait (s_entry (self->addresses, address, false, now_ms), now_ms);
    *wait_s = by_name > by_address ? by_name : by_address;
    if (*wait_s > 0)
        return TSG_WEB_GUARD_LOCKED;
    if (now_ms / 1000 != self->second) {
        self->second = now_ms / 1000;
        self->checks = 0;
    }
    if (self->checks >= TSG_WEB_GUARD_RATE) {
        *wait_s = 1;
        return TSG_WEB_GUARD_BUSY;
    }
    self->checks++;
    return TSG_WEB_GUARD_TRY;
}

/* Counts a failure of e; true when it locked e now. */
static bool
s_fail (s_entry_t *e, uint32_t free_failures, uint64_t now_ms)
{
    e->used_ms = now_ms;
    e->failures++;
    if (e->failures < free_failures)
        return false;
    uint64_t lock = TSG_WEB_GUARD_LOCK_MS;
    for (uint32_t i = free_failures; i < e->failures && lock < TSG_WEB_GUARD_LOCK_MAX; i++)
        lock *= 2;
    if (lock > TSG_WEB_GUARD_LOCK_MAX)
        lock = TSG_WEB_GUARD_LOCK_MAX;
    e->locked_until = now_ms + lock;
    return true;
}

bool
tsg_web_guard_failed (tsg_web_guard_t *self, const char *name, const char *address, uint64_t now_ms)
{
    bool locked = s_fail (s_entry (self->names, name, true, now_ms), TSG_WEB_GUARD_FREE, now_ms);
    if (s_fail (s_entry (self->addresses, address, true, now_ms), 4 * TSG_WEB_GUARD_FREE, now_ms))
        locked = true;
    return locked;
}

void
tsg_web_guard_succeeded (tsg_web_guard_t *self, const char *name)
{
    s_entry_t *e = s_entry (self->names, name, false, 0);
    if (e)
        memset (e, 0, sizeof *e);
}
