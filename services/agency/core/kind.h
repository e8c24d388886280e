/* One table of operations per kind of letter this agency makes (referral, referral status,
 * case event, consent grant, consent revoke).  Each kind lives in one file of letters/ that
 * exposes only its table; the daemon hands the tables to the agency (tsg_agency_t.kinds),
 * and the core calls a kind only through it: the submit pipeline (submit.h), the group commit
 * (pending.h), what became of our letters (delivery.h) and the letters that come to us
 * (inbox.h).  So arrows point one way: letters/ → core/ → records/, never back.
 *
 * Every hook gets the agency; none may call another kind's hooks. */
#ifndef AGENCY_CORE_KIND_H_INCLUDED
#define AGENCY_CORE_KIND_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agency/core/agency.h"

/* One request going through the submit pipeline (submit.h). */
typedef struct {
    const agency_kind_t *kind; /* its kind */
    const char *id;            /* the id in the request's path (referral, case, consent), or NULL */
    const char *body;          /* the request body */
    size_t len;                /* its length */
    void *request;             /* the kind's own, request_size zeroed bytes the pipeline
                                  allocates before parse and frees after clear */
    agency_pending_t *same_as; /* parse found the same request waiting in this batch */
} agency_submit_t;

struct agency_kind {
    agency_kind_id_t id;    /* which kind (records/msgref.h) */
    Tsunagu__V1__Kind wire; /* the letters of this kind on the wire */
    const char *lost;       /* the 500's message when the group commit fails */
    size_t request_size;    /* bytes of submit->request, the kind's state of one request */

    /* --- sending, in the order submit.h runs them; each returns 0 to go on, or the HTTP
     * status of the answer (with *reply) --- */
    /* Parses submit->body and reads what it is about (400, 404, 409 ...); may set same_as. */
    int (*parse) (tsg_agency_t *self, agency_submit_t *submit, json_t **reply);
    /* With a current directory: the recipient, the state machine, the legal basis (422 ...). */
    int (*check) (tsg_agency_t *self, agency_submit_t *submit, json_t **reply);
    /* Fills pending (its sequence is given): ids, the letter sealed with agency_submit_seal,
     * the record to write and the answer. */
    int (*seal) (tsg_agency_t *self, agency_submit_t *submit, agency_pending_t *pending,
                 json_t **reply);
    /* Releases what submit->request holds (not the block itself); safe when parse failed. */
    void (*clear) (agency_submit_t *submit);

    /* --- the group commit --- */
    /* Writes the record the letter belongs to (and its msgref) into txn; false, writing
     * nothing, when that record is gone (the whole group then fails: no outbox row may stand
     * without its record). */
    bool (*write) (tsg_agency_t *self, tsg_txn_t *txn, const agency_pending_t *pending);

    /* --- what became of our letter `about` (ref: its msgref) --- */
    void (*stored) (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
                    const uint8_t about[TSG_MESSAGE_ID_SIZE], uint64_t at_ms);
    /* code and detail are never NULL or empty ("unspecified", "no detail" stand in). */
    void (*refused) (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
                     const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *code, const char *detail,
                     uint64_t at_ms);
    /* TSG_OK, or TSG_ERR_PERMISSION when by may not answer for this letter. */
    int (*receipt) (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
                    const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *by, bool delivered,
                    const char *detail, uint64_t at_ms);

    /* --- letters of this kind that come to us --- */
    /* A verified letter from sender (NULL: the coordinator, through our mailbox): checks it,
     * opens what it holds for us (*content, caller decrefs) and applies it inside txn.  NULL when
     * accepted, else why it must be rejected.  NULL when the kind never comes to us. */
    const char *(*receive) (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
                            const tsg_letter_t *letter, json_t **content);
    /* After an accepted letter from an agency was filed in the inbox at cursor (may be
     * NULL). */
    void (*filed) (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
                   const tsg_letter_t *letter, uint64_t cursor);
};

/* The kind whose letters are of wire kind `wire`, or NULL. */
static inline const agency_kind_t *
agency_kind_of_wire (const tsg_agency_t *self, Tsunagu__V1__Kind wire)
{
    for (int i = 0; i < AGENCY_KIND_COUNT; i++)
        if (self->kinds[i] && self->kinds[i]->wire == wire)
            return self->kinds[i];
    return NULL;
}

#endif
