/* timeline.c — the CASE_EVENTS records.
 *
 *   CASE_EVENTS case id (36 bytes), NUL, be64 n →
 *       u8 format (1) | u8 type | u8 flags (1 reason given, 2 automatic) | be64 at_ms |
 *       be64 version | str by | str agency | str referral id | str from | str to |
 *       str outcome | str message id (hex) | the CaseEvent metadata, packed (rest) */
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "coordinator/model/layout.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/timeline.h"

tsg_hub_event_type_t
tsg_hub_event_type_of (Tsunagu__V1__CaseEventType type)
{
    switch (type) {
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE: return TSG_HUB_EV_STATE;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING: return TSG_HUB_EV_MEETING;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN: return TSG_HUB_EV_PLAN;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_NOTE: return TSG_HUB_EV_NOTE;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE: return TSG_HUB_EV_CLOSE;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_REOPEN: return TSG_HUB_EV_REOPEN;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_HANDOVER: return TSG_HUB_EV_HANDOVER;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_SUCCESSION: return TSG_HUB_EV_SUCCESSION;
    default: return (tsg_hub_event_type_t) 0;
    }
}

const char *
tsg_hub_event_type_name (tsg_hub_event_type_t type)
{
    static const char *const names[] = {
        [TSG_HUB_EV_OPENED] = "opened",     [TSG_HUB_EV_JOINED] = "agency-joined",
        [TSG_HUB_EV_REFERRAL] = "referral", [TSG_HUB_EV_REFERRAL_STATUS] = "referral-status",
        [TSG_HUB_EV_STATE] = "state",       [TSG_HUB_EV_MEETING] = "meeting",
        [TSG_HUB_EV_PLAN] = "plan",         [TSG_HUB_EV_NOTE] = "note",
        [TSG_HUB_EV_CLOSE] = "close",       [TSG_HUB_EV_REOPEN] = "reopen",
        [TSG_HUB_EV_HANDOVER] = "handover", [TSG_HUB_EV_SUCCESSION] = "succession",
    };
    if ((unsigned) type < sizeof names / sizeof names[0] && names[type])
        return names[type];
    return "unknown";
}

size_t
tsg_hub_event_key (const char *case_id, uint64_t n, uint8_t key[TSG_HUB_EVENT_KEY_LEN])
{
    memcpy (key, case_id, 36);
    key[36] = '\0';
    tsg_be64_put (key + 37, n);
    return TSG_HUB_EVENT_KEY_LEN;
}

/* Decodes one value into *ev (detail allocated when present).  False when unreadable. */
static bool
s_decode (const MDB_val *val, tsg_hub_event_t *ev)
{
    tsg_hub_reader_t r;
    tsg_hub_reader_init (&r, val->mv_data, val->mv_size);
    if (tsg_hub_read_u8 (&r) != TSG_HUB_EVENT_FORMAT)
        return false;
    ev->type = (tsg_hub_event_type_t) tsg_hub_read_u8 (&r);
    uint8_t flags = tsg_hub_read_u8 (&r);
    ev->reason_given = (flags & 1) != 0;
    ev->automatic = (flags & 2) != 0;
    ev->at_ms = tsg_hub_read_u64 (&r);
    ev->version = tsg_hub_read_u64 (&r);
    tsg_hub_read_str (&r, ev->by, sizeof ev->by);
    tsg_hub_read_str (&r, ev->agency, sizeof ev->agency);
    tsg_hub_read_str (&r, ev->referral_id, sizeof ev->referral_id);
    tsg_hub_read_str (&r, ev->from, sizeof ev->from);
    tsg_hub_read_str (&r, ev->to, sizeof ev->to);
    tsg_hub_read_str (&r, ev->outcome, sizeof ev->outcome);
    tsg_hub_read_str (&r, ev->message_id, sizeof ev->message_id);
    if (!r.ok)
        return false;
    ev->detail = NULL;
    if (r.pos < r.len) {
        ev->detail = tsunagu__v1__case_event__unpack (NULL, r.len - r.pos, r.data + r.pos);
        if (!ev->detail)
            return false;
    }
    return true;
}

void
tsg_hub_timeline_scan (tsg_txn_t *txn, const char *case_id, uint64_t from, tsg_hub_event_fn *fn,
                       void *arg)
{
    if (!tsg_uuid_valid (case_id))
        return;
    uint8_t start[TSG_HUB_EVENT_KEY_LEN];
    tsg_hub_event_key (case_id, from, start);
    tsg_iter_t it;
    for (tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_CASE_EVENTS), &it, start,
                         TSG_HUB_EVENT_KEY_LEN);
         it.valid; tsg_iter_next (&it)) {
        if (it.key.mv_size != TSG_HUB_EVENT_KEY_LEN || memcmp (it.key.mv_data, start, 37) != 0)
            break;
        tsg_hub_event_t ev;
        memset (&ev, 0, sizeof ev);
        ev.n = tsg_be64_get ((const uint8_t *) it.key.mv_data + 37);
        if (!s_decode (&it.val, &ev)) {
            log_warnx ("store: unreadable timeline entry %s/%llu", case_id,
                       (unsigned long long) ev.n);
            continue;
        }
        bool go_on = fn (arg, &ev);
        if (ev.detail)
            tsunagu__v1__case_event__free_unpacked (ev.detail, NULL);
        if (!go_on)
            break;
    }
    tsg_iter_end (&it);
}
