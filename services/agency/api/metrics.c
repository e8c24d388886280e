/* metrics.c — GET /metrics of an agency daemon in the Prometheus text format: its standing
 * with the coordinator (suspended, revoked, clock, back-pressure, connection), its outbox and
 * inbox, what became of the letters it received and sent, the API's refusals, and the group
 * commits' sizes and durations.  Counters, histograms, a count of a few tables and the first
 * letter of the outbox only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency/api/views.h"
#include "agency/core/outbound.h"
#include "agency/records/events.h"

/* The label values of tsunagu_agency_api_refusals_total: the statuses and error codes the API
 * answers (docs/agency-api.yaml, Error); anything else is counted as "other". */
static const int s_api_statuses[AGENCY_API_STATUSES - 1] = { 400, 401, 404, 405, 409, 410,
                                                             413, 415, 422, 429, 500, 503 };
static const char *const s_api_codes[AGENCY_API_CODES - 1] = {
    "bad_json",
    "invalid",
    "unauthorized",
    "not_found",
    "method_not_allowed",
    "stale_version",
    "conflict",
    "too_large",
    "unsupported_media_type",
    "unknown_recipient",
    "recipient_inactive",
    "illegal_transition",
    "not_permitted",
    "unknown_agency",
    "missing_legal_basis",
    "personal_data",
    "store_error",
    "internal",
    "not_ready",
    "agency_revoked",
    "agency_suspended",
    "clock_skew",
    "quota_exceeded",
    "store_full",
    "outbox_full",
    "gone",
    "too_many_rows",
    "sequence_unknown",
};

void
agency_metrics_count_refusal (tsg_agency_t *self, int status, const json_t *body)
{
    const char *code = json_string_value (json_object_get (body, "error"));
    size_t si = AGENCY_API_STATUSES - 1, ci = AGENCY_API_CODES - 1;
    for (size_t i = 0; i < AGENCY_API_STATUSES - 1; i++)
        if (s_api_statuses[i] == status)
            si = i;
    for (size_t i = 0; code && i < AGENCY_API_CODES - 1; i++)
        if (strcmp (s_api_codes[i], code) == 0)
            ci = i;
    self->stats.api_refused[si][ci]++;
}

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

/* Our letters the coordinator refused: a line for each ErrorCode, as the coordinator's own
 * /metrics has, and for a code it did not give or one no ErrorCode has once one came. */
static void
s_refused (FILE *out, const tsg_agency_t *self)
{
    const uint64_t *by_code = self->stats.refused_by_code;
    s_head (out, "tsunagu_agency_letters_refused_total", "counter",
            "Letters of this agency the coordinator refused for good on arrival (once each, "
            "however often it was resent), by its code.");
    for (size_t i = 0; i < AGENCY_REFUSAL_CODES; i++) {
        bool named = i > 0 && i + 1 < AGENCY_REFUSAL_CODES;
        if (named || by_code[i])
            fprintf (out, "tsunagu_agency_letters_refused_total{code=\"%s\"} %llu\n",
                     i + 1 < AGENCY_REFUSAL_CODES ? tsg_error_code_name ((Tsunagu__V1__ErrorCode) i)
                                                  : "other",
                     (unsigned long long) by_code[i]);
    }
}

/* The API's error answers, one line per status and code seen since start. */
static void
s_api_refusals (FILE *out, const tsg_agency_t *self)
{
    s_head (out, "tsunagu_agency_api_refusals_total", "counter",
            "Requests the HTTP API answered with an error (status >= 400: refused before 202, "
            "or 500 when a group commit failed), by status and error code; a line per pair "
            "seen since start.");
    for (size_t i = 0; i < AGENCY_API_STATUSES; i++)
        for (size_t j = 0; j < AGENCY_API_CODES; j++) {
            uint64_t n = self->stats.api_refused[i][j];
            if (n == 0)
                continue;
            char status[8] = "other";
            if (i + 1 < AGENCY_API_STATUSES)
                snprintf (status, sizeof status, "%d", s_api_statuses[i]);
            fprintf (out, "tsunagu_agency_api_refusals_total{status=\"%s\",code=\"%s\"} %llu\n",
                     status, j + 1 < AGENCY_API_CODES ? s_api_codes[j] : "other",
                     (unsigned long long) n);
        }
}

/* The group commits: letters per commit (from the API, from the coordinator) and how long
 * each write transaction ran. */
static void
s_commits (FILE *out, const tsg_agency_t *self)
{
    const agency_stats_t *st = &self->stats;
    s_head (out, "tsunagu_agency_commit_letters", "histogram",
            "Letters per group commit: source api, those the API accepted (each answered 202 "
            "after the commit); source inbound, the frames received from the coordinator.");
    agency_histogram_print (&st->commit_api_letters, out, "tsunagu_agency_commit_letters",
                            "source=\"api\"");
    agency_histogram_print (&st->commit_inbound_letters, out, "tsunagu_agency_commit_letters",
                            "source=\"inbound\"");
    s_head (out, "tsunagu_agency_commit_duration_seconds", "histogram",
            "How long each group commit's write transaction ran, from its begin to its "
            "commit (what an accepted letter waits for before its 202).");
    agency_histogram_print (&st->commit_seconds, out, "tsunagu_agency_commit_duration_seconds",
                            NULL);
}

/* Seconds since the oldest letter of the outbox was made (its created_at), read in txn; 0
 * when the outbox is empty or its first letter does not decode. */
static double
s_outbox_age (tsg_agency_t *self, tsg_txn_t *txn)
{
    tsg_iter_t it;
    uint64_t created = 0;
    tsg_iter_begin (txn, tsg_store_db (self->store, AGENCY_DB_OUTBOX), &it, NULL, 0);
    if (it.valid) {
        tsg_envelope_t env;
        if (tsg_envelope_decode (it.val.mv_data, it.val.mv_size, &env, NULL) == TSG_OK) {
            created = env.letter->created_at_ms;
            tsg_envelope_clear (&env);
        }
    }
    tsg_iter_end (&it);
    uint64_t now = tsg_now_ms ();
    return created && now > created ? (double) (now - created) / 1000.0 : 0.0;
}

/* The coordinator's presence: connected (a letter within 5 s) and seconds since its last. */
static void
s_coordinator (FILE *out, const tsg_agency_t *self, uint64_t now)
{
    s_gauge (out, "tsunagu_agency_coordinator_connected",
             "1 when a letter from the coordinator came within the last 5 s.",
             agency_coordinator_connected (self));
    s_head (out, "tsunagu_agency_coordinator_last_seen_seconds", "gauge",
            "Seconds since the last letter from the coordinator (-1: none since start).");
    if (self->coordinator_seen_ms == 0)
        fprintf (out, "tsunagu_agency_coordinator_last_seen_seconds -1\n");
    else
        fprintf (out, "tsunagu_agency_coordinator_last_seen_seconds %.3f\n",
                 now > self->coordinator_seen_ms
                     ? (double) (now - self->coordinator_seen_ms) / 1000.0
                     : 0.0);
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
    static const char *const statuses[] = { "ok",         "suspended",    "revoked",
                                            "clock_skew", "backpressure", "sequence_unknown" };
    s_head (out, "tsunagu_agency_status", "gauge",
            "1 for what the daemon's /healthz status is: ok (new work is taken), suspended, "
            "revoked, clock_skew, backpressure or sequence_unknown.");
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        fprintf (out, "tsunagu_agency_status{agency=\"%s\",status=\"%s\"} %d\n", self->config->id,
                 statuses[i], strcmp (status, statuses[i]) == 0);
    s_head (out, "tsunagu_agency_clock_skew_ms", "gauge",
            "How far this machine's clock is ahead of the coordinator's (negative: behind), as "
            "of its last HELLO; 0 until one was seen.");
    fprintf (out, "tsunagu_agency_clock_skew_ms %lld\n",
             self->standing.clock_known ? (long long) -self->standing.clock_offset_ms : 0LL);
    s_coordinator (out, self, now);
    tsg_wire_counters_print (out, "tsunagu_agency");
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    size_t outbox = tsg_txn_count (&txn, tsg_store_db (self->store, AGENCY_DB_OUTBOX));
    size_t inbox = tsg_txn_count (&txn, tsg_store_db (self->store, AGENCY_DB_INBOX));
    size_t quarantine = tsg_txn_count (&txn, tsg_store_db (self->store, AGENCY_DB_QUARANTINE));
    double outbox_age = s_outbox_age (self, &txn);
    tsg_txn_abort (&txn);
    s_gauge (out, "tsunagu_agency_outbox_letters",
             "Letters waiting to be stored by the coordinator.", outbox);
    s_head (out, "tsunagu_agency_outbox_oldest_age_seconds", "gauge",
            "Seconds since the oldest letter still in the outbox was made (0: empty).");
    fprintf (out, "tsunagu_agency_outbox_oldest_age_seconds %.3f\n", outbox_age);
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
    s_refused (out, self);
    s_counter (out, "tsunagu_agency_letters_held_total",
               "Forwarded letters dropped while the mailbox was held.", st->held);
    s_counter (out, "tsunagu_agency_commit_failures_total", "Write transactions that failed.",
               st->commit_failures);
    s_counter (out, "tsunagu_agency_retention_pruned_total",
               "Dedup and quarantine records deleted after their retention.", self->pruned);
    s_api_refusals (out, self);
    s_commits (out, self);
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
