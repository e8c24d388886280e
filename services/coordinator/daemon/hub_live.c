/* hub_live.c — what the overview asks the running hub (api.h, tsg_hub_api_live_t): letters
 * stored per minute over the last hour, from the intake's counter read at every turn of the
 * loop into a ring of seconds, and when each agency last spoke (wall clock), kept from its
 * session while it has one and remembered after it ends, and until when the DIRECTORY last
 * sent to it is valid (hub_send.c notes each one sent).  In memory only: all start empty
 * when the coordinator starts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/daemon/hub_parts.h"

#define RING_SECONDS 3600 /* the ring holds the last hour, a second a slot */

/* When one agency last spoke, and until when its copy of the directory is valid. */
typedef struct {
    char id[TSG_ID_MAX + 1];     /* the agency */
    uint64_t at_ms;              /* wall-clock ms (UTC) of its last message (0: none yet) */
    uint64_t directory_until_ms; /* the validity's end of the last DIRECTORY sent (0: none) */
} s_seen_t;

struct _hub_live_t {
    uint32_t seconds[RING_SECONDS]; /* letters stored in each second, at second % RING_SECONDS */
    uint64_t second;                /* the monotonic second the ring has reached */
    uint64_t stored;                /* the intake's stored counter as last read */
    s_seen_t *seen;                 /* agencies seen since start (owned), unordered */
    size_t count;                   /* entries of seen in use */
    size_t capacity;                /* entries of seen allocated */
};

hub_live_t *
hub_live_new (void)
{
    return calloc (1, sizeof (hub_live_t));
}

void
hub_live_destroy (hub_live_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->seen);
    free (*self_p);
    *self_p = NULL;
}

/* Moves the ring on to second, emptying the slots of the seconds passed. */
static void
s_advance (hub_live_t *l, uint64_t second)
{
    if (second <= l->second)
        return;
    if (second - l->second >= RING_SECONDS)
        memset (l->seconds, 0, sizeof l->seconds);
    else
        for (uint64_t s = l->second + 1; s <= second; s++)
            l->seconds[s % RING_SECONDS] = 0;
    l->second = second;
}

/* Adds the letters stored since the last look to the current second. */
static void
s_count (tsg_hub_t *self, hub_live_t *l, uint64_t now)
{
    s_advance (l, now / 1000);
    uint64_t stored = self->api.counters ? self->api.counters->stored : 0;
    if (stored > l->stored) {
        uint64_t delta = stored - l->stored;
        uint32_t *slot = &l->seconds[l->second % RING_SECONDS];
        *slot = delta > UINT32_MAX - *slot ? UINT32_MAX : *slot + (uint32_t) delta;
    }
    l->stored = stored;
}

/* The wall-clock ms session s last spoke, with the clocks at mono_now and wall_now. */
static uint64_t
s_session_wall (const tsg_hub_session_t *s, uint64_t mono_now, uint64_t wall_now)
{
    uint64_t ago = mono_now - tsg_hub_session_last_seen (s);
    return mono_now >= tsg_hub_session_last_seen (s) && ago < wall_now ? wall_now - ago : wall_now;
}

/* The entry of agency id, added when absent (NULL when memory ran out). */
static s_seen_t *
s_seen_entry (hub_live_t *l, const char *id)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp (l->seen[i].id, id) == 0)
            return &l->seen[i];
    if (l->count == l->capacity) {
        size_t capacity = l->capacity ? l->capacity * 2 : 16;
        s_seen_t *grown = realloc (l->seen, capacity * sizeof *grown);
        if (!grown)
            return NULL;
        l->seen = grown;
        l->capacity = capacity;
    }
    s_seen_t *e = &l->seen[l->count++];
    memset (e, 0, sizeof *e);
    snprintf (e->id, sizeof e->id, "%s", id);
    return e;
}

/* Remembers that agency id spoke at at_ms. */
static void
s_seen_set (hub_live_t *l, const char *id, uint64_t at_ms)
{
    s_seen_t *e = s_seen_entry (l, id);
    if (e && at_ms > e->at_ms) /* else remembered at the next second's look */
        e->at_ms = at_ms;
}

void
hub_live_tick (tsg_hub_t *self, uint64_t now)
{
    hub_live_t *l = self->live;
    if (!l)
        return;
    uint64_t before = l->second;
    s_count (self, l, now);
    if (l->second == before)
        return;
    /* Once a second: every session's last message, before an idle one ends. */
    uint64_t wall = tsg_now_ms ();
    for (size_t i = 0; i < tsg_hub_sessions_size (self->sessions); i++) {
        const tsg_hub_session_t *s = tsg_hub_sessions_at (self->sessions, i);
        s_seen_set (l, tsg_hub_session_id (s), s_session_wall (s, now, wall));
    }
}

uint64_t
hub_live_last_seen_ms (void *arg, const char *agency)
{
    tsg_hub_t *self = arg;
    const tsg_hub_session_t *s = tsg_hub_sessions_find (self->sessions, agency);
    if (s)
        return s_session_wall (s, tsg_monotonic_ms (), tsg_now_ms ());
    for (size_t i = 0; self->live && i < self->live->count; i++)
        if (strcmp (self->live->seen[i].id, agency) == 0)
            return self->live->seen[i].at_ms;
    return 0;
}

void
hub_live_directory_sent (tsg_hub_t *self, const char *agency, uint64_t until_ms)
{
    s_seen_t *e = self->live ? s_seen_entry (self->live, agency) : NULL;
    if (e)
        e->directory_until_ms = until_ms;
}

uint64_t
hub_live_directory_until_ms (void *arg, const char *agency)
{
    tsg_hub_t *self = arg;
    for (size_t i = 0; self->live && i < self->live->count; i++)
        if (strcmp (self->live->seen[i].id, agency) == 0)
            return self->live->seen[i].directory_until_ms;
    return 0;
}

void
hub_live_letters_per_minute (void *arg, uint32_t out[60])
{
    tsg_hub_t *self = arg;
    memset (out, 0, 60 * sizeof out[0]);
    hub_live_t *l = self->live;
    if (!l)
        return;
    s_count (self, l, tsg_monotonic_ms ());
    for (uint64_t age = 0; age < RING_SECONDS && age <= l->second; age++) {
        uint32_t n = l->seconds[(l->second - age) % RING_SECONDS];
        uint32_t *minute = &out[59 - age / 60];
        *minute = n > UINT32_MAX - *minute ? UINT32_MAX : *minute + n;
    }
}
