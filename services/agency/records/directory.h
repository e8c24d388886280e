/* The coordinator's signed directory of agencies, as this agency knows it. */
#ifndef AGENCY_RECORDS_DIRECTORY_H_INCLUDED
#define AGENCY_RECORDS_DIRECTORY_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agency/records/coordinator_pin.h"
#include "tsunagu/tsg_wire.h"

/* One agency in the directory (a copy; no pointer into protobuf memory). */
typedef struct {
    char id[TSG_ID_MAX + 1];           /* agency id */
    char type[TSG_ID_MAX + 1];         /* agency type, as the coordinator wrote it */
    char *name;                        /* the agency's name */
    uint8_t box_public[32];            /* X25519: crypto_box and CURVE */
    uint8_t sign_public[32];           /* Ed25519 */
    Tsunagu__V1__AgencyStatus status;  /* active, suspended, revoked */
    unsigned response_due_days;        /* days to accept or reject (0: the type's default) */
    unsigned receive_due_days;         /* days to acknowledge (0: the default, 1) */
    bool has_previous;                 /* it rotated its keys: */
    uint8_t previous_box_public[32];   /* ... those it had before, */
    uint8_t previous_sign_public[32];  /* ... which still open and verify */
    uint64_t keys_switched_at_ms;      /* ... letters it made before this */
    char succeeded_by[TSG_ID_MAX + 1]; /* revoked by a succession (組織改編): its successor */
    bool batch_proofs;                 /* it verifies batch proofs (protocol 1.1) */
    bool has_next;                     /* a rotation under way: the keys it switches to */
    uint8_t next_box_public[32];
    uint8_t next_sign_public[32];
} agency_entry_t;

typedef struct _agency_directory_t agency_directory_t;

/* Builds a directory from a DIRECTORY letter whose signature the caller has verified.
 * Entries with a bad id or key are left out (logged).  When now_ms is not 0 the letter
 * must be within its validity (valid_from at most 5 minutes ahead, valid_until not
 * passed) and its serial not older than min_serial.  NULL with a static sentence in
 * *detail when it is refused. */
agency_directory_t *agency_directory_from_letter (const tsg_letter_t *letter, uint64_t now_ms,
                                                  uint64_t min_serial, const char **detail);

/* Decodes a stored DIRECTORY envelope, verifies it with pinned and builds the directory
 * without checking its validity period (a restart keeps what it had).  NULL when the
 * bytes do not decode or verify. */
agency_directory_t *agency_directory_restore (const uint8_t *data, size_t len,
                                              const uint8_t pinned[32]);

/* agency_directory_restore with the pin's current key, else its previous one (the directory
 * kept from before a switch of the coordinator's keys). */
agency_directory_t *agency_directory_restore_pinned (const uint8_t *data, size_t len,
                                                     const agency_coordinator_pin_t *pin);

void agency_directory_destroy (agency_directory_t **self_p);

/* Tells boxer the other box keys of the directory's agencies: those they had before a rotation
 * and those of a rotation under way (tsg_boxer_alias). */
void agency_directory_aliases (const agency_directory_t *self, tsg_boxer_t *boxer);

/* True when env verifies with sender's signing key, with the next one of a rotation under
 * way, or with its previous one for a letter made before its keys were switched. */
bool agency_entry_verifies (const agency_entry_t *sender, const tsg_envelope_t *env);

/* The entry for id (borrowed), or NULL. */
const agency_entry_t *agency_directory_find (const agency_directory_t *self, const char *id);

/* Number of active entries of type; *first gets the first of them (may be NULL). */
size_t agency_directory_active_of_type (const agency_directory_t *self, const char *type,
                                        const agency_entry_t **first);

size_t agency_directory_count (const agency_directory_t *self);
uint64_t agency_directory_serial (const agency_directory_t *self);
uint64_t agency_directory_valid_until (const agency_directory_t *self);

/* True while now_ms is within the validity period. */
bool agency_directory_current (const agency_directory_t *self, uint64_t now_ms);

/* The days an agency gives to acknowledge and to answer a referral: its directory entry's,
 * or the defaults (1, and tsg_type_response_due_days of its type) where that says 0. */
void agency_entry_due_days (const agency_entry_t *entry, unsigned *receive_days,
                            unsigned *response_days);

/* {"serial", "valid_until", "agencies": [{"id","type","name","status",
 * "receive_due_days","response_due_days", and "succeeded_by" for an agency a succession
 * revoked}]}. */
json_t *agency_directory_json (const agency_directory_t *self);

/* True when a and b list the same agencies with the same names, types, states, keys and due
 * days: what only says who verifies batch proofs (protocol 1.1) is no change to the agency's
 * system (no directory.changed).  False when either is NULL. */
bool agency_directory_same_listing (const agency_directory_t *a, const agency_directory_t *b);

#endif
