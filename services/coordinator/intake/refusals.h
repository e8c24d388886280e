/* Letters refused per sending agency and reason since the coordinator started, for the
 * dashboard's 機関 page ("which agency's system keeps sending what we refuse"): in memory,
 * bounded by TSG_HUB_REFUSALS_AGENCIES agencies (the ones counted first; the senders are
 * authenticated agencies of the registry, so the set is the registry's). */
#ifndef TSG_HUB_REFUSALS_H_INCLUDED
#define TSG_HUB_REFUSALS_H_INCLUDED

#include <stdint.h>

#include "coordinator/intake/intake.h"

#define TSG_HUB_REFUSALS_AGENCIES 512

typedef struct _tsg_hub_refusals_t tsg_hub_refusals_t;

tsg_hub_refusals_t *tsg_hub_refusals_new (void);
void tsg_hub_refusals_destroy (tsg_hub_refusals_t **self_p);

/* Counts one refusal of agency's letter with code (ignored past the bounds). */
void tsg_hub_refusals_count (tsg_hub_refusals_t *self, const char *agency, unsigned code);

/* agency's refusals by code (zeros when none) into out. */
void tsg_hub_refusals_of (const tsg_hub_refusals_t *self, const char *agency,
                          uint64_t out[TSG_HUB_ERROR_CODES]);

#endif
