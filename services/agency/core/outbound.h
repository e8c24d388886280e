/* What leaves for the coordinator and when: the outbox pump, and whether the coordinator has
 * been heard from lately.  The clock every timer of the agency uses is here too. */
#ifndef AGENCY_CORE_OUTBOUND_H_INCLUDED
#define AGENCY_CORE_OUTBOUND_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "agency/core/agency.h"

/* The monotonic time the agency's timers use. */
uint64_t agency_now_mono (void);

/* Sends what the outbox has due now (nothing while suspended or revoked). */
void agency_pump (tsg_agency_t *self);

/* True when a letter from the coordinator came within the last 5 s. */
bool agency_coordinator_connected (const tsg_agency_t *self);

#endif
