/* The group commit of what the API accepted: letters wait in one list, are written in the
 * same write transaction as the inbound letters, and are answered only after that commit.
 * This file is the one allocator of outbox sequence numbers. */
#ifndef AGENCY_CORE_PENDING_H_INCLUDED
#define AGENCY_CORE_PENDING_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "agency/core/agency.h"

/* The sequence the next letter to be queued gets (it is sealed into the letter first; the
 * number is taken by agency_pending_enqueue). */
uint64_t agency_sequence_next (const tsg_agency_t *self);

/* Queues pending, sealed with agency_sequence_next's number (or a repeat, same_as set, which
 * takes none), for the next group commit; the agency owns it from now on. */
void agency_pending_enqueue (tsg_agency_t *self, agency_pending_t *pending);

/* Where the pending list stood, to take back what a request of many letters (an import)
 * queued after it when one of them fails or it only checks: the entries queued since and
 * their sequence numbers, which nothing has seen yet (the group commit runs between
 * requests, never inside one). */
typedef struct {
    agency_pending_t **tail; /* where the first entry after the mark is linked */
    size_t count;            /* entries before it */
    uint64_t next_sequence;  /* the sequence the first of them took */
} agency_pending_mark_t;

agency_pending_mark_t agency_pending_mark (tsg_agency_t *self);

/* Frees every entry queued after mark and gives their sequence numbers back. */
void agency_pending_rollback (tsg_agency_t *self, const agency_pending_mark_t *mark);

/* The entry queued last, or NULL when none is waiting. */
agency_pending_t *agency_pending_last (tsg_agency_t *self);

/* Frees one pending entry and what it holds; safe on NULL. */
void agency_pending_free (agency_pending_t *pending);

/* Writes everything pending into txn (each kind's records and msgrefs, the outbox rows, the
 * sequence counter); returns how many new letters that is. */
size_t agency_pending_write (tsg_agency_t *self, tsg_txn_t *txn);

/* After the commit of the transaction the pending entries were written to (rc its result):
 * sets each one's answer (202, 200 for a repeat, or 500 with no sequence consumed when the
 * commit failed), hands each to answer (may be NULL), frees them, and sends what was
 * committed. */
typedef void (agency_answer_fn) (void *arg, agency_pending_t *pending);
void agency_pending_finish (tsg_agency_t *self, int rc, agency_answer_fn *answer, void *arg);

/* Both in a transaction of their own.  Returns the commit's rc. */
int agency_pending_commit (tsg_agency_t *self, agency_answer_fn *answer, void *arg);

#endif
