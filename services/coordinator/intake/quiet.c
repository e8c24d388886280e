/* quiet.c — a bounded memory of (agency, refusal code) so that a peer that repeats a refused
 * letter (a revoked daemon still running, a clock ten minutes ahead) costs one log line and
 * one audit record per cause and window, not one per letter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/intake/intake.h"
#include "coordinator/intake/quiet.h"

/* One remembered cause. */
typedef struct {
    char agency[TSG_ID_MAX + 1]; /* who was refused ("" when the slot is free) */
    int code;                    /* why */
    uint64_t logged_at;          /* monotonic ms it was last logged and audited */
    uint64_t seen_at;            /* monotonic ms it was last seen (for eviction) */
    uint64_t repeats;            /* refusals only counted since logged_at */
} s_cause_t;

struct _tsg_hub_quiet_t {
    s_cause_t causes[TSG_HUB_QUIET_CAUSES]; /* the table, unordered */
    uint64_t counted[TSG_HUB_ERROR_CODES];  /* refusals only counted, by code */
};

tsg_hub_quiet_t *
tsg_hub_quiet_new (void)
{
    return calloc (1, sizeof (tsg_hub_quiet_t));
}

void
tsg_hub_quiet_destroy (tsg_hub_quiet_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

bool
tsg_hub_quiet_note (tsg_hub_quiet_t *self, const char *agency, Tsunagu__V1__ErrorCode code,
                    uint64_t now, uint64_t *repeats)
{
    *repeats = 0;
    s_cause_t *found = NULL, *oldest = &self->causes[0];
    for (size_t i = 0; i < TSG_HUB_QUIET_CAUSES && !found; i++) {
        s_cause_t *c = &self->causes[i];
        if (c->agency[0] && c->code == (int) code && strcmp (c->agency, agency) == 0)
            found = c;
        else if (!c->agency[0] || (oldest->agency[0] && c->seen_at < oldest->seen_at))
            oldest = c;
    }
    if (!found) {
        found = oldest;
        memset (found, 0, sizeof *found);
        snprintf (found->agency, sizeof found->agency, "%s", agency);
        found->code = (int) code;
        found->logged_at = found->seen_at = now;
        return true;
    }
    found->seen_at = now;
    if (now - found->logged_at >= TSG_HUB_QUIET_WINDOW_MS) {
        *repeats = found->repeats;
        found->repeats = 0;
        found->logged_at = now;
        return true;
    }
    found->repeats++;
    if ((unsigned) code < TSG_HUB_ERROR_CODES)
        self->counted[code]++;
    return false;
}

void
tsg_hub_quiet_forget (tsg_hub_quiet_t *self, const char *agency)
{
    for (size_t i = 0; i < TSG_HUB_QUIET_CAUSES; i++)
        if (strcmp (self->causes[i].agency, agency) == 0)
            memset (&self->causes[i], 0, sizeof self->causes[i]);
}

void
tsg_hub_quiet_clear (tsg_hub_quiet_t *self)
{
    memset (self->causes, 0, sizeof self->causes);
}

uint64_t
tsg_hub_quiet_repeats (const tsg_hub_quiet_t *self, Tsunagu__V1__ErrorCode code)
{
    return (unsigned) code < TSG_HUB_ERROR_CODES ? self->counted[code] : 0;
}
