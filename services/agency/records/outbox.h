/* When to send and resend the outbox: letters go out in sequence order, and everything
 * not yet acknowledged is resent from the first unacknowledged letter, with backoff. */
#ifndef AGENCY_RECORDS_OUTBOX_H_INCLUDED
#define AGENCY_RECORDS_OUTBOX_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsg_store.h"

#define AGENCY_OUTBOX_BACKOFF_MIN_MS 1000
#define AGENCY_OUTBOX_BACKOFF_MAX_MS 8000
#define AGENCY_OUTBOX_WINDOW         2048 /* letters in flight past the first unacknowledged */

typedef struct _agency_outbox_t agency_outbox_t;

/* Sends one sealed envelope; returns 0 when it left, -1 when it could not (try later). */
typedef int (agency_outbox_send_fn) (void *arg, uint64_t sequence, const uint8_t *data, size_t len);

/* The outbox schedule for db (the outbox database of store).  Nothing is sent before the
 * first refresh.  NULL on allocation failure. */
agency_outbox_t *agency_outbox_new (tsg_store_t *store, MDB_dbi db);
void agency_outbox_destroy (agency_outbox_t **self_p);

/* Rereads the first and last sequence from the store (after every commit that added or
 * removed letters).  When the first unacknowledged letter moved on, the backoff starts
 * again from its minimum. */
void agency_outbox_refresh (agency_outbox_t *self, uint64_t now_ms);

/* Sends what is due at now_ms through send: unsent letters in order within the window,
 * and, when nothing was acknowledged for the backoff period, everything again from the
 * first unacknowledged letter (the backoff then doubles, up to 4 s).  Returns the number
 * of letters handed to send. */
size_t agency_outbox_pump (agency_outbox_t *self, uint64_t now_ms, agency_outbox_send_fn *send,
                           void *arg);

/* Resend from the first unacknowledged letter at the next pump (ERROR_OUT_OF_ORDER, a
 * reconnection), unless that already happened within the current backoff period. */
void agency_outbox_rewind (agency_outbox_t *self, uint64_t now_ms);

/* Milliseconds until the next pump has work (0: now), or -1 when only an acknowledgement
 * or a writable socket can change anything. */
long agency_outbox_timeout (const agency_outbox_t *self, uint64_t now_ms);

/* True when letters wait only for the socket to accept them. */
bool agency_outbox_blocked (const agency_outbox_t *self);

/* Sequence of the first unacknowledged letter and of the next to send (0 when empty). */
uint64_t agency_outbox_first (const agency_outbox_t *self);
uint64_t agency_outbox_next (const agency_outbox_t *self);

/* Number of letters in the outbox, as of the last refresh. */
size_t agency_outbox_pending (const agency_outbox_t *self);

#endif
