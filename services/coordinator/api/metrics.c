/* metrics.c — /metrics in the Prometheus text format: letters, mailboxes, sessions, cases and
 * referrals by state, overdue counts.  Counters and range reads only. */
#include <stdio.h>
#include <stdlib.h>

#include "coordinator/model/store.h"
#include "coordinator/model/alerts.h"
#include "coordinator/api/api.h"
#include "coordinator/model/consents.h"
#include "coordinator/model/referrals.h"
#include "coordinator/model/stats.h"

/* Writes the HELP and TYPE lines of a metric. */
static void
s_head (FILE *out, const char *name, const char *type, const char *help)
{
    fprintf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Refusals only counted (the first of each cause was logged and audited: quiet.h) and
 * receipts dropped unanswered, by reason. */
/* The dashboard's logins (zeros while it does not serve). */
static void
s_staff (FILE *out, const tsg_hub_staff_counters_t *staff)
{
    const tsg_hub_staff_counters_t none = { 0 };
    const tsg_hub_staff_counters_t *c = staff ? staff : &none;
    s_head (out, "tsunagu_dashboard_logins_total", "counter", "Staff logins to the dashboard.");
    fprintf (out, "tsunagu_dashboard_logins_total %llu\n", (unsigned long long) c->logins);
    s_head (out, "tsunagu_dashboard_login_failures_total", "counter",
            "Logins refused for a wrong name or password.");
    fprintf (out, "tsunagu_dashboard_login_failures_total %llu\n",
             (unsigned long long) c->login_failures);
    s_head (out, "tsunagu_dashboard_login_locked_total", "counter",
            "Login attempts refused while the name or address was locked, or too many at once.");
    fprintf (out, "tsunagu_dashboard_login_locked_total %llu\n",
             (unsigned long long) c->login_locked);
    s_head (out, "tsunagu_dashboard_csrf_refused_total", "counter",
            "Forms posted without their session's CSRF token.");
    fprintf (out, "tsunagu_dashboard_csrf_refused_total %llu\n",
             (unsigned long long) c->csrf_refused);
    s_head (out, "tsunagu_dashboard_sessions", "gauge", "Staff sessions alive.");
    fprintf (out, "tsunagu_dashboard_sessions %llu\n", (unsigned long long) c->sessions_active);
}

static void
s_refusals (FILE *out, const tsg_hub_api_t *api)
{
    s_head (out, "tsunagu_refusals_repeated_total", "counter",
            "Refusals counted but not logged or audited again (the first of each agency and "
            "cause was), by reason.");
    for (int code = 1; code <= TSUNAGU__V1__ERROR_CODE__ERROR_PERSONAL_DATA; code++)
        fprintf (out, "tsunagu_refusals_repeated_total{reason=\"%s\"} %llu\n",
                 tsg_error_code_name ((Tsunagu__V1__ErrorCode) code),
                 (unsigned long long) (api->intake ? tsg_hub_intake_repeats (
                                           api->intake, (Tsunagu__V1__ErrorCode) code)
                                                   : 0));
    s_head (out, "tsunagu_receipts_ignored_total", "counter",
            "Receipts that could not be applied; receipts are never answered, by reason.");
    for (int code = 1; code <= TSUNAGU__V1__ERROR_CODE__ERROR_PERSONAL_DATA; code++)
        fprintf (out, "tsunagu_receipts_ignored_total{reason=\"%s\"} %llu\n",
                 tsg_error_code_name ((Tsunagu__V1__ErrorCode) code),
                 (unsigned long long) (api->counters ? api->counters->ignored[code] : 0));
}

/* Refused handshakes and the HTTP server's connection limits. */
static void
s_connections (FILE *out, const tsg_hub_api_t *api)
{
    s_head (out, "tsunagu_handshakes_refused_total", "counter",
            "CURVE handshakes refused (a key that is not an active agency's).");
    fprintf (out, "tsunagu_handshakes_refused_total %llu\n",
             (unsigned long long) (api->live.handshakes_refused
                                       ? api->live.handshakes_refused (api->live.arg)
                                       : 0));
    const tsg_http_limits_t *limits = api->http_limits;
    if (!limits)
        return;
    s_head (out, "tsunagu_http_connections", "gauge", "HTTP connections open now.");
    fprintf (out, "tsunagu_http_connections %zu\n", tsg_http_limits_open (limits));
    s_head (out, "tsunagu_http_connections_expired_total", "counter",
            "HTTP connections closed because their request passed its deadline.");
    fprintf (out, "tsunagu_http_connections_expired_total %llu\n",
             (unsigned long long) tsg_http_limits_expired (limits));
    s_head (out, "tsunagu_http_connections_refused_total", "counter",
            "HTTP connections refused past the connection limits.");
    fprintf (out, "tsunagu_http_connections_refused_total %llu\n",
             (unsigned long long) tsg_http_limits_refused (limits));
}

/* The store's size against its ceiling, and what retention pruned. */
static void
s_store (FILE *out, const tsg_hub_api_t *api, tsg_txn_t *txn)
{
    size_t used = 0, map = 0;
    if (api->store && tsg_store_usage (api->store, &used, &map) == TSG_OK) {
        s_head (out, "tsunagu_store_used_bytes", "gauge",
                "Bytes in use in the coordinator's LMDB store (free pages not counted).");
        fprintf (out, "tsunagu_store_used_bytes %zu\n", used);
        s_head (out, "tsunagu_store_map_bytes", "gauge", "The LMDB map's size now.");
        fprintf (out, "tsunagu_store_map_bytes %zu\n", map);
    }
    s_head (out, "tsunagu_store_full", "gauge",
            "1 while new letters are refused because the store is near its ceiling.");
    fprintf (out, "tsunagu_store_full %d\n",
             api->intake && tsg_hub_intake_store_full (api->intake) ? 1 : 0);
    s_head (out, "tsunagu_retention_pruned_total", "counter",
            "Message records deleted after the dedup window.");
    fprintf (out, "tsunagu_retention_pruned_total %llu\n",
             (unsigned long long) tsg_hub_stat_get (txn, TSG_HUB_STAT_PRUNED));
}

/* Each agency's letters waiting (as sender and in its mailbox) against the quotas. */
static void
s_quotas (FILE *out, const tsg_hub_api_t *api, tsg_txn_t *txn,
          Tsunagu__V1__AgencyEntry *const *entries, size_t count)
{
    static const struct {
        const char *metric; /* the metric name */
        const char *stat;   /* the STATS prefix */
        const char *help;   /* its HELP text */
    } gauges[] = {
        { "tsunagu_mailbox_bytes", TSG_HUB_STAT_MAILBOX_BYTES,
          "Bytes waiting in each agency's mailbox at the coordinator." },
        { "tsunagu_sender_waiting_letters", TSG_HUB_STAT_SENDER_LETTERS,
          "Letters each agency sent that wait in any mailbox (its sender quota)." },
        { "tsunagu_sender_waiting_bytes", TSG_HUB_STAT_SENDER_BYTES,
          "Bytes of the letters each agency sent that wait in any mailbox." },
        { "tsunagu_quota_refused_total", TSG_HUB_STAT_QUOTA_REFUSED,
          "Letters of each agency refused for a full quota." },
    };
    for (size_t g = 0; g < sizeof gauges / sizeof gauges[0]; g++) {
        s_head (out, gauges[g].metric, g == 3 ? "counter" : "gauge", gauges[g].help);
        for (size_t i = 0; i < count; i++)
            fprintf (out, "%s{agency=\"%s\"} %llu\n", gauges[g].metric, entries[i]->id,
                     (unsigned long long) tsg_hub_stat_get2 (txn, gauges[g].stat, entries[i]->id));
    }
    if (!api->intake)
        return;
    const tsg_hub_limits_t *l = tsg_hub_intake_limits (api->intake);
    s_head (out, "tsunagu_quota_limit", "gauge", "The quotas in force ([limits]).");
    fprintf (out, "tsunagu_quota_limit{quota=\"sender_letters\"} %llu\n",
             (unsigned long long) l->sender_letters);
    fprintf (out, "tsunagu_quota_limit{quota=\"sender_bytes\"} %llu\n",
             (unsigned long long) l->sender_bytes);
    fprintf (out, "tsunagu_quota_limit{quota=\"mailbox_letters\"} %llu\n",
             (unsigned long long) l->mailbox_letters);
    fprintf (out, "tsunagu_quota_limit{quota=\"mailbox_bytes\"} %llu\n",
             (unsigned long long) l->mailbox_bytes);
}

char *
tsg_hub_metrics_text (const tsg_hub_api_t *api, tsg_txn_t *txn, uint64_t now_ms)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    if (!out)
        return NULL;
    const tsg_hub_intake_counters_t *counters = api->counters;
    s_head (out, "tsunagu_letters_stored_total", "counter",
            "Sequenced letters stored since the coordinator started.");
    fprintf (out, "tsunagu_letters_stored_total %llu\n",
             (unsigned long long) (counters ? counters->stored : 0));
    s_head (out, "tsunagu_letters_refused_total", "counter",
            "Letters refused since the coordinator started, by reason.");
    for (int code = 1; code <= TSUNAGU__V1__ERROR_CODE__ERROR_PERSONAL_DATA; code++)
        fprintf (out, "tsunagu_letters_refused_total{reason=\"%s\"} %llu\n",
                 tsg_error_code_name ((Tsunagu__V1__ErrorCode) code),
                 (unsigned long long) (counters ? counters->refused[code] : 0));
    s_refusals (out, api);
    tsg_wire_counters_print (out, "tsunagu");
    s_staff (out, api->staff);
    s_store (out, api, txn);
    s_connections (out, api);

    Tsunagu__V1__AgencyEntry **entries = NULL;
    size_t count = 0;
    if (tsg_registry_list (txn, &entries, &count) == TSG_OK) {
        s_head (out, "tsunagu_mailbox_depth", "gauge",
                "Letters waiting in each agency's mailbox at the coordinator.");
        for (size_t i = 0; i < count; i++)
            fprintf (out, "tsunagu_mailbox_depth{agency=\"%s\"} %llu\n", entries[i]->id,
                     (unsigned long long) tsg_hub_stat_get2 (txn, TSG_HUB_STAT_MAILBOX_DEPTH,
                                                             entries[i]->id));
        s_quotas (out, api, txn, entries, count);
        s_head (out, "tsunagu_agency_connected", "gauge",
                "1 when the agency has a session with the coordinator.");
        for (size_t i = 0; i < count; i++)
            fprintf (out, "tsunagu_agency_connected{agency=\"%s\"} %d\n", entries[i]->id,
                     tsg_hub_api_connected (api, entries[i]->id) ? 1 : 0);
        tsg_registry_free_list (entries, count);
    }
    s_head (out, "tsunagu_sessions", "gauge", "Agencies connected now.");
    fprintf (out, "tsunagu_sessions %zu\n", tsg_hub_api_sessions (api));

    s_head (out, "tsunagu_cases", "gauge", "Cases by state.");
    for (int i = 0; i < TSG_CASE_STATE_COUNT; i++) {
        const char *name = tsg_case_state_name ((tsg_case_state_t) i);
        fprintf (out, "tsunagu_cases{state=\"%s\"} %llu\n", name,
                 (unsigned long long) tsg_hub_stat_get2 (txn, TSG_HUB_STAT_CASE_STATE, name));
    }
    s_head (out, "tsunagu_referrals", "gauge", "Referrals by state.");
    for (int i = 0; i < TSG_REF_STATE_COUNT; i++) {
        const char *name = tsg_ref_state_name ((tsg_ref_state_t) i);
        fprintf (out, "tsunagu_referrals{state=\"%s\"} %llu\n", name,
                 (unsigned long long) tsg_hub_stat_get2 (txn, TSG_HUB_STAT_REF_STATE, name));
    }
    s_head (out, "tsunagu_consents", "gauge", "Consents in the register, by state.");
    for (int i = TSG_HUB_CONSENT_ACTIVE; i <= TSG_HUB_CONSENT_EXPIRED; i++) {
        const char *name = tsg_hub_consent_state_name ((tsg_hub_consent_state_t) i);
        fprintf (out, "tsunagu_consents{state=\"%s\"} %llu\n", name,
                 (unsigned long long) tsg_hub_stat_get2 (txn, "consents.state.", name));
    }
    s_head (out, "tsunagu_referrals_overdue", "gauge",
            "Referrals past their due date for being received or accepted.");
    fprintf (out, "tsunagu_referrals_overdue{kind=\"received\"} %zu\n",
             tsg_hub_due_count (txn, TSG_HUB_DUE_RECEIVED, now_ms));
    fprintf (out, "tsunagu_referrals_overdue{kind=\"accepted\"} %zu\n",
             tsg_hub_due_count (txn, TSG_HUB_DUE_ACCEPTED, now_ms));

    static const struct {
        const char *metric; /* the metric name */
        const char *stat;   /* the STATS counter */
        const char *help;   /* its HELP text */
    } totals[] = {
        { "tsunagu_referrals_created_total", TSG_HUB_STAT_REFERRALS, "Referrals made." },
        { "tsunagu_cases_opened_total", TSG_HUB_STAT_CASES_OPENED, "Cases opened." },
        { "tsunagu_cases_closed_total", TSG_HUB_STAT_CASES_CLOSED, "Case closures." },
        { "tsunagu_cases_reopened_total", TSG_HUB_STAT_CASES_REOPENED, "Cases reopened." },
        { "tsunagu_case_events_total", TSG_HUB_STAT_CASE_EVENTS, "Case events applied." },
        { "tsunagu_alerts_total", TSG_HUB_STAT_ALERTS,
          "Emergency (abuse) reports routed; each alerted the coordinator's staff." },
        { "tsunagu_letters_withheld_total", "letters.withheld",
          "Letters withheld from a mailbox because the consent they relied on ended." },
    };
    for (size_t i = 0; i < sizeof totals / sizeof totals[0]; i++) {
        s_head (out, totals[i].metric, "counter", totals[i].help);
        fprintf (out, "%s %llu\n", totals[i].metric,
                 (unsigned long long) tsg_hub_stat_get (txn, totals[i].stat));
    }
    if (fclose (out) != 0) {
        free (text);
        return NULL;
    }
    return text;
}
