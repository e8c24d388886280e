/* events.c — the agency's event feed (events.h): be64 seq → the event's JSON text, META
 * "events.next" the next seq, pruned oldest first in bounded passes. */
#define _DEFAULT_SOURCE
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tsunagu/tsunagu.h"
#include "agency/records/events.h"
#include "agency/records/store.h"

#define META_EVENTS_NEXT "events.next"
#define DAY_MS           (24ULL * 3600 * 1000)

void
agency_events_append (tsg_txn_t *txn, const char *agency_id, const char *type, json_t *data,
                      uint64_t now_ms)
{
    assert (agency_id && type && strlen (type) < AGENCY_EVENT_TYPE_MAX);
    if (!data)
        data = json_object ();
    if (txn->rc != TSG_OK) {
        json_decref (data);
        return;
    }
    uint64_t seq = agency_meta_get_u64 (txn, META_EVENTS_NEXT, 1);
    char id[TSG_ID_MAX + 32];
    char at[32];
    snprintf (id, sizeof id, "%s:%llu", agency_id, (unsigned long long) seq);
    tsg_iso8601 (now_ms, at);
    json_t *event = json_pack ("{s:s, s:I, s:s, s:s, s:o}", "id", id, "seq", (json_int_t) seq,
                               "type", type, "at", at, "data", data);
    char *text = event ? json_dumps (event, JSON_COMPACT) : NULL;
    json_decref (event);
    if (!text) {
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOMEM;
        return;
    }
    uint8_t key[8];
    tsg_be64_put (key, seq);
    tsg_txn_put (txn, tsg_store_db (txn->store, AGENCY_DB_EVENTS), key, sizeof key, text,
                 strlen (text));
    free (text);
    agency_meta_put_u64 (txn, META_EVENTS_NEXT, seq + 1);
}

/* The UTC milliseconds of an ISO-8601 time as tsg_iso8601 writes it, or 0. */
static uint64_t
s_iso_ms (const char *text)
{
    struct tm tm = { 0 };
    unsigned ms = 0;
    if (!text
        || sscanf (text, "%4d-%2d-%2dT%2d:%2d:%2d.%3uZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms)
               < 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t secs = timegm (&tm);
    return secs < 0 ? 0 : (uint64_t) secs * 1000 + ms;
}

/* Fills event from the stored pair; false (logged) when the value is not an event. */
static bool
s_event (const MDB_val *key, const MDB_val *val, agency_event_t *event)
{
    if (key->mv_size != 8)
        return false;
    memset (event, 0, sizeof *event);
    event->seq = tsg_be64_get (key->mv_data);
    event->json = val->mv_data;
    event->json_len = val->mv_size;
    json_error_t error;
    json_t *root = json_loadb (val->mv_data, val->mv_size, 0, &error);
    const char *type = json_string_value (json_object_get (root, "type"));
    if (!type) {
        log_warnx ("event %llu unreadable: %s", (unsigned long long) event->seq,
                   root ? "no type" : error.text);
        json_decref (root);
        return false;
    }
    snprintf (event->type, sizeof event->type, "%s", type);
    event->at_ms = s_iso_ms (json_string_value (json_object_get (root, "at")));
    json_decref (root);
    return true;
}

size_t
agency_events_read (tsg_txn_t *txn, uint64_t after, size_t limit, agency_event_fn *fn, void *arg)
{
    if (txn->rc != TSG_OK || limit == 0 || after == UINT64_MAX)
        return 0;
    uint8_t start[8];
    tsg_be64_put (start, after + 1);
    size_t count = 0;
    tsg_iter_t it;
    for (tsg_iter_begin (txn, tsg_store_db (txn->store, AGENCY_DB_EVENTS), &it, start, 8);
         it.valid && count < limit; tsg_iter_next (&it)) {
        agency_event_t event;
        if (!s_event (&it.key, &it.val, &event))
            continue;
        count++;
        if (!fn (arg, &event))
            break;
    }
    tsg_iter_end (&it);
    return count;
}

uint64_t
agency_events_last (tsg_txn_t *txn)
{
    uint64_t next = agency_meta_get_u64 (txn, META_EVENTS_NEXT, 1);
    return next > 0 ? next - 1 : 0;
}

uint64_t
agency_events_first (tsg_txn_t *txn)
{
    uint64_t first = 0;
    tsg_iter_t it;
    tsg_iter_begin (txn, tsg_store_db (txn->store, AGENCY_DB_EVENTS), &it, NULL, 0);
    if (it.valid && it.key.mv_size == 8)
        first = tsg_be64_get (it.key.mv_data);
    tsg_iter_end (&it);
    return first;
}

size_t
agency_events_prune_past (tsg_txn_t *txn, uint64_t now_ms, uint64_t keep, uint64_t keep_ms,
                          size_t max)
{
    uint64_t last = agency_events_last (txn);
    if (txn->rc != TSG_OK || last <= keep)
        return 0;
    uint64_t cutoff_seq = last - keep; /* seqs up to this one are past the count kept */
    uint64_t cutoff_ms = now_ms > keep_ms ? now_ms - keep_ms : 0;
    uint64_t doomed[256];
    size_t n = 0, total = 0;
    MDB_dbi db = tsg_store_db (txn->store, AGENCY_DB_EVENTS);
    while (total < max && txn->rc == TSG_OK) {
        /* Collect a few keys, then delete them: an iterator must not outlive a delete. */
        n = 0;
        tsg_iter_t it;
        for (tsg_iter_begin (txn, db, &it, NULL, 0);
             it.valid && n < sizeof doomed / sizeof *doomed && total + n < max;
             tsg_iter_next (&it)) {
            agency_event_t event;
            uint64_t seq = it.key.mv_size == 8 ? tsg_be64_get (it.key.mv_data) : 0;
            if (seq == 0 || seq > cutoff_seq)
                break;
            /* An unreadable event past the count goes; a readable one only when old enough. */
            if (s_event (&it.key, &it.val, &event) && event.at_ms >= cutoff_ms)
                break;
            doomed[n++] = seq;
        }
        tsg_iter_end (&it);
        for (size_t i = 0; i < n; i++) {
            uint8_t key[8];
            tsg_be64_put (key, doomed[i]);
            tsg_txn_del (txn, db, key, sizeof key);
        }
        total += n;
        if (n < sizeof doomed / sizeof *doomed)
            break;
    }
    return total;
}

size_t
agency_events_prune (tsg_txn_t *txn, uint64_t now_ms, size_t max)
{
    return agency_events_prune_past (txn, now_ms, AGENCY_EVENTS_KEEP,
                                     (uint64_t) AGENCY_EVENTS_DAYS * DAY_MS, max);
}
