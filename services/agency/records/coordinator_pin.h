/* The coordinator's keys as this agency trusts them: first those of its bundle
 * (agency.conf [coordinator] box_public, sign_public), then whatever the coordinator handed
 * over to with a rotation of its own keys (proto/README.md §6), kept in META
 * "coordinator.pin".
 *
 * A hand-over is taken only from a DIRECTORY that verifies with the current key and names
 * next keys endorsed by the next signing key for the current one (tsg_handover.h); the next
 * keys are then held (and named in every HELLO) until a letter signed with them arrives: they
 * are the coordinator's keys from then on, and the old ones verify only letters made before
 * (with 5 minutes for clocks).  A bundle whose keys are neither the pin's nor those it grew
 * from (a new bundle with the coordinator's new keys) starts the pin again. */
#ifndef AGENCY_RECORDS_COORDINATOR_PIN_H_INCLUDED
#define AGENCY_RECORDS_COORDINATOR_PIN_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"

#define AGENCY_META_COORDINATOR_PIN  "coordinator.pin"
#define AGENCY_PIN_PREVIOUS_SLACK_MS (5ULL * 60 * 1000)

typedef struct {
    uint8_t bundle_sign[32]; /* the bundle's signing key the pin grew from */
    uint8_t box[32];         /* the coordinator's keys now: its CURVE server key */
    uint8_t sign[32];        /* ... and the key its letters verify with */
    bool has_next;           /* handed over, not yet switched to: */
    uint8_t next_box[32];
    uint8_t next_sign[32];
    uint64_t switch_by_ms; /* ... the coordinator's deadline */
    bool has_previous;     /* switched: the keys before, */
    uint8_t previous_sign[32];
    uint64_t switched_at_ms; /* ... and when (our clock) */
} agency_coordinator_pin_t;

/* How a letter claiming to come from the coordinator verified. */
typedef enum {
    AGENCY_PIN_NONE = 0, /* with none of the keys: drop it */
    AGENCY_PIN_CURRENT,  /* with the current key */
    AGENCY_PIN_NEXT,     /* with the next key: switch (agency_pin_switch) */
    AGENCY_PIN_PREVIOUS, /* with the previous key, made before the switch */
} agency_pin_match_t;

/* The pin of a bundle with these keys, nothing handed over. */
void agency_pin_from_bundle (agency_coordinator_pin_t *self, const uint8_t box[32],
                             const uint8_t sign[32]);

/* The pin in txn for a bundle with these keys: the stored one when it grew from them or
 * holds them as its current keys, else the bundle's (also when none is stored or it is
 * unreadable). */
void agency_pin_load (tsg_txn_t *txn, const uint8_t bundle_box[32], const uint8_t bundle_sign[32],
                      agency_coordinator_pin_t *out);

/* Writes the pin in txn. */
void agency_pin_save (tsg_txn_t *txn, const agency_coordinator_pin_t *self);

/* Which of the pin's keys env's signature verifies with (see above). */
agency_pin_match_t agency_pin_verifies (const agency_coordinator_pin_t *self,
                                        const tsg_envelope_t *env);

/* A verified DIRECTORY's hand-over (NULL: it carries none): true when it names new keys the
 * pin now holds as next; false (with a sentence in *detail when it was refused: not
 * endorsed, malformed) when nothing changed. */
bool agency_pin_offer (agency_coordinator_pin_t *self, const Tsunagu__V1__CoordinatorKeys *next,
                       const char **detail);

/* The switch: the next keys become the keys, the current ones the previous (at now_ms). */
void agency_pin_switch (agency_coordinator_pin_t *self, uint64_t now_ms);

#endif
