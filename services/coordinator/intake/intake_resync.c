/* intake_resync.c — a coordinator started on a restored store: the agencies' sequences run
 * ahead of it by the letters it stored after the backup, which it does not hold (intake.h). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "coordinator/intake/intake_parts.h"
#include "coordinator/model/mailbox.h"
#include "coordinator/model/store.h"

#define RESYNC_KEY "resync." /* META "resync.<agency>" → be64 the restore it was resynced for */

void
tsg_hub_intake_set_resync (tsg_hub_intake_t *self, uint64_t restore_ms)
{
    self->resync_ms = restore_ms;
}

bool
hub_intake_resynced (tsg_hub_intake_t *self, const char *auth_id, uint64_t last, uint64_t seq)
{
    if (self->resync_ms == 0)
        return false;
    char key[64];
    snprintf (key, sizeof key, RESYNC_KEY "%s", auth_id);
    MDB_dbi meta = tsg_store_db (self->txn->store, TSG_HUB_DB_META);
    MDB_val val;
    if (tsg_txn_get (self->txn, meta, key, strlen (key), &val) && val.mv_size == 8
        && tsg_be64_get (val.mv_data) >= self->resync_ms)
        return false; /* once per sender and restore: a gap after that is a gap */
    uint8_t when[8];
    tsg_be64_put (when, self->resync_ms);
    tsg_txn_put (self->txn, meta, key, strlen (key), when, sizeof when);
    tsg_hub_sender_set (self->txn, auth_id, seq - 1);
    log_warnx ("%s's letters %llu to %llu were stored after the backup this store was restored "
               "from: they are lost here (the agency counts them stored); %llu is taken as its "
               "next",
               auth_id, (unsigned long long) (last + 1), (unsigned long long) (seq - 1),
               (unsigned long long) seq);
    if (self->audit)
        tsg_hub_audit_add (self->audit, "sequence-gap-after-restore", NULL, auth_id, NULL, NULL,
                           json_pack ("{s:s, s:I, s:I}", "agency", auth_id, "lost_from",
                                      (json_int_t) (last + 1), "lost_to", (json_int_t) (seq - 1)));
    return true;
}
