/* What this agency may do now: its standing with the coordinator (active, suspended,
 * revoked), whether its clock agrees with the coordinator's, and back-pressure after a full
 * quota or store; and the one gate every request for new work passes. */
#ifndef AGENCY_CORE_STANDING_H_INCLUDED
#define AGENCY_CORE_STANDING_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"

/* The largest difference from the coordinator's clock this agency works with: safely inside
 * the 5 minutes the coordinator accepts (proto/README.md §5). */
#define AGENCY_SKEW_MAX_MS (4ULL * 60 * 1000)
/* How long new work is refused after the coordinator refused a letter for a full quota or
 * store (the Retry-After of the 503). */
#define AGENCY_PRESSURE_MS (30ULL * 1000)
/* Retry-After (s) for a suspended agency and for a clock that is off. */
#define AGENCY_RETRY_SUSPENDED_S 60
#define AGENCY_RETRY_CLOCK_S     60
/* HELLO interval while suspended or revoked (a live one is sent every second). */
#define AGENCY_HELLO_SLOW_MS 10000

/* What the coordinator last said of this agency. */
typedef enum {
    AGENCY_REGISTRATION_ACTIVE = 0, /* letters are taken (or nothing said yet) */
    AGENCY_REGISTRATION_SUSPENDED,  /* refused for now; it resumes by itself */
    AGENCY_REGISTRATION_REVOKED,    /* refused for good */
} agency_registration_t;

typedef struct {
    agency_registration_t registration; /* see above */
    uint64_t registration_at_ms;        /* when it last changed (UTC ms) */
    bool clock_known;                   /* a HELLO from the coordinator was seen */
    int64_t clock_offset_ms;            /* the coordinator's clock minus ours, at that HELLO */
    uint64_t pressure_until;            /* monotonic ms: refuse new work until then */
    char pressure_code[32];             /* why ("quota_exceeded", "store_full") */
    char pressure_detail[160];          /* the coordinator's sentence */
    bool sequence_unknown;              /* restored from a backup: new work waits until the
                                           coordinator's HELLO says which sequence is next */
} agency_standing_t;

/* The file `--restore` leaves in the data directory: the store came from a backup, so its
 * sequence counter may be behind the numbers the coordinator has stored from us (those used
 * after the copy).  While it is there new work waits (503 sequence_unknown) for the first
 * HELLO from the coordinator, whose next_sequence the counter then jumps to. */
#define AGENCY_SEQUENCE_UNKNOWN_FILE "sequence.unknown"

/* Active, clock unknown, no pressure. */
void agency_standing_init (agency_standing_t *self);

/* A verified HELLO from the coordinator, written at coordinator_ms by its clock, arrived at
 * local_ms by ours: measures the offset, and the coordinator takes our letters again.
 * Returns true when the registration changed (a suspended agency was resumed). */
bool agency_standing_hello (agency_standing_t *self, uint64_t coordinator_ms, uint64_t local_ms);

/* A final or not-final ERROR from the coordinator with code: suspended, revoked, a full quota
 * or store change the standing; other codes nothing.  Returns true when the registration
 * changed. */
bool agency_standing_refused (agency_standing_t *self, Tsunagu__V1__ErrorCode code,
                              const char *detail, uint64_t now_mono);

/* True when the clock is known to be off by more than AGENCY_SKEW_MAX_MS. */
bool agency_standing_skewed (const agency_standing_t *self);

/* True while letters should not be sent (suspended or revoked). */
bool agency_standing_silent (const agency_standing_t *self);

/* The wall clock corrected to the coordinator's (ours until a HELLO was seen): for receipts,
 * which must be taken even while our clock is off. */
uint64_t agency_standing_now_ms (const agency_standing_t *self);

/* "ok", "suspended", "revoked", "clock_skew" or "backpressure" (for /healthz). */
const char *agency_standing_status (const agency_standing_t *self, uint64_t now_mono);

/* The gate for new work (referrals, status changes, case events, consents): true when it may
 * be taken; otherwise false with *status (409 revoked, 503 otherwise) and *reply (an error
 * body with "retry_after_s", which becomes the Retry-After header).  outbox is the letters
 * waiting to be sent and outbox_limit the most this agency lets wait. */
bool agency_standing_admits (const agency_standing_t *self, size_t outbox, size_t outbox_limit,
                             uint64_t now_mono, int *status, json_t **reply);

/* The standing as JSON for /healthz: status, registration, clock offset, back-pressure. */
json_t *agency_standing_json (const agency_standing_t *self, uint64_t now_mono);

#endif
