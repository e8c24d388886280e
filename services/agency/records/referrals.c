/* referrals.c — a referral's record by id, sent or received (referrals.h). */
#include "agency/records/json.h"
#include "agency/records/received.h"
#include "agency/records/referrals.h"
#include "agency/records/sent.h"

json_t *
agency_status_find (tsg_txn_t *txn, const char *referral_id, tsg_party_t *party)
{
    json_t *record = agency_sent_get (txn, referral_id);
    if (record) {
        *party = TSG_PARTY_SENDER;
        return record;
    }
    record = agency_received_get (txn, referral_id);
    if (record)
        *party = TSG_PARTY_RECIPIENT;
    return record;
}

void
agency_status_save (tsg_txn_t *txn, const json_t *record, tsg_party_t party)
{
    if (party == TSG_PARTY_SENDER)
        agency_sent_put (txn, record);
    else
        agency_received_put (txn, record);
}

const char *
agency_status_other (const json_t *record, tsg_party_t party)
{
    return agency_json_str (record, party == TSG_PARTY_SENDER ? "to" : "from");
}
