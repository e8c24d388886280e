/* The one submit pipeline every request that makes a letter goes through (POST /v1/referrals,
 * POST /v1/referrals/{id}/status, POST /v1/cases/{id}/events, POST /v1/consents, DELETE
 * /v1/consents/{id}), with the kind's hooks (kind.h) between the common steps:
 *
 *   the gate (standing.h: 409 revoked, 503 suspended, clock, back-pressure, full outbox)
 *   → kind->parse (400, 404, 409 ...)
 *   → a current directory (503 not_ready)
 *   → kind->check (the recipient, the state machine, the legal basis)
 *   → the next sequence → kind->seal (with agency_submit_seal) → queued for the group commit.
 *
 * And the sealing every kind shares: the envelope, and one sealed body per agency on a case. */
#ifndef AGENCY_CORE_SUBMIT_H_INCLUDED
#define AGENCY_CORE_SUBMIT_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "agency/core/kind.h"

/* Runs the pipeline for a request of kind about path_id (may be NULL) with body.  Either
 * answers at once (returns NULL with *status and *reply: an error, or 200 for a known
 * client_ref) or queues the letter for the next group commit and returns the pending entry
 * (owned by the agency; *status 0). */
agency_pending_t *agency_submit (tsg_agency_t *self, agency_kind_id_t kind, const char *path_id,
                                 const char *body, size_t len, int *status, json_t **reply);

/* The gate for new work from the API (standing.h, with this agency's outbox and what waits
 * for the commit): true when it may be taken, else false with *status and *reply filled. */
bool agency_admits (tsg_agency_t *self, int *status, json_t **reply);

/* Seals letter (its sequence set to pending's) into pending: serialized now, signed with the
 * rest of its group commit (core/batch_sign.h).  0, or 413 (with too_large as the message,
 * NULL: the library's sentence) or 500, with *reply set. */
int agency_submit_seal (tsg_agency_t *self, tsg_letter_t *letter, agency_pending_t *pending,
                        const char *too_large, json_t **reply);

/* The sealed bodies of one letter, one per agency that may read it. */
typedef struct {
    Tsunagu__V1__SealedBody *bodies; /* one per recipient */
    Tsunagu__V1__SealedBody **list;  /* pointers for the letter */
    size_t count;                    /* how many */
    json_t *sealed_for;              /* their agency ids */
} agency_bodies_t;

/* Whether the agency other may read what is sealed (arg: the caller's). */
typedef bool (agency_bodies_keep_fn) (tsg_agency_t *self, void *arg, const char *other);

/* Seals text (may be NULL: no bodies) once for every other agency of agencies (an array of
 * ids) that keep allows and that is active in the directory.  0, or the HTTP status with
 * *reply set (413 with too_large as the message, NULL: the library's sentence).  Clear out
 * in every case. */
int agency_bodies_seal (tsg_agency_t *self, const json_t *agencies, const char *text,
                        agency_bodies_keep_fn *keep, void *arg, const char *too_large,
                        agency_bodies_t *out, json_t **reply);
void agency_bodies_clear (agency_bodies_t *bodies);

#endif
