/* The agency's event feed: a durable, ordered list of what its own case system must know —
 * a referral received, a status changed, what became of a letter it sent, consents, cases,
 * emergency alerts, the directory, its own standing, back-pressure.  Written in the same
 * transaction as the change it tells of (so an event is never lost nor told of a change that
 * was rolled back), read by GET /v1/events (pull, long-polling) and by the webhooks (push).
 *
 * Database "events" (store.h): be64 seq (from 1, never reused) → JSON text of the event:
 *     {"id": "<agency id>:<seq>", "seq": n, "type": "<type>", "at": "<ISO-8601 UTC>",
 *      "data": {...}}
 * The id is what a receiver de-duplicates by (Standard Webhooks' webhook-id); data holds ids,
 * states, codes, dates and the agency's own decrypted view where the type says so (a referral
 * received carries its referral id, case id, sender and urgency: the sheet itself is read at
 * GET /v1/inbox, never pushed).  META "events.next" → be64 the next seq.
 *
 * Types (TSG names, dotted) and their data:
 *   referral.received        referral_id, case_id, from, urgency, cursor (of the inbox)
 *   referral.status_changed  referral_id, side ("sender"/"recipient": ours), from, to,
 *                            version, by (the agency that made the change), [outcome]
 *   delivery.stored, delivery.delivered, delivery.rejected, delivery.withheld,
 *   delivery.refused         message_id, kind, referral_id | case_id | consent_id,
 *                            recipient, [code, detail]: stored once (not per resend);
 *                            refused while in the outbox, withheld once stored
 *   consent.granted          consent_id, case_id, by
 *   consent.revoked          consent_id, case_id, state ("revoked"/"expired"), by
 *   consent.restricted       consent_id, case_id, because (what came under it is restricted
 *                            from now on; follows consent.revoked)
 *   case.updated             case_id, state, version, event_type (not for an older version)
 *   alert.emergency          referral_id, case_id, from (an emergency referral received)
 *   directory.changed        serial, agencies
 *   agency.suspended         agency, detail (and agency.revoked); agency.resumed: agency
 *   backpressure.reached     code (quota_exceeded, store_full from the coordinator;
 *                            outbox_full: this daemon's own outbox at its limit), detail,
 *                            retry_after_s: when the refusal of new work began, not per
 *                            refused letter
 * Written by letters/referral.c, letters/referral_status_apply.c, letters/consent_*.c,
 * core/delivery.c, core/from_coordinator.c and core/submit.c (outbox_full).
 * The standing (suspended, revoked, back-pressure) is the daemon's memory: after a restart the
 * coordinator's next refusal tells it again.
 *
 * Retention: the feed keeps the last AGENCY_EVENTS_KEEP events and at least AGENCY_EVENTS_DAYS
 * days of them; older ones are pruned in bounded passes (nothing grows without bound).  A reader
 * whose cursor is older than the oldest kept event is told so (GET /v1/events: 410). */
#ifndef AGENCY_RECORDS_EVENTS_H_INCLUDED
#define AGENCY_RECORDS_EVENTS_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsg_store.h"

#define AGENCY_EVENTS_KEEP    100000 /* events kept at least, whatever their age */
#define AGENCY_EVENTS_DAYS    14     /* ... and days of them */
#define AGENCY_EVENT_TYPE_MAX 32     /* bytes of a type, with its NUL */

/* One event as read. */
typedef struct {
    uint64_t seq;                     /* its place in the feed, from 1 */
    uint64_t at_ms;                   /* when it was written */
    char type[AGENCY_EVENT_TYPE_MAX]; /* "referral.received", ... */
    const char *json;                 /* the whole event as stored (borrowed for the call) */
    size_t json_len;                  /* its length */
} agency_event_t;

/* Appends an event of type with data (taken; NULL for {}) at now_ms for agency_id, in txn; the
 * caller commits txn with the change the event tells of.  A failure is left in txn->rc. */
void agency_events_append (tsg_txn_t *txn, const char *agency_id, const char *type, json_t *data,
                           uint64_t now_ms);

/* Called for each event read, in order; return false to stop. */
typedef bool (agency_event_fn) (void *arg, const agency_event_t *event);

/* Calls fn for at most limit events after seq after (0: from the first kept).  Returns how many
 * were handed to fn; a failed read shows in txn->rc. */
size_t agency_events_read (tsg_txn_t *txn, uint64_t after, size_t limit, agency_event_fn *fn,
                           void *arg);

/* The seq of the last event written (0: none) and of the oldest kept (0: none). */
uint64_t agency_events_last (tsg_txn_t *txn);
uint64_t agency_events_first (tsg_txn_t *txn);

/* Prunes at most max events past the retention above, in txn; returns how many went. */
size_t agency_events_prune (tsg_txn_t *txn, uint64_t now_ms, size_t max);

/* The same with the retention given: an event goes when more than keep events follow it and
 * it was written more than keep_ms before now_ms (agency.conf [retention] events_keep and
 * events_days; agency_events_prune is this with the defaults above).  Oldest first; stops at
 * the first event that stays. */
size_t agency_events_prune_past (tsg_txn_t *txn, uint64_t now_ms, uint64_t keep, uint64_t keep_ms,
                                 size_t max);

#endif
