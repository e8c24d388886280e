/* test_ctl_views.c — `tsunaguctl case list|show`, `referral overdue` and `stats` read a
 * coordinator store directly: overdue cases carry ⚠ (the clock is injected, not slept), states
 * print with their Japanese labels, --json prints the coordinator's view unchanged, and an
 * unknown case exits 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coordinator/model/cases.h"
#include "coordinator/model/referrals.h"
#include "coordinator/model/timeline.h"
#include "coordinator/model/views.h"
#include "ctl.h"
#include "test_helpers.h"

#define DAY_MS (24ULL * 3600 * 1000)
/* 2026-11-23 12:00 in Japan (03:00 UTC). */
#define T0        1795402800000ULL
#define CASE_LATE "11111111-1111-4111-8111-111111111111"
#define CASE_OK   "22222222-2222-4222-8222-222222222222"
#define REF_LATE  "33333333-3333-4333-8333-333333333333"
#define REF_OK    "44444444-4444-4444-8444-444444444444"

static uint64_t s_now = T0;

static uint64_t
s_clock (void)
{
    return s_now;
}

/* A coordinator site with two cases: CASE_LATE (multi-agency, eldercare → disability, a
 * referral received 1 day late at T0 + 3 days) and CASE_OK (support, with a meeting, a plan
 * and a referral already accepted). */
typedef struct {
    char root[256];        /* temporary folder: the data directory */
    ctl_options_t options; /* what main.c would pass */
    char out[PATH_MAX];    /* where s_run puts stdout */
} s_site_t;

static void
s_case (tsg_txn_t *txn, tsg_hub_case_t *c, const char *id, tsg_case_state_t state,
        const char *const agencies[], const char *const tags[])
{
    memset (c, 0, sizeof *c);
    snprintf (c->id, sizeof c->id, "%s", id);
    c->state = state;
    c->version = 1;
    c->created_at_ms = T0;
    c->updated_at_ms = T0;
    snprintf (c->opened_by, sizeof c->opened_by, "%s", agencies[0]);
    for (size_t i = 0; agencies[i]; i++)
        tsg_hub_case_add_agency (c, agencies[i]);
    for (size_t i = 0; tags[i]; i++)
        tsg_hub_case_add_tag (c, tags[i]);
    (void) txn;
}

static void
s_referral (tsg_txn_t *txn, tsg_hub_case_t *c, const char *id, const char *to,
            tsg_ref_state_t state)
{
    tsg_hub_referral_t ref;
    memset (&ref, 0, sizeof ref);
    snprintf (ref.id, sizeof ref.id, "%s", id);
    snprintf (ref.case_id, sizeof ref.case_id, "%s", c->id);
    snprintf (ref.sender, sizeof ref.sender, "%s", c->agencies[0]);
    snprintf (ref.recipient, sizeof ref.recipient, "%s", to);
    snprintf (ref.recipient_type, sizeof ref.recipient_type, "disability");
    ref.state = state;
    ref.version = state == TSG_REF_REQUESTED ? 1 : 3;
    ref.created_at_ms = T0;
    ref.updated_at_ms = T0;
    tsg_due_dates (T0, 1, 14, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, &ref.receive_due_ms,
                   &ref.response_due_ms);
    if (state != TSG_REF_REQUESTED)
        ref.received_at_ms = ref.accepted_at_ms = T0 + 3600000;
    tsg_hub_referral_put (txn, NULL, &ref);

    tsg_hub_event_t ev;
    memset (&ev, 0, sizeof ev);
    ev.at_ms = T0;
    ev.version = c->version;
    ev.type = TSG_HUB_EV_REFERRAL;
    snprintf (ev.by, sizeof ev.by, "%s", c->agencies[0]);
    snprintf (ev.agency, sizeof ev.agency, "%s", to);
    snprintf (ev.referral_id, sizeof ev.referral_id, "%s", id);
    tsg_hub_timeline_append (txn, c, &ev, NULL);
}

static void
s_site_new (s_site_t *site)
{
    memset (site, 0, sizeof *site);
    test_tmpdir (site->root, sizeof site->root, "ctl-views");
    site->options.data_dir = site->root;
    assert_int_equal (cmd_init (&site->options, 1, (char *[]){ (char *) "init", NULL }),
                      CTL_EXIT_OK);
    snprintf (site->out, sizeof site->out, "%s/stdout.txt", site->root);

    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/coordinator.conf", site->root);
    ctl_site_t *ctl_site = ctl_site_load (path);
    tsg_store_t *store = NULL;
    assert_int_equal (ctl_site_store (ctl_site, &store), TSG_OK);
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);

    static const char *const late_agencies[] = { "eldercare-chuo", "disability-minami", NULL };
    static const char *const late_tags[] = { "8050", "ひきこもり", NULL };
    tsg_hub_case_t *c = malloc (sizeof *c);
    s_case (&txn, c, CASE_LATE, TSG_CASE_MULTI_AGENCY, late_agencies, late_tags);
    s_referral (&txn, c, REF_LATE, "disability-minami", TSG_REF_REQUESTED);
    tsg_hub_case_put (&txn, NULL, c);

    static const char *const ok_agencies[] = { "poverty-kita", "disability-minami", NULL };
    static const char *const ok_tags[] = { "生活困窮", NULL };
    s_case (&txn, c, CASE_OK, TSG_CASE_SUPPORT, ok_agencies, ok_tags);
    s_referral (&txn, c, REF_OK, "disability-minami", TSG_REF_ACCEPTED);
    Tsunagu__V1__CaseEvent detail = TSUNAGU__V1__CASE_EVENT__INIT;
    Tsunagu__V1__Meeting meeting = TSUNAGU__V1__MEETING__INIT;
    char *attendees[] = { (char *) "poverty-kita", (char *) "disability-minami" };
    detail.event_id = (char *) "55555555-5555-4555-8555-555555555555";
    detail.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING;
    meeting.kind = TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN;
    meeting.held_on = (char *) "2026-11-24";
    meeting.decision = (char *) "plan-adopted";
    meeting.n_attendees = 2;
    meeting.attendees = attendees;
    detail.meeting = &meeting;
    tsg_hub_event_t ev;
    memset (&ev, 0, sizeof ev);
    ev.at_ms = T0 + DAY_MS;
    ev.version = ++c->version;
    ev.type = TSG_HUB_EV_MEETING;
    snprintf (ev.by, sizeof ev.by, "poverty-kita");
    tsg_hub_timeline_append (&txn, c, &ev, &detail);
    c->roster_kind = TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN;
    c->n_roster = 2;
    snprintf (c->roster[0], sizeof c->roster[0], "poverty-kita");
    snprintf (c->roster[1], sizeof c->roster[1], "disability-minami");
    c->n_roles = 1;
    snprintf (c->roles[0].agency, sizeof c->roles[0].agency, "poverty-kita");
    snprintf (c->roles[0].role, sizeof c->roles[0].role, "家計改善支援");
    snprintf (c->next_review_on, sizeof c->next_review_on, "2026-12-24");
    tsg_hub_case_put (&txn, NULL, c);
    free (c);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    ctl_site_destroy (&ctl_site);
}

/* Runs a subcommand with the NULL-terminated arguments, stdout into a file; returns the exit
 * code and what it printed (caller frees) in *printed. */
static int
s_run (s_site_t *site, char **printed, int (*cmd) (const ctl_options_t *, int, char **), ...)
{
    char *argv[32];
    int argc = 0;
    va_list args;
    va_start (args, cmd);
    const char *arg;
    while ((arg = va_arg (args, const char *)) != NULL && argc < 31)
        argv[argc++] = (char *) arg;
    va_end (args);
    argv[argc] = NULL;
    fflush (stdout);
    int saved = dup (STDOUT_FILENO);
    int fd = open (site->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true (saved >= 0 && fd >= 0);
    dup2 (fd, STDOUT_FILENO);
    close (fd);
    int rc = cmd (&site->options, argc, argv);
    fflush (stdout);
    dup2 (saved, STDOUT_FILENO);
    close (saved);
    size_t len;
    assert_int_equal (tsg_read_file (site->out, 1 << 22, printed, &len), TSG_OK);
    return rc;
}

static void
test_case_list (void **state)
{
    (void) state;
    s_site_t site;
    s_site_new (&site);
    char *out = NULL;

    /* Before the receive due date nothing is overdue. */
    s_now = T0 + 3600000;
    assert_int_equal (s_run (&site, &out, cmd_case, "case", "list", NULL), CTL_EXIT_OK);
    assert_non_null (strstr (out, CASE_LATE));
    assert_non_null (strstr (out, CASE_OK));
    assert_non_null (strstr (out, "多機関協働 (multi-agency)"));
    assert_non_null (strstr (out, "8050, ひきこもり"));
    assert_null (strstr (out, "⚠"));
    free (out);
    assert_int_equal (s_run (&site, &out, cmd_case, "case", "list", "--overdue", NULL),
                      CTL_EXIT_OK);
    assert_null (strstr (out, CASE_LATE));
    free (out);

    /* Three days on, the requested referral is late: its case gets ⚠ and --overdue lists it
     * alone. */
    s_now = T0 + 3 * DAY_MS;
    assert_int_equal (s_run (&site, &out, cmd_case, "case", "list", "--overdue", NULL),
                      CTL_EXIT_OK);
    assert_non_null (strstr (out, CASE_LATE));
    assert_null (strstr (out, CASE_OK));
    assert_non_null (strstr (out, "⚠"));
    free (out);

    /* Filters by state, agency and tag. */
    assert_int_equal (s_run (&site, &out, cmd_case, "case", "list", "--state", "support", NULL),
                      CTL_EXIT_OK);
    assert_non_null (strstr (out, CASE_OK));
    assert_null (strstr (out, CASE_LATE));
    free (out);
    assert_int_equal (
        s_run (&site, &out, cmd_case, "case", "list", "--agency", "eldercare-chuo", NULL),
        CTL_EXIT_OK);
    assert_non_null (strstr (out, CASE_LATE));
    assert_null (strstr (out, CASE_OK));
    free (out);
    assert_int_equal (s_run (&site, &out, cmd_case, "case", "list", "--tag", "生活困窮", NULL),
                      CTL_EXIT_OK);
    assert_non_null (strstr (out, CASE_OK));
    assert_null (strstr (out, CASE_LATE));
    free (out);
    assert_int_equal (s_run (&site, &out, cmd_case, "case", "list", "--state", "closed", NULL),
                      CTL_EXIT_OK);
    assert_null (strstr (out, CASE_OK));
    assert_non_null (strstr (out, "no cases"));
    free (out);

    /* --json is the coordinator's view, and pages with --limit and --after. */
    assert_int_equal (s_run (&site, &out, cmd_case, "case", "list", "--json", "--limit", "1", NULL),
                      CTL_EXIT_OK);
    json_t *view = json_loads (out, 0, NULL);
    free (out);
    assert_non_null (view);
    assert_int_equal (json_integer_value (json_object_get (view, "count")), 1);
    json_t *first = json_array_get (json_object_get (view, "cases"), 0);
    assert_string_equal (json_string_value (json_object_get (first, "case_id")), CASE_LATE);
    assert_true (json_is_true (json_object_get (first, "overdue")));
    assert_string_equal (json_string_value (json_object_get (view, "next_after")), CASE_LATE);
    json_decref (view);
    assert_int_equal (
        s_run (&site, &out, cmd_case, "case", "list", "--json", "--after", CASE_LATE, NULL),
        CTL_EXIT_OK);
    view = json_loads (out, 0, NULL);
    free (out);
    first = json_array_get (json_object_get (view, "cases"), 0);
    assert_string_equal (json_string_value (json_object_get (first, "case_id")), CASE_OK);
    json_decref (view);

    /* Bad filters are refused before anything is read. */
    assert_int_equal (s_run (&site, &out, cmd_case, "case", "list", "--state", "finished", NULL),
                      CTL_EXIT_FAIL);
    free (out);
    assert_int_equal (s_run (&site, &out, cmd_case, "case", "list", "--limit", "501", NULL),
                      CTL_EXIT_FAIL);
    free (out);
    assert_int_equal (s_run (&site, &out, cmd_case, "case", "list", "--tag", NULL), CTL_EXIT_USAGE);
    free (out);
    test_rmtree (site.root);
}

static void
test_case_show (void **state)
{
    (void) state;
    s_site_t site;
    s_site_new (&site);
    char *out = NULL;
    s_now = T0 + 3 * DAY_MS;

    assert_int_equal (s_run (&site, &out, cmd_case, "case", "show", CASE_OK, NULL), CTL_EXIT_OK);
    assert_non_null (strstr (out, CASE_OK));
    assert_non_null (strstr (out, "支援中 (support)"));
    assert_non_null (strstr (out, "支援会議 (shien): poverty-kita, disability-minami"));
    assert_non_null (strstr (out, "poverty-kita: 家計改善支援"));
    assert_non_null (strstr (out, "2026-12-24"));
    /* The timeline: when (Japan time), who, what. */
    assert_non_null (strstr (out, "2026-11-23 12:00"));
    assert_non_null (strstr (out, "紹介 (referral): 44444444 → disability-minami"));
    assert_non_null (strstr (out, "会議 (meeting): 支援会議 2026-11-24 出席 poverty-kita, "
                                  "disability-minami 決定 plan-adopted"));
    assert_null (strstr (out, "⚠"));
    free (out);

    assert_int_equal (s_run (&site, &out, cmd_case, "case", "show", CASE_LATE, NULL), CTL_EXIT_OK);
    assert_non_null (strstr (out, "⚠ 受付遅れ"));
    assert_non_null (strstr (out, "依頼中 (requested)"));
    free (out);

    /* --json prints what tsg_hub_view_case says. */
    assert_int_equal (s_run (&site, &out, cmd_case, "case", "show", CASE_OK, "--json", NULL),
                      CTL_EXIT_OK);
    json_t *view = json_loads (out, 0, NULL);
    free (out);
    assert_non_null (view);
    assert_string_equal (json_string_value (json_object_get (view, "state")), "support");
    assert_int_equal (json_array_size (json_object_get (view, "timeline")), 2);
    assert_int_equal (json_array_size (json_object_get (view, "referrals")), 1);
    json_decref (view);

    assert_int_equal (
        s_run (&site, &out, cmd_case, "case", "show", "99999999-9999-4999-8999-999999999999", NULL),
        CTL_EXIT_FAIL);
    free (out);
    assert_int_equal (s_run (&site, &out, cmd_case, "case", "show", "not-a-case", NULL),
                      CTL_EXIT_FAIL);
    free (out);
    assert_int_equal (s_run (&site, &out, cmd_case, "case", "show", NULL), CTL_EXIT_USAGE);
    free (out);
    test_rmtree (site.root);
}

static void
test_overdue_and_stats (void **state)
{
    (void) state;
    s_site_t site;
    s_site_new (&site);
    char *out = NULL;

    s_now = T0 + 3 * DAY_MS;
    assert_int_equal (s_run (&site, &out, cmd_referral, "referral", "overdue", NULL), CTL_EXIT_OK);
    assert_non_null (strstr (out, "overdue for received): 1 件"));
    assert_non_null (strstr (out, "overdue for accepted): 0 件"));
    assert_non_null (strstr (out, REF_LATE));
    assert_null (strstr (out, REF_OK));
    free (out);
    assert_int_equal (s_run (&site, &out, cmd_referral, "referral", "overdue", "--kind", "received",
                             "--json", NULL),
                      CTL_EXIT_OK);
    json_t *view = json_loads (out, 0, NULL);
    free (out);
    assert_string_equal (json_string_value (json_object_get (view, "overdue")), "received");
    assert_int_equal (json_integer_value (json_object_get (view, "count")), 1);
    json_decref (view);
    /* Both lists in one object without --kind. */
    assert_int_equal (s_run (&site, &out, cmd_referral, "referral", "overdue", "--json", NULL),
                      CTL_EXIT_OK);
    view = json_loads (out, 0, NULL);
    free (out);
    assert_non_null (json_object_get (view, "received"));
    assert_non_null (json_object_get (view, "accepted"));
    json_decref (view);
    assert_int_equal (
        s_run (&site, &out, cmd_referral, "referral", "overdue", "--kind", "late", NULL),
        CTL_EXIT_FAIL);
    free (out);

    /* A fortnight on, it is late for acceptance as well. */
    s_now = T0 + 20 * DAY_MS;
    assert_int_equal (
        s_run (&site, &out, cmd_referral, "referral", "overdue", "--kind", "accepted", NULL),
        CTL_EXIT_OK);
    assert_non_null (strstr (out, "overdue for accepted): 1 件"));
    assert_non_null (strstr (out, REF_LATE));
    free (out);

    assert_int_equal (s_run (&site, &out, cmd_stats, "stats", NULL), CTL_EXIT_OK);
    assert_non_null (strstr (out, "受付 1 件 / 受理 1 件"));
    free (out);
    assert_int_equal (s_run (&site, &out, cmd_stats, "stats", "--json", NULL), CTL_EXIT_OK);
    view = json_loads (out, 0, NULL);
    free (out);
    assert_non_null (json_object_get (view, "cases"));
    assert_int_equal (
        json_integer_value (json_object_get (
            json_object_get (json_object_get (view, "referrals"), "overdue"), "accepted")),
        1);
    json_decref (view);
    test_rmtree (site.root);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    log_init ("test_ctl_views", false);
    tsg_clock_set (s_clock);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_case_list),
        cmocka_unit_test (test_case_show),
        cmocka_unit_test (test_overdue_and_stats),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
