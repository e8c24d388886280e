/* A referral's state as its record (sent or received) holds it: "state", "version" and
 * "state_history".  A referral is version 1 when requested; each change the coordinator
 * accepts makes it base_version + 1 (letters/referral_status.c). */
#ifndef AGENCY_RECORDS_REFERRAL_STATE_H_INCLUDED
#define AGENCY_RECORDS_REFERRAL_STATE_H_INCLUDED

#include <jansson.h>
#include <stdint.h>

#include "tsunagu/tsg_states.h"

/* Gives a new referral record its first state: requested, version 1, one history entry
 * (requested at created_ms by sender). */
void agency_status_init (json_t *record, uint64_t created_ms, const char *sender);

/* The state and version in record (requested and 1 for a record without them). */
void agency_status_current (const json_t *record, tsg_ref_state_t *state, uint64_t *version);

#endif
