/* cmd_case.c — `tsunaguctl case list|show|event`: the coordinator's cases read straight from
 * its store, and case events by the coordinator's staff sent to the running coordinator. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/codec.h"
#include "coordinator/model/views.h"
#include "tsunagu/tsg_agency_types.h"
#include "ctl.h"

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: tsunaguctl [-d DATA_DIR] case list [--state S] [--agency A] [--tag T]\n"
             "                  [--type TYPE] [--overdue] [--withheld] [--stuck DAYS]\n"
             "                  [--candidate] [--handed-over] [--sort ORDER] [--limit N]\n"
             "                  [--after CASE_ID | --cursor C] [--json]\n"
             "       tsunaguctl [-d DATA_DIR] case show CASE_ID [--json]\n"
             "       tsunaguctl [-d DATA_DIR] case event CASE_ID --type TYPE --base-version N "
             "[...]\n"
             "list and show read the coordinator's store (they work while it is stopped too);\n"
             "event asks the running coordinator (tsunaguctl case event --help).\n"
             "  --state     open, multi-agency, assessment, planning, conference, support,\n"
             "              monitoring, watch, closed\n"
             "  --agency    only cases this agency is on\n"
             "  --tag       only cases with this tag (8050, 介護, ...)\n"
             "  --type      only cases with an agency of this type (eldercare, disability,\n"
             "              child, poverty)\n"
             "  --overdue   only cases with a referral past its due date (⚠)\n"
             "  --withheld  only cases with a referral withheld (its consent ended first)\n"
             "  --stuck     only cases not closed and unchanged for DAYS days\n"
             "  --candidate only 会議候補: %d or more agencies, unchanged %d days, or reopened\n"
             "  --handed-over only 担当交代あり: an agency's staff on the case changed since the\n"
             "              case's last meeting or plan event (its last review)\n"
             "  --sort      id (default), -updated (latest change first), updated (longest\n"
             "              without change first), -created (newest first)\n"
             "  --limit     at most N cases (default %d, at most %d)\n"
             "  --after     the page after this case id (sort id)\n"
             "  --cursor    the page list printed as next (any sort)\n"
             "  --json      the coordinator's view as JSON, as GET /v1/cases returns it\n",
             TSG_HUB_CANDIDATE_AGENCIES, TSG_HUB_STUCK_DAYS, TSG_HUB_PAGE_DEFAULT,
             TSG_HUB_PAGE_MAX);
}

/* ---- case list ------------------------------------------------------------------------ */

/* The options of `case list`. */
typedef struct {
    tsg_hub_case_filter_t filter; /* what to list */
    bool json;                    /* --json */
} s_list_args_t;

/* A whole number in 1..max, or false. */
static bool
s_number (const char *text, long max, long *out)
{
    char *end = NULL;
    long value = strtol (text, &end, 10);
    if (end == text || *end != '\0' || value < 1 || value > max)
        return false;
    *out = value;
    return true;
}

/* One `case list` option that takes a value; -1 when fine, else an exit code. */
static int
s_list_value (const char *arg, const char *value, s_list_args_t *args)
{
    tsg_hub_case_filter_t *f = &args->filter;
    tsg_case_state_t state;
    long number = 0;
    if (strcmp (arg, "--state") == 0 && !tsg_case_state_parse (value, &state))
        ctl_error ("\"%s\" is not a case state: open, multi-agency, assessment, "
                   "planning, conference, support, monitoring, watch, closed",
                   value);
    else if (strcmp (arg, "--agency") == 0 && !tsg_agency_id_valid (value))
        ctl_error ("\"%s\" is not an agency id", value);
    else if (strcmp (arg, "--tag") == 0 && !tsg_text_ok (value, TSG_TAG_LEN_MAX))
        ctl_error ("--tag is 1 to %d bytes of text", TSG_TAG_LEN_MAX);
    else if (strcmp (arg, "--type") == 0 && !tsg_agency_policy_find (value))
        ctl_error ("\"%s\" is not an agency type: eldercare, disability, child, poverty", value);
    else if (strcmp (arg, "--limit") == 0 && !s_number (value, TSG_HUB_PAGE_MAX, &number))
        ctl_error ("--limit is a number from 1 to %d, not \"%s\"", TSG_HUB_PAGE_MAX, value);
    else if (strcmp (arg, "--stuck") == 0 && !s_number (value, 36500, &number))
        ctl_error ("--stuck is a number of days from 1 to 36500, not \"%s\"", value);
    else if (strcmp (arg, "--sort") == 0 && !tsg_hub_case_sort_parse (value, &f->sort))
        ctl_error ("--sort is id, -updated, updated or -created, not \"%s\"", value);
    else if (strcmp (arg, "--after") == 0 && !tsg_uuid_valid (value))
        ctl_error ("--after is a case id (a lowercase UUID), not \"%s\"", value);
    else {
        if (strcmp (arg, "--state") == 0)
            f->state = value;
        else if (strcmp (arg, "--agency") == 0)
            f->agency = value;
        else if (strcmp (arg, "--tag") == 0)
            f->tag = value;
        else if (strcmp (arg, "--type") == 0)
            f->agency_type = value;
        else if (strcmp (arg, "--limit") == 0)
            f->limit = (size_t) number;
        else if (strcmp (arg, "--stuck") == 0)
            f->stuck_days = (unsigned) number;
        else if (strcmp (arg, "--after") == 0)
            f->after = value;
        else if (strcmp (arg, "--cursor") == 0)
            f->cursor = value;
        return -1;
    }
    return CTL_EXIT_FAIL;
}

/* Parses `case list` options; returns -1 to go on, else an exit code. */
static int
s_list_parse (int argc, char **argv, s_list_args_t *args)
{
    static const char *const valued[] = { "--state", "--agency", "--tag",  "--limit", "--after",
                                          "--type",  "--stuck",  "--sort", "--cursor" };
    args->filter.limit = TSG_HUB_PAGE_DEFAULT;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes_value = false;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
            takes_value |= strcmp (arg, valued[k]) == 0;
        if (takes_value && !value) {
            ctl_error ("case list: %s needs a value", arg);
            return CTL_EXIT_USAGE;
        }
        if (takes_value) {
            int code = s_list_value (arg, value, args);
            if (code >= 0)
                return code;
            i++;
        }
        else if (strcmp (arg, "--json") == 0)
            args->json = true;
        else if (strcmp (arg, "--overdue") == 0)
            args->filter.overdue = true;
        else if (strcmp (arg, "--withheld") == 0)
            args->filter.withheld = true;
        else if (strcmp (arg, "--candidate") == 0)
            args->filter.candidate = true;
        else if (strcmp (arg, "--handed-over") == 0)
            args->filter.handed_over = true;
        else if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0) {
            s_usage (stdout);
            return CTL_EXIT_OK;
        }
        else {
            ctl_error ("case list: unexpected argument \"%s\"", arg);
            s_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    const tsg_hub_case_filter_t *f = &args->filter;
    const char *why = NULL;
    if (f->after && f->sort != TSG_HUB_CASE_SORT_ID) {
        ctl_error ("--after pages the listing by id; with --sort use --cursor");
        return CTL_EXIT_FAIL;
    }
    if (f->cursor && (f->after || !tsg_hub_case_cursor_ok (f->cursor, f->sort, &why))) {
        ctl_error ("--cursor: %s", f->after ? "give --after or --cursor, not both" : why);
        return CTL_EXIT_FAIL;
    }
    return -1;
}

/* The marks of a case in a list: 保留 n (withheld), 交代 (担当交代 since the last review),
 * 候補 (会議候補, why), 停滞 n日. */
static void
s_marks (json_t *c, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    json_int_t withheld = json_integer_value (json_object_get (c, "withheld"));
    if (withheld > 0)
        used += (size_t) snprintf (out + used, size - used, "保留%lld ", (long long) withheld);
    if (used < size && json_is_true (json_object_get (c, "handed_over")))
        used += (size_t) snprintf (out + used, size - used, "交代 ");
    if (used < size && json_is_true (json_object_get (c, "candidate"))) {
        char *why = ctl_text_join (json_object_get (c, "candidate_why"), ",");
        used += (size_t) snprintf (out + used, size - used, "候補(%s) ", why ? why : "");
        free (why);
    }
    json_int_t stuck = json_integer_value (json_object_get (c, "stuck_days"));
    if (used < size && stuck >= TSG_HUB_STUCK_DAYS
        && strcmp (ctl_text_get (c, "state", ""), "closed") != 0)
        snprintf (out + used, size - used, "停滞%lld日", (long long) stuck);
}

/* Prints the list view as a table. */
static void
s_list_print (json_t *view, const s_list_args_t *args)
{
    json_t *cases = json_object_get (view, "cases");
    size_t overdue = 0;
    for (size_t i = 0; i < json_array_size (cases); i++)
        overdue += json_is_true (json_object_get (json_array_get (cases, i), "overdue"));
    if (json_array_size (cases) == 0) {
        printf ("該当するケースはありません (no cases%s)\n",
                args->filter.state || args->filter.agency || args->filter.tag
                        || args->filter.overdue || args->filter.after || args->filter.agency_type
                        || args->filter.withheld || args->filter.stuck_days
                        || args->filter.candidate || args->filter.cursor || args->filter.handed_over
                    ? " match"
                    : "");
        return;
    }
    static const char *const header[] = { "",     "ケースID",  "状態",   "版", "関係機関",
                                          "タグ", "更新(JST)", "見直し", "印" };
    /* The ⚠ column only when some case needs it. */
    size_t skip = overdue ? 0 : 1;
    ctl_table_t *table = ctl_table_new (9 - skip, header + skip);
    for (size_t i = 0; table && i < json_array_size (cases); i++) {
        json_t *c = json_array_get (cases, i);
        char state[96], version[24], updated[32], *agencies = NULL, *tags = NULL;
        ctl_text_state (c, state, sizeof state);
        snprintf (version, sizeof version, "%lld",
                  (long long) json_integer_value (json_object_get (c, "version")));
        ctl_time_jst (json_string_value (json_object_get (c, "updated_at")), updated);
        agencies = ctl_text_join (json_object_get (c, "agencies"), ", ");
        tags = ctl_text_join (json_object_get (c, "tags"), ", ");
        const char *review = json_string_value (json_object_get (c, "next_review_on"));
        char marks[96], review_text[40];
        s_marks (c, marks, sizeof marks);
        snprintf (review_text, sizeof review_text, "%s%s", review ? review : "",
                  json_is_true (json_object_get (c, "review_overdue")) ? " 期限切れ" : "");
        const char *cells[] = {
            json_is_true (json_object_get (c, "overdue")) ? "⚠" : "",
            json_string_value (json_object_get (c, "case_id")),
            state,
            version,
            agencies,
            tags,
            updated,
            review_text,
            marks,
        };
        ctl_table_add (table, cells + skip);
        free (agencies);
        free (tags);
    }
    if (table)
        ctl_table_print (table, stdout, 0);
    ctl_table_destroy (&table);
    printf ("%zu 件", json_array_size (cases));
    if (overdue)
        printf ("（⚠ 期限超過の紹介があるケース %zu 件）", overdue);
    putchar ('\n');
    const char *next = json_string_value (json_object_get (view, "next_after"));
    const char *cursor = json_string_value (json_object_get (view, "next_cursor"));
    if (json_is_true (json_object_get (view, "partial")))
        printf ("ここまでで探索の上限に達しました (partial: %lld entries examined)\n",
                (long long) json_integer_value (json_object_get (view, "examined")));
    if (next && args->filter.sort == TSG_HUB_CASE_SORT_ID && !args->filter.cursor)
        printf ("続きがあります: --after %s\n", next);
    else if (cursor)
        printf ("続きがあります: --cursor %s\n", cursor);
}

/* `case list`. */
static int
s_list (const ctl_options_t *options, int argc, char **argv)
{
    s_list_args_t args;
    memset (&args, 0, sizeof args);
    int exit_code = s_list_parse (argc, argv, &args);
    if (exit_code >= 0)
        return exit_code;
    tsg_store_t *store = NULL;
    ctl_site_t *site = ctl_site_open (options, &store);
    if (!site)
        return CTL_EXIT_FAIL;
    args.filter.now_ms = tsg_now_ms ();
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    json_t *view = txn.rc == TSG_OK ? tsg_hub_view_cases (&txn, &args.filter) : NULL;
    int rc = txn.rc;
    tsg_txn_abort (&txn);
    ctl_site_destroy (&site);
    if (!view) {
        ctl_error ("cannot read the cases: %s", tsg_strerror (rc != TSG_OK ? rc : TSG_ERR_NOMEM));
        return CTL_EXIT_FAIL;
    }
    if (args.json)
        return ctl_print_json (view) ? CTL_EXIT_OK : CTL_EXIT_FAIL;
    s_list_print (view, &args);
    json_decref (view);
    return CTL_EXIT_OK;
}

/* ---- case show ------------------------------------------------------------------------ */

/* Prints "label  value" for the record part of case show. */
static void
s_field (const char *label, const char *value)
{
    size_t width = ctl_display_width (label);
    printf ("  %s%*s%s\n", label, (int) (width < 14 ? 14 - width : 1), "", value);
}

/* Prints the record of a case view. */
static void
s_show_record (json_t *c)
{
    char text[1024], when[32];
    bool overdue = json_is_true (json_object_get (c, "overdue"));
    printf ("ケース %s%s\n", json_string_value (json_object_get (c, "case_id")),
            overdue ? "  ⚠ 期限超過の紹介あり (overdue)" : "");
    char state[96];
    ctl_text_state (c, state, sizeof state);
    snprintf (text, sizeof text, "%s  版 %lld", state,
              (long long) json_integer_value (json_object_get (c, "version")));
    s_field ("状態", text);
    char *list = ctl_text_join (json_object_get (c, "agencies"), ", ");
    s_field ("関係機関", list && *list ? list : "-");
    free (list);
    list = ctl_text_join (json_object_get (c, "tags"), ", ");
    s_field ("タグ", list && *list ? list : "-");
    free (list);
    ctl_time_jst (json_string_value (json_object_get (c, "created_at")), when);
    const char *by = json_string_value (json_object_get (c, "opened_by"));
    snprintf (text, sizeof text, "%s%s%s", when, by ? "  " : "", by ? by : "");
    s_field ("開始", text);
    ctl_time_jst (json_string_value (json_object_get (c, "updated_at")), when);
    s_field ("更新", when);
    json_t *roster = json_object_get (c, "roster");
    if (json_is_object (roster)) {
        const char *kind = json_string_value (json_object_get (roster, "kind"));
        list = ctl_text_join (json_object_get (roster, "attendees"), ", ");
        snprintf (text, sizeof text, "%s (%s): %s", ctl_text_meeting_kind (kind), kind ? kind : "-",
                  list ? list : "");
        free (list);
        s_field ("会議の出席", text);
    }
    json_t *plan = json_object_get (c, "plan");
    if (json_is_object (plan)) {
        json_t *roles = json_object_get (plan, "roles");
        for (size_t i = 0; i < json_array_size (roles); i++) {
            json_t *r = json_array_get (roles, i);
            snprintf (text, sizeof text, "%s: %s", ctl_text_get (r, "agency", "-"),
                      ctl_text_get (r, "role", "-"));
            s_field (i == 0 ? "プランの役割" : "", text);
        }
    }
    const char *review = json_string_value (json_object_get (c, "next_review_on"));
    if (review) {
        bool late = json_is_true (json_object_get (c, "review_overdue"));
        snprintf (text, sizeof text, "%s%s", review,
                  late ? "  ⚠ 見直し期限を過ぎています (review overdue)" : "");
        s_field ("次回見直し", text);
    }
    json_int_t withheld = json_integer_value (json_object_get (c, "withheld"));
    if (withheld > 0) {
        snprintf (text, sizeof text, "%lld 件 (同意の終了により届けずに保留)",
                  (long long) withheld);
        s_field ("保留の紹介", text);
    }
    json_t *handover = json_object_get (c, "last_handover");
    if (json_is_object (handover)) {
        snprintf (text, sizeof text, "%s 発効  %s%s", ctl_text_get (handover, "effective_on", "-"),
                  ctl_text_get (handover, "agency", "-"),
                  json_is_true (json_object_get (c, "handed_over"))
                      ? "  (前回の見直し以降 / since the last review)"
                      : "");
        s_field ("担当交代", text);
    }
    const char *closed_at = json_string_value (json_object_get (c, "closed_at"));
    if (closed_at) {
        const char *reason = json_string_value (json_object_get (c, "close_reason"));
        ctl_time_jst (closed_at, when);
        snprintf (text, sizeof text, "%s  %s (%s)", when, ctl_text_close_reason (reason),
                  reason ? reason : "-");
        s_field ("終結", text);
    }
    json_int_t reopened = json_integer_value (json_object_get (c, "reopened"));
    if (reopened > 0) {
        snprintf (text, sizeof text, "%lld 回", (long long) reopened);
        s_field ("再開", text);
    }
    json_t *figures = json_object_get (c, "figures");
    char received[32], accepted[32], planned[32], closure[32];
    ctl_text_duration (json_object_get (figures, "to_received_ms"), received);
    ctl_text_duration (json_object_get (figures, "to_accepted_ms"), accepted);
    ctl_text_duration (json_object_get (figures, "to_plan_ms"), planned);
    ctl_text_duration (json_object_get (figures, "to_closure_ms"), closure);
    snprintf (text, sizeof text, "受付まで %s / 受理まで %s / プランまで %s / 終結まで %s",
              received, accepted, planned, closure);
    s_field ("経過時間", text);
}

/* The last column of a referral: withheld (with why) or what it is overdue for. */
static const char *
s_referral_mark (json_t *r, char *out, size_t size)
{
    json_t *withheld = json_object_get (r, "withheld");
    if (!json_is_object (withheld))
        return ctl_text_overdue (json_string_value (json_object_get (r, "overdue")));
    const char *reason = ctl_text_get (withheld, "reason", "-");
    if (strcmp (reason, "succession") == 0)
        snprintf (out, size, "保留: 紹介先の機関が承継された (withheld: succession)");
    else
        snprintf (out, size, "保留: 同意の%s (withheld: consent %s)",
                  strcmp (reason, "expired") == 0 ? "期限切れ" : "撤回", reason);
    return out;
}

/* Prints the consents of a case view that a succession flagged for renewal (the others are
 * in --json). */
static void
s_show_renewals (json_t *c)
{
    size_t i;
    json_t *consent;
    json_array_foreach (json_object_get (c, "consents"), i, consent)
    {
        json_t *renewal = json_object_get (consent, "renewal");
        if (!json_is_object (renewal))
            continue;
        printf ("\n同意の再取得が必要 (consent needs renewal): %s — %s は %s に承継された; "
                "この同意は %s に及ばない\n",
                ctl_text_get (consent, "consent_id", "-"),
                ctl_text_get (renewal, "previous_agency", "-"),
                ctl_text_get (renewal, "agency", "-"), ctl_text_get (renewal, "agency", "-"));
    }
}

/* Prints the referrals of a case view. */
static void
s_show_referrals (json_t *c)
{
    json_t *referrals = json_object_get (c, "referrals");
    printf ("\n紹介 (referrals): %zu 件\n", json_array_size (referrals));
    if (json_array_size (referrals) == 0)
        return;
    static const char *const header[] = { "紹介ID",   "紹介元 → 紹介先", "状態", "版",
                                          "受付期限", "回答期限",        "" };
    ctl_table_t *table = ctl_table_new (7, header);
    for (size_t i = 0; table && i < json_array_size (referrals); i++) {
        json_t *r = json_array_get (referrals, i);
        char parties[80], state[96], version[24], mark[96];
        snprintf (parties, sizeof parties, "%s → %s", ctl_text_get (r, "from", "-"),
                  ctl_text_get (r, "to", "-"));
        ctl_text_state (r, state, sizeof state);
        snprintf (version, sizeof version, "%lld",
                  (long long) json_integer_value (json_object_get (r, "version")));
        const char *cells[] = {
            json_string_value (json_object_get (r, "referral_id")),
            parties,
            state,
            version,
            ctl_text_get (r, "receive_due_date", "-"),
            ctl_text_get (r, "due_date", "-"),
            s_referral_mark (r, mark, sizeof mark),
        };
        ctl_table_add (table, cells);
    }
    if (table)
        ctl_table_print (table, stdout, 2);
    ctl_table_destroy (&table);
}

/* Prints the timeline of a case view. */
static void
s_show_timeline (json_t *c)
{
    json_t *timeline = json_object_get (c, "timeline");
    printf ("\n経過 (timeline): %zu 件\n", json_array_size (timeline));
    if (json_array_size (timeline) == 0)
        return;
    static const char *const header[] = { "日時(JST)", "版", "誰", "何" };
    ctl_table_t *table = ctl_table_new (4, header);
    for (size_t i = 0; table && i < json_array_size (timeline); i++) {
        json_t *ev = json_array_get (timeline, i);
        char when[32], version[24];
        ctl_time_jst (json_string_value (json_object_get (ev, "at")), when);
        snprintf (version, sizeof version, "%lld",
                  (long long) json_integer_value (json_object_get (ev, "version")));
        char *what = ctl_text_event (ev);
        const char *cells[] = { when, version, json_string_value (json_object_get (ev, "by")),
                                what };
        ctl_table_add (table, cells);
        free (what);
    }
    if (table)
        ctl_table_print (table, stdout, 2);
    ctl_table_destroy (&table);
}

/* `case show CASE_ID [--json]`. */
static int
s_show (const ctl_options_t *options, int argc, char **argv)
{
    const char *id = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--json") == 0)
            json = true;
        else if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
            s_usage (stdout);
            return CTL_EXIT_OK;
        }
        else if (!id && argv[i][0] != '-')
            id = argv[i];
        else {
            ctl_error ("case show: unexpected argument \"%s\"", argv[i]);
            s_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (!id) {
        ctl_error ("case show needs a case id");
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    if (!tsg_uuid_valid (id)) {
        ctl_error ("\"%s\" is not a case id (a lowercase UUID)", id);
        return CTL_EXIT_FAIL;
    }
    tsg_store_t *store = NULL;
    ctl_site_t *site = ctl_site_open (options, &store);
    if (!site)
        return CTL_EXIT_FAIL;
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    json_t *view = txn.rc == TSG_OK ? tsg_hub_view_case (&txn, id, tsg_now_ms ()) : NULL;
    int rc = txn.rc;
    tsg_txn_abort (&txn);
    ctl_site_destroy (&site);
    if (!view) {
        if (rc != TSG_OK)
            ctl_error ("cannot read case %s: %s", id, tsg_strerror (rc));
        else
            ctl_error ("no case %s", id);
        return CTL_EXIT_FAIL;
    }
    if (json)
        return ctl_print_json (view) ? CTL_EXIT_OK : CTL_EXIT_FAIL;
    s_show_record (view);
    s_show_referrals (view);
    s_show_renewals (view);
    s_show_timeline (view);
    json_decref (view);
    return CTL_EXIT_OK;
}

/* ---- case event ------------------------------------------------------------------------ */

/* `case event ...`: the request goes to the running coordinator, which applies it after the
 * same checks as an agency's event and answers after its commit. */
static int
s_event (const ctl_options_t *options, int argc, char **argv)
{
    json_t *request = NULL;
    bool json = false;
    int exit_code = ctl_case_event_parse (argc, argv, &request, &json);
    if (exit_code >= 0)
        return exit_code;
    ctl_site_t *site = ctl_site_open (options, NULL);
    if (!site) {
        json_decref (request);
        return CTL_EXIT_FAIL;
    }
    json_t *reply = NULL;
    char err[4400] = "";
    int rc = ctl_control_call (ctl_site_data_dir (site), request, CTL_CONTROL_TIMEOUT_MS, &reply,
                               err, sizeof err);
    ctl_site_destroy (&site);
    const char *case_id = json_string_value (json_object_get (request, "case_id"));
    if (rc != TSG_OK) {
        ctl_error ("%s", err);
        json_decref (request);
        return CTL_EXIT_FAIL;
    }
    bool ok = json_is_true (json_object_get (reply, "ok"));
    if (json) {
        json_decref (request);
        return ctl_print_json (reply) && ok ? CTL_EXIT_OK : CTL_EXIT_FAIL;
    }
    if (ok) {
        char state[96];
        ctl_text_state (reply, state, sizeof state);
        printf ("case %s: %s event %s applied\n"
                "版 %lld  状態 %s\n",
                case_id, json_string_value (json_object_get (request, "type")),
                ctl_text_get (reply, "event_id", ""),
                (long long) json_integer_value (json_object_get (reply, "version")), state);
    }
    else
        ctl_error ("case %s: the coordinator refused the event: %s: %s", case_id,
                   ctl_text_get (reply, "error", "error"),
                   ctl_text_get (reply, "message", "(no message)"));
    json_decref (reply);
    json_decref (request);
    return ok ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}

int
cmd_case (const ctl_options_t *options, int argc, char **argv)
{
    if (argc < 2) {
        ctl_error ("case needs a subcommand: list, show or event");
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp (sub, "list") == 0)
        return s_list (options, argc - 1, argv + 1);
    if (strcmp (sub, "show") == 0)
        return s_show (options, argc - 1, argv + 1);
    if (strcmp (sub, "event") == 0)
        return s_event (options, argc - 1, argv + 1);
    if (strcmp (sub, "help") == 0 || strcmp (sub, "--help") == 0 || strcmp (sub, "-h") == 0) {
        s_usage (stdout);
        return CTL_EXIT_OK;
    }
    ctl_error ("unknown case subcommand \"%s\"", sub);
    s_usage (stderr);
    return CTL_EXIT_USAGE;
}
