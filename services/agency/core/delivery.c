/* delivery.c — what became of the letters this agency sent (delivery.h): msgref says which
 * kind, the kind's table says what it means. */
#include "agency/core/delivery.h"
#include "agency/core/kind.h"
#include "agency/records/msgref.h"

static void
s_outbox_del (tsg_agency_t *self, tsg_txn_t *txn, uint64_t sequence)
{
    uint8_t key[8];
    tsg_be64_put (key, sequence);
    tsg_txn_del (txn, tsg_store_db (self->store, AGENCY_DB_OUTBOX), key, sizeof key);
}

int
agency_delivery_stored (tsg_agency_t *self, tsg_txn_t *txn,
                        const uint8_t about[TSG_MESSAGE_ID_SIZE], uint64_t at_ms)
{
    agency_msgref_t ref;
    if (!agency_msgref_get (txn, about, &ref))
        return TSG_ERR_NOT_FOUND;
    self->kinds[ref.kind]->stored (self, txn, &ref, about, at_ms);
    s_outbox_del (self, txn, ref.sequence);
    return TSG_OK;
}

int
agency_delivery_refused (tsg_agency_t *self, tsg_txn_t *txn,
                         const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *code,
                         const char *detail, uint64_t at_ms)
{
    agency_msgref_t ref;
    if (!agency_msgref_get (txn, about, &ref))
        return TSG_ERR_NOT_FOUND;
    /* The kinds see a code and a sentence always, whatever the coordinator sent. */
    self->kinds[ref.kind]->refused (self, txn, &ref, about, code && *code ? code : "unspecified",
                                    detail && *detail ? detail : "no detail", at_ms);
    s_outbox_del (self, txn, ref.sequence);
    return TSG_OK;
}

int
agency_delivery_receipt (tsg_agency_t *self, tsg_txn_t *txn,
                         const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *by, bool delivered,
                         const char *detail, uint64_t at_ms)
{
    agency_msgref_t ref;
    if (!agency_msgref_get (txn, about, &ref))
        return TSG_ERR_NOT_FOUND;
    return self->kinds[ref.kind]->receipt (self, txn, &ref, about, by, delivered, detail, at_ms);
}
