/* Which of this agency's own letters carried what, in the msgref database: be64 sequence ||
 * id (36), followed for anything but a referral by u8 kind || be64 n, where kind is 1 for a
 * status change, 2 for a case event (n: its number) and 3 for a consent (n: 0 granted, 1
 * revoked). */
#include <assert.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "agency/records/msgref.h"
#include "agency/records/store.h"

#define MSGREF_REFERRAL (8 + 36)
#define MSGREF_LONG     (8 + 36 + 1 + 8)

/* The kind byte as stored. */
enum { STORED_STATUS = 1, STORED_CASE_EVENT = 2, STORED_CONSENT = 3 };

void
agency_msgref_put (tsg_txn_t *txn, const uint8_t message_id[TSG_MESSAGE_ID_SIZE],
                   const agency_msgref_t *ref)
{
    uint8_t value[MSGREF_LONG];
    assert (strlen (ref->id) == 36);
    tsg_be64_put (value, ref->sequence);
    memcpy (value + 8, ref->id, 36);
    size_t size = MSGREF_REFERRAL;
    if (ref->kind != AGENCY_KIND_REFERRAL) {
        uint64_t n = ref->n;
        switch (ref->kind) {
        case AGENCY_KIND_STATUS: value[44] = STORED_STATUS; break;
        case AGENCY_KIND_CASE_EVENT: value[44] = STORED_CASE_EVENT; break;
        default:
            value[44] = STORED_CONSENT;
            n = ref->kind == AGENCY_KIND_CONSENT_REVOKE ? 1 : 0;
            break;
        }
        tsg_be64_put (value + 45, n);
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
    ref->kind = AGENCY_KIND_REFERRAL;
    if (val.mv_size == MSGREF_LONG) {
        ref->n = tsg_be64_get (bytes + 45);
        switch (bytes[44]) {
        case STORED_STATUS: ref->kind = AGENCY_KIND_STATUS; break;
        case STORED_CASE_EVENT: ref->kind = AGENCY_KIND_CASE_EVENT; break;
        case STORED_CONSENT:
            ref->kind = ref->n == 1 ? AGENCY_KIND_CONSENT_REVOKE : AGENCY_KIND_CONSENT_GRANT;
            break;
        default: return false;
        }
    }
    return true;
}
