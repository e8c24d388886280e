/* Which of this agency's own letters carried what, in the msgref database: be64 sequence ||
 * id (36), followed for anything but a referral by u8 kind || be64 n. */
#include <assert.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "msgref.h"
#include "store.h"

#define MSGREF_REFERRAL (8 + 36)
#define MSGREF_LONG     (8 + 36 + 1 + 8)

void
agency_msgref_put (tsg_txn_t *txn, const uint8_t message_id[TSG_MESSAGE_ID_SIZE],
                   const agency_msgref_t *ref)
{
    uint8_t value[MSGREF_LONG];
    assert (strlen (ref->id) == 36);
    tsg_be64_put (value, ref->sequence);
    memcpy (value + 8, ref->id, 36);
    size_t size = MSGREF_REFERRAL;
    if (ref->kind != AGENCY_LETTER_REFERRAL) {
        value[44] = (uint8_t) ref->kind;
        tsg_be64_put (value + 45, ref->n);
        size = MSGREF_LONG;
    }
    tsg_txn_put (txn, tsg_store_db (txn->store, AGENCY_DB_MSGREF), message_id, TSG_MESSAGE_ID_SIZE,
                 value, size);
}

bool
agency_msgref_get (tsg_txn_t *txn, const uint8_t message_id[TSG_MESSAGE_ID_SIZE],
                   agency_msgref_t *ref)
{
    MDB_val val;
    if (!tsg_txn_get (txn, tsg_store_db (txn->store, AGENCY_DB_MSGREF), message_id,
                      TSG_MESSAGE_ID_SIZE, &val)
        || (val.mv_size != MSGREF_REFERRAL && val.mv_size != MSGREF_LONG))
        return false;
    const uint8_t *bytes = val.mv_data;
    memset (ref, 0, sizeof *ref);
    ref->sequence = tsg_be64_get (bytes);
    memcpy (ref->id, bytes + 8, 36);
    ref->id[36] = '\0';
    ref->kind = AGENCY_LETTER_REFERRAL;
    if (val.mv_size == MSGREF_LONG) {
        if (bytes[44] != AGENCY_LETTER_STATUS && bytes[44] != AGENCY_LETTER_CASE_EVENT
            && bytes[44] != AGENCY_LETTER_CONSENT)
            return false;
        ref->kind = (agency_letter_t) bytes[44];
        ref->n = tsg_be64_get (bytes + 45);
    }
    return true;
}
