/* timeline_write.c — appending to a case's timeline (timeline.h). */
#include <stdlib.h>
#include <string.h>
#include "coordinator/model/store.h"
#include "coordinator/model/layout.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/timeline.h"

void
tsg_hub_timeline_append (tsg_txn_t *txn, tsg_hub_case_t *c, tsg_hub_event_t *ev,
                         const Tsunagu__V1__CaseEvent *detail)
{
    if (txn->rc != TSG_OK)
        return;
    ev->n = ++c->events;
    tsg_hub_writer_t w;
    tsg_hub_writer_init (&w);
    tsg_hub_write_u8 (&w, TSG_HUB_EVENT_FORMAT);
    tsg_hub_write_u8 (&w, (uint8_t) ev->type);
    tsg_hub_write_u8 (&w, (uint8_t) ((ev->reason_given ? 1 : 0) | (ev->automatic ? 2 : 0)));
    tsg_hub_write_u64 (&w, ev->at_ms);
    tsg_hub_write_u64 (&w, ev->version);
    tsg_hub_write_str (&w, ev->by);
    tsg_hub_write_str (&w, ev->agency);
    tsg_hub_write_str (&w, ev->referral_id);
    tsg_hub_write_str (&w, ev->from);
    tsg_hub_write_str (&w, ev->to);
    tsg_hub_write_str (&w, ev->outcome);
    tsg_hub_write_str (&w, ev->message_id);
    if (detail) {
        size_t len = tsunagu__v1__case_event__get_packed_size (detail);
        uint8_t *packed = malloc (len ? len : 1);
        if (packed) {
            tsunagu__v1__case_event__pack (detail, packed);
            tsg_hub_write_bytes (&w, packed, len);
            free (packed);
        }
        else
            w.ok = false;
    }
    if (!w.ok) {
        txn->rc = TSG_ERR_NOMEM;
        tsg_hub_writer_free (&w);
        return;
    }
    uint8_t key[TSG_HUB_EVENT_KEY_LEN];
    tsg_txn_put (txn, tsg_store_db (txn->store, TSG_HUB_DB_CASE_EVENTS), key,
                 tsg_hub_event_key (c->id, ev->n, key), w.data, w.len);
    tsg_hub_writer_free (&w);
}
