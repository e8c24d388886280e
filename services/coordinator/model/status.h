/* What `tsunaguctl status` reads from the coordinator's store itself, beside the overview
 * (overview.h): the oldest letter of each mailbox, the store's use of its map, its schema,
 * the audit head and the registry's serial.  Reads only: tsunaguctl runs it on its own
 * read of the store whether the coordinator runs or not.  No personal data. */
#ifndef TSG_HUB_STATUS_H_INCLUDED
#define TSG_HUB_STATUS_H_INCLUDED

#include <jansson.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"

/* When the oldest letter waiting in agency's mailbox was stored (UTC ms; 0: the mailbox is
 * empty or unreadable).  One range read. */
uint64_t tsg_hub_mailbox_oldest_ms (tsg_txn_t *txn, const char *agency);

/* The store's part of the status (NULL when memory ran out or a read failed: txn->rc):
 *   {"store": {"used_bytes", "map_bytes", "used_percent" (0-100), "schema", "schema_current"},
 *    "audit": {"seq", "offset"}  (zeros before the first record),
 *    "registry_serial": n,
 *    "coordinator_keys": the rotation of the coordinator's own keys (tsg_hub_rotation_json)}
 * and, for each entry of agencies (an array of objects with "id", as the overview's), its
 * "mailbox_oldest_at" (ISO, or null when empty). */
json_t *tsg_hub_view_status (tsg_txn_t *txn, json_t *agencies);

#endif
