/* case_args.c — the options of `tsunaguctl case event` checked and turned into the control
 * socket's "case-event" request.  Only codes, dates and agency ids: no free text travels. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/cases.h"
#include "tsunagu/tsg_words.h"
#include "coordinator/model/codec.h"
#include "ctl.h"
#include "coordinator/model/cases.h"
#include "tsunagu/tsg_words.h"

#define EVENT_ROLE_MAX 64 /* bytes of a role label (the coordinator's limit) */

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: tsunaguctl [-d DATA_DIR] case event CASE_ID --type TYPE --base-version N\n"
             "                  [options of the type] [--reason-code C] [--event-id UUID] "
             "[--json]\n"
             "A case event by the coordinator's staff, applied by the running coordinator like\n"
             "an agency's and passed on to every agency on the case.  Codes only: the\n"
             "coordinator holds no free text, so write reasons and minutes at an agency.\n"
             "  --type state    --state S: open, multi-agency, assessment, planning, conference,\n"
             "                  support, monitoring, watch\n"
             "  --type meeting  --meeting-kind shien|jusoteki|core  --attendee AGENCY (repeat)\n"
             "                  [--held-on YYYY-MM-DD (default today)]\n"
             "                  [--decision plan-adopted|continue|escalate|close|other]\n"
             "  --type plan     --role AGENCY=LABEL (repeat)  [--next-review YYYY-MM-DD]\n"
             "  --type note     --note-category visit|call|meeting|other\n"
             "                  [--written-on YYYY-MM-DD (default today)]\n"
             "  --type close    --close-reason goal-achieved|moved-away|died|declined|\n"
             "                  transferred|other\n"
             "  --type reopen   --reason-code C (a reopen needs a reason)\n"
             "  --base-version  the case version the event is based on (case show prints it);\n"
             "                  an event on an older version is refused as stale\n"
             "  --reason-code   a short code (a-z, 0-9, '-') saying a reason was given\n"
             "  --event-id      the event's id (default: a new one); the same id again is the\n"
             "                  same event\n"
             "  --json          print the coordinator's answer as JSON\n");
}

/* The options case event takes; the codes double as bits of what was given. */
enum {
    OPT_TYPE = 0x100,
    OPT_BASE,
    OPT_STATE,
    OPT_REASON,
    OPT_CLOSE,
    OPT_KIND,
    OPT_HELD,
    OPT_ATTENDEE,
    OPT_DECISION,
    OPT_ROLE,
    OPT_REVIEW,
    OPT_CATEGORY,
    OPT_WRITTEN,
    OPT_EVENT_ID,
    OPT_JSON,
    OPT_HELP,
};

/* The option name of code, for messages. */
static const char *
s_option_name (int code)
{
    switch (code) {
    case OPT_STATE: return "--state";
    case OPT_CLOSE: return "--close-reason";
    case OPT_KIND: return "--meeting-kind";
    case OPT_HELD: return "--held-on";
    case OPT_ATTENDEE: return "--attendee";
    case OPT_DECISION: return "--decision";
    case OPT_ROLE: return "--role";
    case OPT_REVIEW: return "--next-review";
    case OPT_CATEGORY: return "--note-category";
    case OPT_WRITTEN: return "--written-on";
    default: return "an option";
    }
}

/* Which event type each type-specific option belongs to. */
static const struct {
    int option;       /* the option */
    const char *type; /* the only --type it goes with */
} s_owners[] = {
    { OPT_STATE, "state" },  { OPT_CLOSE, "close" },      { OPT_KIND, "meeting" },
    { OPT_HELD, "meeting" }, { OPT_ATTENDEE, "meeting" }, { OPT_DECISION, "meeting" },
    { OPT_ROLE, "plan" },    { OPT_REVIEW, "plan" },      { OPT_CATEGORY, "note" },
    { OPT_WRITTEN, "note" },
};

/* True when text is a short code: 1..23 of a-z, 0-9 and '-'. */
static bool
s_code_ok (const char *text)
{
    size_t len = strlen (text);
    if (len == 0 || len >= TSG_HUB_CODE_MAX)
        return false;
    for (const char *p = text; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return false;
    return true;
}

/* True when text is one of the NULL-terminated names. */
static bool
s_one_of (const char *text, const char *const names[])
{
    for (size_t i = 0; names[i]; i++)
        if (strcmp (text, names[i]) == 0)
            return true;
    return false;
}

/* True when id is in list: strings, or objects whose member key is the id. */
static bool
s_listed (json_t *list, const char *key, const char *id)
{
    for (size_t i = 0; i < json_array_size (list); i++) {
        json_t *item = json_array_get (list, i);
        const char *have = json_string_value (key ? json_object_get (item, key) : item);
        if (have && strcmp (have, id) == 0)
            return true;
    }
    return false;
}

/* What the options said, before the request is built. */
typedef struct {
    const char *case_id;                 /* CASE_ID */
    const char *type;                    /* --type */
    const char *base;                    /* --base-version, as given */
    const char *state;                   /* --state */
    const char *reason_code;             /* --reason-code */
    const char *close_reason;            /* --close-reason */
    const char *kind;                    /* --meeting-kind */
    const char *held_on;                 /* --held-on */
    const char *decision;                /* --decision */
    const char *next_review;             /* --next-review */
    const char *category;                /* --note-category */
    const char *written_on;              /* --written-on */
    const char *event_id;                /* --event-id */
    json_t *attendees;                   /* --attendee values */
    json_t *roles;                       /* --role values as {agency, role} */
    bool json;                           /* --json */
    bool given[OPT_HELP - OPT_TYPE + 1]; /* which options appeared */
} s_args_t;

/* Adds --role AGENCY=LABEL to args; returns -1, or an exit code after saying why. */
static int
s_add_role (s_args_t *args, const char *text)
{
    const char *eq = strchr (text, '=');
    char agency[TSG_ID_MAX + 2];
    size_t len = eq ? (size_t) (eq - text) : 0;
    if (!eq || len == 0 || len > TSG_ID_MAX) {
        ctl_error ("--role is AGENCY=LABEL, not \"%s\"", text);
        return CTL_EXIT_FAIL;
    }
    memcpy (agency, text, len);
    agency[len] = '\0';
    const char *label = eq + 1;
    if (!tsg_agency_id_valid (agency)) {
        ctl_error ("--role %s: \"%s\" is not an agency id", text, agency);
        return CTL_EXIT_FAIL;
    }
    if (!tsg_text_ok (label, EVENT_ROLE_MAX)) {
        ctl_error ("--role %s: the label must be 1 to %d bytes of text without control "
                   "characters",
                   agency, EVENT_ROLE_MAX);
        return CTL_EXIT_FAIL;
    }
    if (s_listed (args->roles, "agency", agency)) {
        ctl_error ("--role names %s twice", agency);
        return CTL_EXIT_FAIL;
    }
    if (json_array_size (args->roles) >= TSG_HUB_CASE_ROLES_MAX) {
        ctl_error ("a plan has at most %d roles", TSG_HUB_CASE_ROLES_MAX);
        return CTL_EXIT_FAIL;
    }
    json_array_append_new (args->roles, json_pack ("{s:s, s:s}", "agency", agency, "role", label));
    return -1;
}

/* Adds --attendee AGENCY to args; returns -1, or an exit code after saying why. */
static int
s_add_attendee (s_args_t *args, const char *agency)
{
    if (!tsg_agency_id_valid (agency)) {
        ctl_error ("--attendee \"%s\" is not an agency id", agency);
        return CTL_EXIT_FAIL;
    }
    if (s_listed (args->attendees, NULL, agency)) {
        ctl_error ("--attendee names %s twice", agency);
        return CTL_EXIT_FAIL;
    }
    if (json_array_size (args->attendees) >= TSG_HUB_CASE_ROSTER_MAX) {
        ctl_error ("a meeting has at most %d attending agencies", TSG_HUB_CASE_ROSTER_MAX);
        return CTL_EXIT_FAIL;
    }
    json_array_append_new (args->attendees, json_string (agency));
    return -1;
}

/* Reads the options into args; returns -1 to go on, else an exit code. */
static int
s_read (int argc, char **argv, s_args_t *args)
{
    static const struct option long_options[] = {
        { "type", required_argument, NULL, OPT_TYPE },
        { "base-version", required_argument, NULL, OPT_BASE },
        { "state", required_argument, NULL, OPT_STATE },
        { "reason-code", required_argument, NULL, OPT_REASON },
        { "close-reason", required_argument, NULL, OPT_CLOSE },
        { "meeting-kind", required_argument, NULL, OPT_KIND },
        { "held-on", required_argument, NULL, OPT_HELD },
        { "attendee", required_argument, NULL, OPT_ATTENDEE },
        { "decision", required_argument, NULL, OPT_DECISION },
        { "role", required_argument, NULL, OPT_ROLE },
        { "next-review", required_argument, NULL, OPT_REVIEW },
        { "note-category", required_argument, NULL, OPT_CATEGORY },
        { "written-on", required_argument, NULL, OPT_WRITTEN },
        { "event-id", required_argument, NULL, OPT_EVENT_ID },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, OPT_HELP },
        { NULL, 0, NULL, 0 },
    };
    int opt, rc = -1;
    optind = 0;
    opterr = 0;
    while (rc < 0 && (opt = getopt_long (argc, argv, "-:h", long_options, NULL)) != -1) {
        if (opt >= OPT_TYPE && opt <= OPT_HELP) {
            bool repeatable = opt == OPT_ATTENDEE || opt == OPT_ROLE || opt == OPT_JSON;
            if (args->given[opt - OPT_TYPE] && !repeatable) {
                const char *name = "an option";
                for (size_t i = 0; long_options[i].name; i++)
                    if (long_options[i].val == opt)
                        name = long_options[i].name;
                ctl_error ("case event: --%s given twice", name);
                return CTL_EXIT_USAGE;
            }
            args->given[opt - OPT_TYPE] = true;
        }
        switch (opt) {
        case 1:
            if (args->case_id) {
                ctl_error ("case event: unexpected argument \"%s\"", optarg);
                return CTL_EXIT_USAGE;
            }
            args->case_id = optarg;
            break;
        case OPT_TYPE: args->type = optarg; break;
        case OPT_BASE: args->base = optarg; break;
        case OPT_STATE: args->state = optarg; break;
        case OPT_REASON: args->reason_code = optarg; break;
        case OPT_CLOSE: args->close_reason = optarg; break;
        case OPT_KIND: args->kind = optarg; break;
        case OPT_HELD: args->held_on = optarg; break;
        case OPT_ATTENDEE: rc = s_add_attendee (args, optarg); break;
        case OPT_DECISION: args->decision = optarg; break;
        case OPT_ROLE: rc = s_add_role (args, optarg); break;
        case OPT_REVIEW: args->next_review = optarg; break;
        case OPT_CATEGORY: args->category = optarg; break;
        case OPT_WRITTEN: args->written_on = optarg; break;
        case OPT_EVENT_ID: args->event_id = optarg; break;
        case OPT_JSON: args->json = true; break;
        case 'h':
        case OPT_HELP: s_usage (stdout); return CTL_EXIT_OK;
        default:
            ctl_error ("case event: unknown option or missing value: %s", argv[optind - 1]);
            s_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    return rc;
}

/* Checks what the event's type needs (args->type is one of the types); -1 when it is good,
 * else an exit code after saying why. */
static int
s_check_type (s_args_t *args)
{
    static const char *const kinds[] = { "shien", "jusoteki", "core", NULL };
    if (strcmp (args->type, "state") == 0) {
        tsg_case_state_t state;
        if (!args->state) {
            ctl_error ("--type state needs --state");
            return CTL_EXIT_USAGE;
        }
        if (!tsg_case_state_parse (args->state, &state)) {
            ctl_error ("\"%s\" is not a case state: open, multi-agency, assessment, planning, "
                       "conference, support, monitoring, watch",
                       args->state);
            return CTL_EXIT_FAIL;
        }
        if (state == TSG_CASE_CLOSED) {
            ctl_error ("a case is closed with --type close --close-reason R");
            return CTL_EXIT_FAIL;
        }
    }
    else if (strcmp (args->type, "meeting") == 0) {
        if (!args->kind || json_array_size (args->attendees) == 0) {
            ctl_error ("--type meeting needs --meeting-kind and at least one --attendee");
            return CTL_EXIT_USAGE;
        }
        if (!s_one_of (args->kind, kinds)) {
            ctl_error ("--meeting-kind is shien (支援会議), jusoteki (重層的支援会議) or core "
                       "(コア会議), not \"%s\"",
                       args->kind);
            return CTL_EXIT_FAIL;
        }
        if (args->held_on && !tsg_date_ok (args->held_on)) {
            ctl_error ("--held-on is a date YYYY-MM-DD, not \"%s\"", args->held_on);
            return CTL_EXIT_FAIL;
        }
        if (args->decision && !tsg_meeting_decision_ok (args->decision)) {
            ctl_error ("--decision is plan-adopted, continue, escalate, close or other, not "
                       "\"%s\"",
                       args->decision);
            return CTL_EXIT_FAIL;
        }
    }
    else if (strcmp (args->type, "plan") == 0) {
        if (json_array_size (args->roles) == 0) {
            ctl_error ("--type plan needs at least one --role AGENCY=LABEL");
            return CTL_EXIT_USAGE;
        }
        if (args->next_review && !tsg_date_ok (args->next_review)) {
            ctl_error ("--next-review is a date YYYY-MM-DD, not \"%s\"", args->next_review);
            return CTL_EXIT_FAIL;
        }
    }
    else if (strcmp (args->type, "note") == 0) {
        if (!args->category) {
            ctl_error ("--type note needs --note-category");
            return CTL_EXIT_USAGE;
        }
        if (!tsg_note_category_ok (args->category)) {
            ctl_error ("--note-category is visit, call, meeting or other, not \"%s\"",
                       args->category);
            return CTL_EXIT_FAIL;
        }
        if (args->written_on && !tsg_date_ok (args->written_on)) {
            ctl_error ("--written-on is a date YYYY-MM-DD, not \"%s\"", args->written_on);
            return CTL_EXIT_FAIL;
        }
    }
    else if (strcmp (args->type, "close") == 0) {
        /* The coordinator takes a reason code that is a close reason in its stead. */
        if (!args->close_reason && args->reason_code && tsg_close_reason_ok (args->reason_code))
            args->close_reason = args->reason_code;
        if (!args->close_reason) {
            ctl_error ("--type close needs --close-reason: goal-achieved, moved-away, died, "
                       "declined, transferred or other");
            return CTL_EXIT_USAGE;
        }
        if (!tsg_close_reason_ok (args->close_reason)) {
            ctl_error ("--close-reason is goal-achieved, moved-away, died, declined, transferred "
                       "or other, not \"%s\"",
                       args->close_reason);
            return CTL_EXIT_FAIL;
        }
    }
    return -1;
}

/* Checks the values in args against each other and the rules; returns -1 when they are
 * good, else an exit code after saying why. */
static int
s_check (s_args_t *args, uint64_t *base_version)
{
    static const char *const types[] = {
        "state", "meeting", "plan", "note", "close", "reopen", NULL
    };
    if (!args->case_id || !args->type || !args->base) {
        ctl_error ("case event needs CASE_ID, --type and --base-version");
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    if (!tsg_uuid_valid (args->case_id)) {
        ctl_error ("\"%s\" is not a case id (a lowercase UUID)", args->case_id);
        return CTL_EXIT_FAIL;
    }
    if (!s_one_of (args->type, types)) {
        ctl_error ("--type is state, meeting, plan, note, close or reopen, not \"%s\"", args->type);
        return CTL_EXIT_FAIL;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long base = strtoull (args->base, &end, 10);
    if (errno != 0 || end == args->base || *end != '\0' || args->base[0] == '-' || base < 1
        || base > (unsigned long long) INT64_MAX) {
        ctl_error ("--base-version is the case version the event is based on (1 or more), not "
                   "\"%s\"",
                   args->base);
        return CTL_EXIT_FAIL;
    }
    *base_version = base;
    for (size_t i = 0; i < sizeof s_owners / sizeof s_owners[0]; i++)
        if (args->given[s_owners[i].option - OPT_TYPE]
            && strcmp (args->type, s_owners[i].type) != 0) {
            ctl_error ("%s goes with --type %s, not --type %s", s_option_name (s_owners[i].option),
                       s_owners[i].type, args->type);
            return CTL_EXIT_USAGE;
        }
    if (args->event_id && !tsg_uuid_valid (args->event_id)) {
        ctl_error ("--event-id is a lowercase UUID, not \"%s\"", args->event_id);
        return CTL_EXIT_FAIL;
    }
    if (args->reason_code && !s_code_ok (args->reason_code)) {
        ctl_error ("--reason-code is a short code of a-z, 0-9 and '-' (at most %d), not \"%s\": "
                   "the coordinator keeps no free text",
                   TSG_HUB_CODE_MAX - 1, args->reason_code);
        return CTL_EXIT_FAIL;
    }

    return s_check_type (args);
}

/* The request for checked args; NULL when memory ran out. */
static json_t *
s_request (const s_args_t *args, uint64_t base_version)
{
    char today[11];
    tsg_date_jst_plus_days (tsg_now_ms (), 0, today);
    json_t *request =
        json_pack ("{s:s, s:s, s:I, s:s}", "command", "case-event", "case_id", args->case_id,
                   "base_version", (json_int_t) base_version, "type", args->type);
    if (!request)
        return NULL;
    int rc = 0;
    if (args->event_id)
        rc |= json_object_set_new (request, "event_id", json_string (args->event_id));
    if (args->state)
        rc |= json_object_set_new (request, "state", json_string (args->state));
    if (args->reason_code)
        rc |= json_object_set_new (request, "reason_code", json_string (args->reason_code));
    if (args->close_reason)
        rc |= json_object_set_new (request, "close_reason", json_string (args->close_reason));
    if (strcmp (args->type, "meeting") == 0) {
        json_t *meeting =
            json_pack ("{s:s, s:s, s:O}", "kind", args->kind, "held_on",
                       args->held_on ? args->held_on : today, "attendees", args->attendees);
        if (meeting && args->decision)
            rc |= json_object_set_new (meeting, "decision", json_string (args->decision));
        rc |= json_object_set_new (request, "meeting", meeting);
    }
    else if (strcmp (args->type, "plan") == 0) {
        json_t *plan = json_pack ("{s:O}", "roles", args->roles);
        if (plan && args->next_review)
            rc |= json_object_set_new (plan, "next_review_on", json_string (args->next_review));
        rc |= json_object_set_new (request, "plan", plan);
    }
    else if (strcmp (args->type, "note") == 0)
        rc |=
            json_object_set_new (request, "note",
                                 json_pack ("{s:s, s:s}", "category", args->category, "written_on",
                                            args->written_on ? args->written_on : today));
    if (rc != 0) {
        json_decref (request);
        return NULL;
    }
    return request;
}

int
ctl_case_event_parse (int argc, char **argv, json_t **request, bool *json)
{
    *request = NULL;
    *json = false;
    s_args_t args;
    memset (&args, 0, sizeof args);
    args.attendees = json_array ();
    args.roles = json_array ();
    int rc = CTL_EXIT_FAIL;
    uint64_t base_version = 0;
    if (!args.attendees || !args.roles)
        ctl_error ("out of memory");
    else if ((rc = s_read (argc, argv, &args)) < 0 && (rc = s_check (&args, &base_version)) < 0) {
        *request = s_request (&args, base_version);
        *json = args.json;
        if (!*request) {
            ctl_error ("out of memory");
            rc = CTL_EXIT_FAIL;
        }
    }
    json_decref (args.attendees);
    json_decref (args.roles);
    return rc;
}
