/* metrics.c — GET /metrics of an agency daemon in the Prometheus text format: its standing
 * with the coordinator (suspended, revoked, clock, back-pressure), its outbox and inbox, and
 * what became of the letters it received.  Counters and a count of two tables only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency/api/views.h"
#include "agency/core/outbound.h"
#include "agency/records/events.h"

static void
s_head (FILE *out, const char *name, const char *type, const char *help)
{
    fprintf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
s_gauge (FILE *out, const char *name, const char *help, unsigned long long value)
{
    s_head (out, name, "gauge", help);
    fprintf (out, "%s %llu\n", name, value);
}

static void
s_counter (FILE *out, const char *name, const char *help, unsigned long long value)
{
    s_head (out, name, "counter", help);
    fprintf (out, "%s %llu\n", name, value);
}

/* What a webhook line shows. */
typedef enum {
    WEBHOOK_DELIVERED,
    WEBHOOK_FAILURES,
    WEBHOOK_PENDING,
    WEBHOOK_PARKED
} s_webhook_value_t;

static unsigned long long
s_webhook_value (const agency_webhook_status_t *st, s_webhook_value_t which)
{
    switch (which) {
    case WEBHOOK_DELIVERED: return st->delivered;
    case WEBHOOK_FAILURES: return st->failures;
    case WEBHOOK_PENDING: return st->pending;
    case WEBHOOK_PARKED: return st->parked;
    }
    return 0;
}

/* One line per webhook (daemon/webhooks.h) of a labelled family. */
static void
s_webhook_family (FILE *out, const tsg_agency_t *self, const char *name, const char *type,
                  const char *help, s_webhook_value_t which)
{
    s_head (out, name, type, help);
    for (size_t i = 0; i < self->webhook_count; i++) {
        const agency_webhook_status_t *st = &self->webhook_status[i];
        fprintf (out, "%s{webhook=\"%s\"} %llu\n", name, st->name, s_webhook_value (st, which));
    }
}

/* The webhooks' delivery: events taken, failed attempts, events behind, parked. */
static void
s_webhooks (FILE *out, const tsg_agency_t *self)
{
    if (self->webhook_count == 0)
        return;
    s_webhook_family (out, self, "tsunagu_agency_webhook_delivered_total", "counter",
                      "Events a webhook's receiver acknowledged with a 2xx since start.",
                      WEBHOOK_DELIVERED);
    s_webhook_family (out, self, "tsunagu_agency_webhook_failures_total", "counter",
                      "Failed delivery attempts (no 2xx) since start.", WEBHOOK_FAILURES);
    s_webhook_family (out, self, "tsunagu_agency_webhook_pending", "gauge",
                      "Events of the feed after the webhook's cursor (not yet acknowledged).",
                      WEBHOOK_PENDING);
    s_webhook_family (out, self, "tsunagu_agency_webhook_parked", "gauge",
                      "1 while a webhook is parked: failing past max_attempts_days (or 410 "
                      "Gone), no more attempts until a restart.",
                      WEBHOOK_PARKED);
}

/* The event feed: events written since the store began (its last seq), kept now, pruned since
 * start, and the GET /v1/events long-polls held. */
static void
s_events (FILE *out, tsg_agency_t *self)
{
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    uint64_t last = agency_events_last (&txn);
    size_t kept = tsg_txn_count (&txn, tsg_store_db (self->store, AGENCY_DB_EVENTS));
    tsg_txn_abort (&txn);
    s_counter (out, "tsunagu_agency_events_total",
               "Events written to the feed since the store began (GET /v1/events).", last);
    s_gauge (out, "tsunagu_agency_events_last_seq", "The seq of the feed's last event.", last);
    s_gauge (out, "tsunagu_agency_events_kept", "Events the feed keeps now.", kept);
    s_counter (out, "tsunagu_agency_events_pruned_total",
               "Events deleted after their retention since start.", self->events_pruned);
    s_gauge (out, "tsunagu_agency_events_long_polls",
             "GET /v1/events long-polls held now, waiting for an event (at most 64).",
             self->events_held);
}

char *
agency_metrics_text (tsg_agency_t *self)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    if (!out)
        return NULL;
    uint64_t now = agency_now_mono ();
    const char *status = agency_standing_status (&self->standing, now);
    static const char *const statuses[] = { "ok", "suspended", "revoked", "clock_skew",
                                            "backpressure" };
    s_head (out, "tsunagu_agency_status", "gauge",
            "1 for what the daemon's /healthz status is: ok (new work is taken), suspended, "
            "revoked, clock_skew or backpressure.");
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        fprintf (out, "tsunagu_agency_status{agency=\"%s\",status=\"%s\"} %d\n", self->config->id,
                 statuses[i], strcmp (status, statuses[i]) == 0);
    s_head (out, "tsunagu_agency_clock_skew_ms", "gauge",
            "How far this machine's clock is ahead of the coordinator's (negative: behind), as "
            "of its last HELLO; 0 until one was seen.");
    fprintf (out, "tsunagu_agency_clock_skew_ms %lld\n",
             self->standing.clock_known ? (long long) -self->standing.clock_offset_ms : 0LL);
    s_gauge (out, "tsunagu_agency_coordinator_connected",
             "1 when a letter from the coordinator came within the last 5 s.",
             agency_coordinator_connected (self));
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    size_t outbox = tsg_txn_count (&txn, tsg_store_db (self->store, AGENCY_DB_OUTBOX));
    size_t inbox = tsg_txn_count (&txn, tsg_store_db (self->store, AGENCY_DB_INBOX));
    size_t quarantine = tsg_txn_count (&txn, tsg_store_db (self->store, AGENCY_DB_QUARANTINE));
    tsg_txn_abort (&txn);
    s_gauge (out, "tsunagu_agency_outbox_letters",
             "Letters waiting to be stored by the coordinator.", outbox);
    s_gauge (out, "tsunagu_agency_outbox_limit",
             "Letters that may wait before new work is refused (0: no limit).",
             self->config->outbox_limit);
    s_gauge (out, "tsunagu_agency_inbox_letters", "Letters in the inbox.", inbox);
    s_gauge (out, "tsunagu_agency_quarantine_entries",
             "Letters that could not be accepted, kept as a hash and a prefix.", quarantine);
    s_gauge (out, "tsunagu_agency_inbound_held",
             "1 while forwarded letters are held after a failed commit, until the coordinator "
             "resends the mailbox from its oldest letter.",
             self->hold_inbound);
    const agency_stats_t *st = &self->stats;
    s_counter (out, "tsunagu_agency_frames_received_total", "Frames received from the coordinator.",
               st->received);
    s_counter (out, "tsunagu_agency_frames_malformed_total",
               "Frames that did not decode or verify.", st->malformed);
    s_counter (out, "tsunagu_agency_letters_rejected_total", "Letters answered RECEIPT_REJECTED.",
               st->rejected);
    s_counter (out, "tsunagu_agency_letters_duplicate_total", "Letters received again.",
               st->duplicates);
    s_counter (out, "tsunagu_agency_letters_refused_total",
               "Letters of this agency the coordinator refused.", st->refused);
    s_counter (out, "tsunagu_agency_letters_held_total",
               "Forwarded letters dropped while the mailbox was held.", st->held);
    s_counter (out, "tsunagu_agency_commit_failures_total", "Write transactions that failed.",
               st->commit_failures);
    s_counter (out, "tsunagu_agency_retention_pruned_total",
               "Dedup and quarantine records deleted after their retention.", self->pruned);
    s_events (out, self);
    s_webhooks (out, self);
    const tsg_http_limits_t *limits = self->http_limits;
    if (limits) {
        s_gauge (out, "tsunagu_agency_http_connections", "HTTP connections open now.",
                 tsg_http_limits_open (limits));
        s_counter (out, "tsunagu_agency_http_connections_expired_total",
                   "HTTP connections closed because their request passed its deadline.",
                   tsg_http_limits_expired (limits));
        s_counter (out, "tsunagu_agency_http_connections_refused_total",
                   "HTTP connections refused past the connection limits.",
                   tsg_http_limits_refused (limits));
    }
    if (fclose (out) != 0) {
        free (text);
        return NULL;
    }
    return text;
}
