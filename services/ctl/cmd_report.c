/* cmd_report.c — `tsunaguctl stats`, `referral overdue` and `ping`: the indicators and the
 * overdue lists read from the coordinator's store, and whether the coordinator answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/views.h"
#include "ctl.h"

/* Parses the common [--json] [--help] of a command without other options; returns -1 to go
 * on, else an exit code. */
static int
s_json_only (int argc, char **argv, const char *usage, bool *json)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--json") == 0)
            *json = true;
        else if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
            fputs (usage, stdout);
            return CTL_EXIT_OK;
        }
        else {
            ctl_error ("%s: unexpected argument \"%s\"", argv[0], argv[i]);
            fputs (usage, stderr);
            return CTL_EXIT_USAGE;
        }
    }
    return -1;
}

/* Opens the site's store and hands a read transaction to view; returns its JSON (NULL after
 * printing why not). */
static json_t *
s_read_view (const ctl_options_t *options, json_t *(*view) (tsg_txn_t *txn, void *arg), void *arg,
             const char *what)
{
    tsg_store_t *store = NULL;
    ctl_site_t *site = ctl_site_open (options, &store);
    if (!site)
        return NULL;
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    json_t *json = txn.rc == TSG_OK ? view (&txn, arg) : NULL;
    int rc = txn.rc;
    tsg_txn_abort (&txn);
    ctl_site_destroy (&site);
    if (!json)
        ctl_error ("cannot read %s: %s", what, tsg_strerror (rc != TSG_OK ? rc : TSG_ERR_NOMEM));
    return json;
}

/* ---- stats ------------------------------------------------------------------------------ */

static const char s_stats_usage[] =
    "usage: tsunaguctl [-d DATA_DIR] stats [--json]\n"
    "The indicators, from counters the coordinator keeps (nothing is scanned): average time\n"
    "from a referral to received and accepted; from a case's first referral to received,\n"
    "accepted, plan and closure; agencies per case; reopen rate; referrals and cases by\n"
    "state; referrals overdue now.  --json prints them as GET /v1/stats does.\n";

static json_t *
s_stats_view (tsg_txn_t *txn, void *arg)
{
    (void) arg;
    return tsg_hub_view_stats (txn, tsg_now_ms ());
}

/* Prints "label  value" for the stats. */
static void
s_line (const char *label, const char *value)
{
    size_t width = ctl_display_width (label);
    printf ("  %s%*s%s\n", label, (int) (width < 20 ? 20 - width : 1), "", value);
}

/* Prints an average {count, avg_ms} as a line. */
static void
s_average_line (const char *label, const json_t *average)
{
    char duration[32], text[96];
    ctl_text_duration (json_object_get (average, "avg_ms"), duration);
    snprintf (text, sizeof text, "%s (%lld 件)", duration,
              (long long) json_integer_value (json_object_get (average, "count")));
    s_line (label, text);
}

/* Prints the non-zero counts of a by_state object as one line. */
static void
s_by_state_line (const json_t *by_state)
{
    char text[1024] = "";
    size_t used = 0;
    const char *name;
    json_t *entry;
    json_object_foreach ((json_t *) by_state, name, entry)
    {
        json_int_t count = json_integer_value (json_object_get (entry, "count"));
        if (count > 0 && used < sizeof text)
            used +=
                (size_t) snprintf (text + used, sizeof text - used, "%s%s %lld", used ? ", " : "",
                                   ctl_text_get (entry, "label", name), (long long) count);
    }
    s_line ("状態別", used ? text : "-");
}

static void
s_stats_print (json_t *stats)
{
    char when[32], text[128];
    ctl_time_jst (ctl_text_get (stats, "as_of", NULL), when);
    printf ("指標 (%s JST 現在)\n\n紹介 (referrals)\n", when);
    json_t *r = json_object_get (stats, "referrals");
    snprintf (text, sizeof text, "%lld",
              (long long) json_integer_value (json_object_get (r, "created")));
    s_line ("作成", text);
    json_t *overdue = json_object_get (r, "overdue");
    snprintf (text, sizeof text, "受付 %lld 件 / 受理 %lld 件",
              (long long) json_integer_value (json_object_get (overdue, "received")),
              (long long) json_integer_value (json_object_get (overdue, "accepted")));
    s_line ("期限超過", text);
    s_average_line ("受付までの平均", json_object_get (r, "to_received"));
    s_average_line ("受理までの平均", json_object_get (r, "to_accepted"));
    s_by_state_line (json_object_get (r, "by_state"));

    printf ("\nケース (cases)\n");
    json_t *c = json_object_get (stats, "cases");
    snprintf (text, sizeof text, "%lld",
              (long long) json_integer_value (json_object_get (c, "opened")));
    s_line ("開始", text);
    snprintf (text, sizeof text, "%lld (のべ)",
              (long long) json_integer_value (json_object_get (c, "closed")));
    s_line ("終結", text);
    json_t *rate = json_object_get (c, "reopen_rate");
    if (json_is_number (rate))
        snprintf (text, sizeof text, "%lld (再開率 %.1f%%)",
                  (long long) json_integer_value (json_object_get (c, "reopened")),
                  json_number_value (rate) * 100.0);
    else
        snprintf (text, sizeof text, "%lld (再開率 -)",
                  (long long) json_integer_value (json_object_get (c, "reopened")));
    s_line ("再開", text);
    snprintf (text, sizeof text, "%lld",
              (long long) json_integer_value (json_object_get (c, "multi_agency")));
    s_line ("多機関協働になった", text);
    json_t *per_case = json_object_get (c, "agencies_per_case");
    if (json_is_number (per_case))
        snprintf (text, sizeof text, "%.2f", json_number_value (per_case));
    else
        snprintf (text, sizeof text, "-");
    s_line ("機関数/ケース", text);
    snprintf (text, sizeof text, "%lld",
              (long long) json_integer_value (json_object_get (c, "events")));
    s_line ("ケースイベント", text);
    s_average_line ("受付までの平均", json_object_get (c, "to_received"));
    s_average_line ("受理までの平均", json_object_get (c, "to_accepted"));
    s_average_line ("プランまでの平均", json_object_get (c, "to_plan"));
    s_average_line ("終結までの平均", json_object_get (c, "to_closure"));
    s_by_state_line (json_object_get (c, "by_state"));
}

int
cmd_stats (const ctl_options_t *options, int argc, char **argv)
{
    bool json = false;
    int exit_code = s_json_only (argc, argv, s_stats_usage, &json);
    if (exit_code >= 0)
        return exit_code;
    json_t *stats = s_read_view (options, s_stats_view, NULL, "the indicators");
    if (!stats)
        return CTL_EXIT_FAIL;
    if (json)
        return ctl_print_json (stats) ? CTL_EXIT_OK : CTL_EXIT_FAIL;
    s_stats_print (stats);
    json_decref (stats);
    return CTL_EXIT_OK;
}

/* ---- referral overdue --------------------------------------------------------------------- */

static void
s_referral_usage (FILE *out)
{
    fprintf (out,
             "usage: tsunaguctl [-d DATA_DIR] referral overdue [--kind received|accepted]\n"
             "                  [--limit N] [--json]\n"
             "The referrals past their due date, earliest due first, read from the coordinator's\n"
             "store: overdue for received (still requested after the receive due date) and for\n"
             "accepted (still requested or received after the response due date).\n"
             "  --kind   only one of the two lists (default: both)\n"
             "  --limit  at most N referrals per list (default %d, at most %d)\n"
             "  --json   the view as GET /v1/referrals?overdue=KIND returns it; without --kind,\n"
             "           {\"received\": view, \"accepted\": view}\n",
             TSG_HUB_PAGE_DEFAULT, TSG_HUB_PAGE_MAX);
}

/* What the overdue views read. */
typedef struct {
    bool kinds[3];   /* which tsg_hub_due_kind_t to list */
    size_t limit;    /* per list */
    uint64_t now_ms; /* the clock */
} s_overdue_args_t;

static json_t *
s_overdue_view (tsg_txn_t *txn, void *arg)
{
    s_overdue_args_t *args = arg;
    json_t *both = json_object ();
    for (int kind = TSG_HUB_DUE_RECEIVED; both && kind <= TSG_HUB_DUE_ACCEPTED; kind++) {
        if (!args->kinds[kind])
            continue;
        json_t *view =
            tsg_hub_view_overdue (txn, (tsg_hub_due_kind_t) kind, args->now_ms, args->limit);
        if (!view || json_object_set_new (both, tsg_hub_due_kind_name (kind), view) != 0) {
            json_decref (both);
            return NULL;
        }
    }
    return both;
}

/* Prints one overdue view as a table. */
static void
s_overdue_print (json_t *view, tsg_hub_due_kind_t kind)
{
    char when[32];
    ctl_time_jst (ctl_text_get (view, "as_of", NULL), when);
    json_t *referrals = json_object_get (view, "referrals");
    json_int_t count = json_integer_value (json_object_get (view, "count"));
    printf ("%s (overdue for %s): %lld 件 (%s JST 現在)\n",
            kind == TSG_HUB_DUE_RECEIVED ? "受付期限を過ぎた紹介" : "回答期限を過ぎた紹介",
            tsg_hub_due_kind_name (kind), (long long) count, when);
    if (json_array_size (referrals) == 0)
        return;
    static const char *const header[] = { "",     "紹介ID",   "ケースID", "紹介元 → 紹介先",
                                          "状態", "期限(JST)" };
    ctl_table_t *table = ctl_table_new (6, header);
    for (size_t i = 0; table && i < json_array_size (referrals); i++) {
        json_t *r = json_array_get (referrals, i);
        char parties[80], state[96], due[32];
        snprintf (parties, sizeof parties, "%s → %s", ctl_text_get (r, "from", "-"),
                  ctl_text_get (r, "to", "-"));
        ctl_text_state (r, state, sizeof state);
        ctl_time_jst (
            ctl_text_get (r, kind == TSG_HUB_DUE_RECEIVED ? "receive_due_at" : "response_due_at",
                          NULL),
            due);
        const char *cells[] = { "⚠",
                                ctl_text_get (r, "referral_id", "-"),
                                ctl_text_get (r, "case_id", "-"),
                                parties,
                                state,
                                due };
        ctl_table_add (table, cells);
    }
    if (table)
        ctl_table_print (table, stdout, 2);
    ctl_table_destroy (&table);
    if ((json_int_t) json_array_size (referrals) < count)
        printf ("  (最初の %zu 件; --limit で増やせます)\n", json_array_size (referrals));
}

int
cmd_referral (const ctl_options_t *options, int argc, char **argv)
{
    if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
        || strcmp (argv[1], "help") == 0) {
        s_referral_usage (argc < 2 ? stderr : stdout);
        return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
    }
    if (strcmp (argv[1], "overdue") != 0) {
        ctl_error ("unknown referral subcommand \"%s\"", argv[1]);
        s_referral_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    s_overdue_args_t args = { { false, true, true }, TSG_HUB_PAGE_DEFAULT, 0 };
    const char *kind_name = NULL;
    bool json = false;
    for (int i = 2; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp (argv[i], "--json") == 0)
            json = true;
        else if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
            s_referral_usage (stdout);
            return CTL_EXIT_OK;
        }
        else if (strcmp (argv[i], "--kind") == 0 && value) {
            tsg_hub_due_kind_t kind;
            if (!tsg_hub_due_kind_parse (value, &kind)) {
                ctl_error ("--kind is received or accepted, not \"%s\"", value);
                return CTL_EXIT_FAIL;
            }
            kind_name = value;
            args.kinds[TSG_HUB_DUE_RECEIVED] = kind == TSG_HUB_DUE_RECEIVED;
            args.kinds[TSG_HUB_DUE_ACCEPTED] = kind == TSG_HUB_DUE_ACCEPTED;
            i++;
        }
        else if (strcmp (argv[i], "--limit") == 0 && value) {
            char *end = NULL;
            long limit = strtol (value, &end, 10);
            if (end == value || *end != '\0' || limit < 1 || limit > TSG_HUB_PAGE_MAX) {
                ctl_error ("--limit is a number from 1 to %d, not \"%s\"", TSG_HUB_PAGE_MAX, value);
                return CTL_EXIT_FAIL;
            }
            args.limit = (size_t) limit;
            i++;
        }
        else {
            ctl_error ("referral overdue: unexpected argument or missing value \"%s\"", argv[i]);
            s_referral_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    args.now_ms = tsg_now_ms ();
    json_t *both = s_read_view (options, s_overdue_view, &args, "the overdue referrals");
    if (!both)
        return CTL_EXIT_FAIL;
    if (json) {
        json_t *out = kind_name ? json_incref (json_object_get (both, kind_name)) : both;
        if (kind_name)
            json_decref (both);
        return ctl_print_json (out) ? CTL_EXIT_OK : CTL_EXIT_FAIL;
    }
    bool first = true;
    for (int kind = TSG_HUB_DUE_RECEIVED; kind <= TSG_HUB_DUE_ACCEPTED; kind++) {
        json_t *view = json_object_get (both, tsg_hub_due_kind_name (kind));
        if (!view)
            continue;
        if (!first)
            putchar ('\n');
        s_overdue_print (view, (tsg_hub_due_kind_t) kind);
        first = false;
    }
    json_decref (both);
    return CTL_EXIT_OK;
}

/* ---- ping ---------------------------------------------------------------------------------- */

static const char s_ping_usage[] =
    "usage: tsunaguctl [-d DATA_DIR] ping [--json]\n"
    "Asks the running coordinator over its control socket (DATA_DIR/control.sock) whether it\n"
    "answers; exit 0 when it does, 1 when it does not within 5 seconds.\n";

int
cmd_ping (const ctl_options_t *options, int argc, char **argv)
{
    bool json = false;
    int exit_code = s_json_only (argc, argv, s_ping_usage, &json);
    if (exit_code >= 0)
        return exit_code;
    ctl_site_t *site = ctl_site_open (options, NULL);
    if (!site)
        return CTL_EXIT_FAIL;
    json_t *request = json_pack ("{s:s}", "command", "ping");
    json_t *reply = NULL;
    char err[4400] = "";
    int rc = request ? ctl_control_call (ctl_site_data_dir (site), request, CTL_CONTROL_TIMEOUT_MS,
                                         &reply, err, sizeof err)
                     : TSG_ERR_NOMEM;
    json_decref (request);
    ctl_site_destroy (&site);
    if (rc != TSG_OK) {
        ctl_error ("%s", *err ? err : tsg_strerror (rc));
        return CTL_EXIT_FAIL;
    }
    bool ok = json_is_true (json_object_get (reply, "ok"));
    if (json)
        return ctl_print_json (reply) && ok ? CTL_EXIT_OK : CTL_EXIT_FAIL;
    if (ok)
        printf ("the coordinator answers: version %s, registry serial %lld, %lld agencies "
                "connected\n",
                ctl_text_get (reply, "version", "?"),
                (long long) json_integer_value (json_object_get (reply, "registry_serial")),
                (long long) json_integer_value (json_object_get (reply, "sessions")));
    else
        ctl_error ("the coordinator answered with an error: %s: %s",
                   ctl_text_get (reply, "error", "error"), ctl_text_get (reply, "message", ""));
    json_decref (reply);
    return ok ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}
