/* Repeated refusals: the first of each cause is logged and audited, the rest are counted. */
#ifndef TSG_HUB_QUIET_H_INCLUDED
#define TSG_HUB_QUIET_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"

/* Causes remembered at once; the least recently seen is forgotten first. */
#define TSG_HUB_QUIET_CAUSES 1024
/* A cause seen again after this long is logged and audited again, with the count between. */
#define TSG_HUB_QUIET_WINDOW_MS (10ULL * 60 * 1000)

typedef struct _tsg_hub_quiet_t tsg_hub_quiet_t;

/* A new, empty memory.  NULL on allocation failure. */
tsg_hub_quiet_t *tsg_hub_quiet_new (void);

/* Frees it; safe on NULL and twice. */
void tsg_hub_quiet_destroy (tsg_hub_quiet_t **self_p);

/* Notes a refusal of agency for code at now (monotonic ms).  True when it must be logged and
 * audited: the first time this (agency, code) is seen, or the first time after
 * TSG_HUB_QUIET_WINDOW_MS; *repeats then says how many were only counted since the last
 * time it was logged.  False when it is only counted.  Never fails: when the table is full
 * the oldest cause is forgotten (which at worst logs it once more). */
bool tsg_hub_quiet_note (tsg_hub_quiet_t *self, const char *agency, Tsunagu__V1__ErrorCode code,
                         uint64_t now, uint64_t *repeats);

/* Forgets every cause of agency (its status changed: the next refusal is news again). */
void tsg_hub_quiet_forget (tsg_hub_quiet_t *self, const char *agency);

/* Forgets everything (the registry changed). */
void tsg_hub_quiet_clear (tsg_hub_quiet_t *self);

/* Refusals only counted since start, by code (for /metrics). */
uint64_t tsg_hub_quiet_repeats (const tsg_hub_quiet_t *self, Tsunagu__V1__ErrorCode code);

#endif
