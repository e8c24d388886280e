/* metrics.c — /metrics in the Prometheus text format: letters, mailboxes, sessions, cases and
 * referrals by state, overdue counts.  Counters and range reads only. */
#include <stdio.h>
#include <stdlib.h>

#include "coordinator/alerts.h"
#include "coordinator/api.h"
#include "coordinator/consents.h"
#include "coordinator/referrals.h"
#include "coordinator/stats.h"

/* Writes the HELP and TYPE lines of a metric. */
static void
s_head (FILE *out, const char *name, const char *type, const char *help)
{
    fprintf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
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
    for (int code = 1; code <= TSUNAGU__V1__ERROR_CODE__ERROR_UNKNOWN_CASE; code++)
        fprintf (out, "tsunagu_letters_refused_total{reason=\"%s\"} %llu\n",
                 tsg_error_code_name ((Tsunagu__V1__ErrorCode) code),
                 (unsigned long long) (counters ? counters->refused[code] : 0));

    Tsunagu__V1__AgencyEntry **entries = NULL;
    size_t count = 0;
    if (tsg_registry_list (txn, &entries, &count) == TSG_OK) {
        s_head (out, "tsunagu_mailbox_depth", "gauge",
                "Letters waiting in each agency's mailbox at the coordinator.");
        for (size_t i = 0; i < count; i++)
            fprintf (out, "tsunagu_mailbox_depth{agency=\"%s\"} %llu\n", entries[i]->id,
                     (unsigned long long) tsg_hub_stat_get2 (txn, TSG_HUB_STAT_MAILBOX_DEPTH,
                                                             entries[i]->id));
        s_head (out, "tsunagu_agency_connected", "gauge",
                "1 when the agency has a session with the coordinator.");
        for (size_t i = 0; i < count; i++)
            fprintf (out, "tsunagu_agency_connected{agency=\"%s\"} %d\n", entries[i]->id,
                     api->sessions && tsg_hub_sessions_find (api->sessions, entries[i]->id) ? 1
                                                                                            : 0);
        tsg_registry_free_list (entries, count);
    }
    s_head (out, "tsunagu_sessions", "gauge", "Agencies connected now.");
    fprintf (out, "tsunagu_sessions %zu\n",
             api->sessions ? tsg_hub_sessions_size (api->sessions) : (size_t) 0);

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
