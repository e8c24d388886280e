/* events_view.c — the event feed as the API shows it (GET /v1/events): the events after a
 * cursor, in order, each exactly as records/events.h stored it, and where the feed stands. */
#include <stdio.h>

#include "agency/api/views.h"
#include "agency/records/events.h"
#include "agency/records/json.h"

/* agency_event_fn: each event read joins the array. */
static bool
s_collect (void *arg, const agency_event_t *event)
{
    json_t *events = arg;
    json_t *item = json_loadb (event->json, event->json_len, 0, NULL);
    if (item)
        json_array_append_new (events, item);
    return true;
}

json_t *
agency_events_list (tsg_agency_t *self, uint64_t after, size_t limit, int *status, size_t *count)
{
    *count = 0;
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    uint64_t last = agency_events_last (&txn);
    uint64_t first = agency_events_first (&txn);
    json_t *out = NULL;
    if (after > last) {
        *status = 400;
        char message[96];
        snprintf (message, sizeof message, "after is past the last event (%llu)",
                  (unsigned long long) last);
        out = agency_json_error ("invalid", "bad query arguments",
                                 json_pack ("{s:s}", "after", message));
        json_object_set_new (out, "last", json_integer ((json_int_t) last));
    }
    else if (after > 0 && after < last && (first == 0 || after + 1 < first)) {
        /* Events after the cursor were pruned: the reader missed some and must resync (0
         * means "from the oldest kept", never too old). */
        *status = 410;
        out = agency_json_error ("gone",
                                 "events after this cursor are no longer kept: read the "
                                 "records again and go on from first - 1",
                                 NULL);
        json_object_set_new (out, "first", json_integer ((json_int_t) first));
        json_object_set_new (out, "last", json_integer ((json_int_t) last));
    }
    else {
        json_t *events = json_array ();
        agency_events_read (&txn, after, limit, s_collect, events);
        size_t n = json_array_size (events);
        uint64_t next =
            n > 0 ? agency_json_u64 (json_array_get (events, n - 1), "seq", after) : after;
        *count = n;
        *status = 200;
        out = json_pack ("{s:o, s:I, s:I}", "events", events, "next_after", (json_int_t) next,
                         "last", (json_int_t) last);
    }
    if (txn.rc != TSG_OK) {
        json_decref (out);
        *status = 500;
        *count = 0;
        out = agency_json_error ("internal", "the event feed could not be read", NULL);
    }
    tsg_txn_abort (&txn);
    return out;
}

uint64_t
agency_events_last_committed (tsg_agency_t *self)
{
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    uint64_t last = agency_events_last (&txn);
    tsg_txn_abort (&txn);
    return last;
}
