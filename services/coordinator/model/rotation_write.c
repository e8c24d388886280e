/* rotation_write.c — the coordinator's key rotation record, written (rotation.h). */
#include <string.h>

#include "coordinator/model/rotation.h"
#include "coordinator/model/store.h"

void
tsg_hub_rotation_put (tsg_txn_t *txn, const tsg_hub_rotation_t *self)
{
    uint8_t bytes[TSG_HUB_ROTATION_SIZE];
    tsg_hub_rotation_encode (self, bytes);
    tsg_txn_put (txn, tsg_store_db (txn->store, TSG_HUB_DB_META), TSG_HUB_ROTATION_KEY,
                 strlen (TSG_HUB_ROTATION_KEY), bytes, sizeof bytes);
}
