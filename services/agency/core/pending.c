/* pending.c — the group commit of what the API accepted (pending.h), through each kind's
 * table (kind.h), and the one sequence allocator. */
#include <assert.h>
#include <stdlib.h>

#include "agency/core/batch_sign.h"
#include "agency/core/kind.h"
#include "agency/core/outbound.h"
#include "agency/core/pending.h"
#include "agency/records/json.h"

uint64_t
agency_sequence_next (const tsg_agency_t *self)
{
    return self->next_sequence;
}

void
agency_pending_enqueue (tsg_agency_t *self, agency_pending_t *pending)
{
    if (!pending->same_as) {
        assert (pending->sequence == self->next_sequence);
        self->next_sequence++;
    }
    if (!self->pending_tail)
        self->pending_tail = &self->pending;
    *self->pending_tail = pending;
    self->pending_tail = &pending->next;
    self->pending_count++;
}

void
agency_pending_free (agency_pending_t *pending)
{
    if (!pending)
        return;
    free (pending->client_ref);
    free (pending->packed);
    free (pending->envelope);
    json_decref (pending->record);
    json_decref (pending->answer);
    json_decref (pending->reply);
    json_decref (pending->batch_answer);
    free (pending);
}

agency_pending_mark_t
agency_pending_mark (tsg_agency_t *self)
{
    if (!self->pending_tail)
        self->pending_tail = &self->pending;
    return (agency_pending_mark_t){ .tail = self->pending_tail,
                                    .count = self->pending_count,
                                    .next_sequence = self->next_sequence };
}

void
agency_pending_rollback (tsg_agency_t *self, const agency_pending_mark_t *mark)
{
    agency_pending_t *p = *mark->tail;
    while (p) {
        agency_pending_t *next = p->next;
        agency_pending_free (p);
        p = next;
    }
    *mark->tail = NULL;
    self->pending_tail = mark->tail;
    self->pending_count = mark->count;
    self->next_sequence = mark->next_sequence;
}

agency_pending_t *
agency_pending_last (tsg_agency_t *self)
{
    agency_pending_t *last = self->pending;
    while (last && last->next)
        last = last->next;
    return last;
}

size_t
agency_pending_write (tsg_agency_t *self, tsg_txn_t *txn)
{
    int signed_rc = agency_sign_pending (self);
    if (signed_rc != TSG_OK && txn->rc == TSG_OK)
        txn->rc = signed_rc; /* the group fails: every request of it is answered 500 */
    size_t added = 0;
    for (agency_pending_t *p = self->pending; p; p = p->next) {
        if (p->same_as)
            continue;
        /* The record first, then its outbox row: both or neither.  A record that cannot be
         * written fails the whole group (its letters' sequence numbers are already sealed in
         * order; skipping one would leave a gap nothing fills), and every request of it is
         * answered 500 with nothing sent. */
        bool written = self->kinds[p->kind]->write (self, txn, p);
        if (!written && txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOT_FOUND;
        uint8_t key[8];
        tsg_be64_put (key, p->sequence);
        tsg_txn_put (txn, tsg_store_db (self->store, AGENCY_DB_OUTBOX), key, sizeof key,
                     p->envelope, p->envelope_len);
        added++;
    }
    if (added)
        agency_meta_put_u64 (txn, AGENCY_META_SEQUENCE, self->next_sequence);
    return added;
}

/* The answer of one pending entry: what its commit (rc) decided. */
static void
s_answer (tsg_agency_t *self, agency_pending_t *p, int rc)
{
    if (rc != TSG_OK) {
        p->status = 500;
        p->reply = agency_json_error ("store_error",
                                      p->batch_answer ? "the import was not stored: nothing of "
                                                        "it was sent (try it again)"
                                                      : self->kinds[p->kind]->lost,
                                      NULL);
        return;
    }
    if (p->batch_answer) {
        p->status = 202;
        p->reply = json_incref (p->batch_answer);
        return;
    }
    const agency_pending_t *origin = p->same_as ? p->same_as : p;
    p->status = p->same_as ? 200 : 202;
    p->reply = json_incref (origin->answer);
}

void
agency_pending_finish (tsg_agency_t *self, int rc, agency_answer_fn *answer, void *arg)
{
    if (!self->pending)
        return;
    uint64_t first_sequence = self->next_sequence;
    size_t added = 0;
    for (agency_pending_t *p = self->pending; p; p = p->next)
        if (!p->same_as) {
            added++;
            if (p->sequence < first_sequence)
                first_sequence = p->sequence;
        }
    if (rc != TSG_OK) {
        self->next_sequence = first_sequence; /* nothing was written: reuse the numbers */
        log_warnx ("%zu letters from the API not stored: %s", added, tsg_strerror (rc));
    }
    else
        log_debug ("%zu letters from the API committed to the outbox", added);

    for (agency_pending_t *p = self->pending; p; p = p->next) {
        s_answer (self, p, rc);
        if (answer)
            answer (arg, p);
    }
    /* Free only after every answer: a repeat points at its origin. */
    agency_pending_t *p = self->pending;
    while (p) {
        agency_pending_t *next = p->next;
        agency_pending_free (p);
        p = next;
    }
    self->pending = NULL;
    self->pending_tail = &self->pending;
    self->pending_count = 0;

    if (rc == TSG_OK && added > 0) {
        agency_outbox_refresh (self->outbox, agency_now_mono ());
        agency_pump (self);
    }
}

int
agency_pending_commit (tsg_agency_t *self, agency_answer_fn *answer, void *arg)
{
    if (!self->pending)
        return TSG_OK;
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, true);
    agency_pending_write (self, &txn);
    int rc = tsg_txn_commit (&txn);
    if (rc != TSG_OK)
        self->stats.commit_failures++;
    agency_pending_finish (self, rc, answer, arg);
    return rc;
}
