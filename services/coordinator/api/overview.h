/* The overview (概況) with its live part, as GET /v1/overview, the web's first page and the
 * control command "overview" (for `tsunaguctl top`) answer it. */
#ifndef TSG_HUB_API_OVERVIEW_H_INCLUDED
#define TSG_HUB_API_OVERVIEW_H_INCLUDED

#include <jansson.h>
#include <stdint.h>

#include "coordinator/api/api.h"

/* The route of the overview. */
#define TSG_HUB_OVERVIEW_PATH "/v1/overview"

/* tsg_hub_view_overview (model/overview.h) at now_ms, plus what the running daemon knows
 * (through api->live; a callback left NULL answers offline, never seen, no letters): each
 * agency's "online" (a session now), "last_seen" (ISO, or null when not since the
 * coordinator started) and "directory_valid_until" (when the DIRECTORY last sent to it ends:
 * ISO, or null when none was sent since the coordinator started); "letters_per_minute" (60
 * numbers, the newest last: letters stored in each 60 seconds up to now),
 * "letters_last_minute" (the last of them) and "sessions".  NULL when the view could not be
 * made (memory, or the read failed: txn->rc). */
json_t *tsg_hub_api_overview (const tsg_hub_api_t *api, tsg_txn_t *txn, uint64_t now_ms);

/* The registry's view of the agencies (tsg_hub_view_agencies) with each one's "online" and
 * "last_seen" as above: the overview's agencies without the rest of it.  NULL as that view. */
json_t *tsg_hub_api_agencies_live (const tsg_hub_api_t *api, tsg_txn_t *txn);

/* The same with api passed as const void *, in the shape of the routes' views. */
json_t *tsg_hub_api_overview_view (tsg_txn_t *txn, const void *api, uint64_t now_ms);

#endif
