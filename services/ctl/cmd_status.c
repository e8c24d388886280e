/* cmd_status.c — `tsunaguctl status`: is everything well, and if not, what needs a person.
 * The live part (who is connected, when each agency last spoke, mailbox depths, open alerts)
 * is the running coordinator's overview (the control request "overview", as `top` asks it);
 * the rest is read from the store itself, read-only (model/status.h): each mailbox's oldest
 * letter, the store's use of its map, its schema, the audit head, the registry's serial.
 * When the coordinator does not answer, status says so, reads the overview from the store
 * (nobody online) and exits 1.  Each rule that fires is one line under "Needs attention"
 * (docs/configuration.md, Status); exit 0 only when none did. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coordinator/model/views.h"
#include "coordinator/model/status.h"
#include "ctl.h"

#define HOUR_MS (3600ULL * 1000)
#define DAY_MS  (24 * HOUR_MS)

static const char s_usage[] =
    "usage: tsunaguctl [-d DATA_DIR] status [--json] [--offline-hours H] [--mail-hours H]\n"
    "                  [--store-percent P] [--directory-days D]\n"
    "Whether the coordinator runs, each agency's connection, last contact and mailbox (depth\n"
    "and the oldest letter's age), the directory's serial, the store's use of its map and its\n"
    "schema, the audit head, and what needs a person (exit 1 when anything does):\n"
    "  - the coordinator is not running (the rest is then read from its store)\n"
    "  - an active agency not connected, last seen over H hours ago or not since the\n"
    "    coordinator started (--offline-hours, default 24; 0: any not connected)\n"
    "  - a letter waiting in a mailbox for over H hours (--mail-hours, default 24; 0: any)\n"
    "  - the store over P %% of its map (--store-percent, default 80)\n"
    "  - the directory a connected agency holds ending within D days (--directory-days,\n"
    "    default 2)\n"
    "  - emergency alerts not yet acknowledged\n"
    "  - a store schema this tsunaguctl does not know, or an older one not yet migrated\n"
    "  --json   the same as one JSON object (docs/configuration.md, Status)\n";

/* The thresholds of the rules. */
typedef struct {
    unsigned offline_hours;  /* an agency not connected for longer needs a person */
    unsigned mail_hours;     /* a letter waiting longer needs a person */
    unsigned store_percent;  /* the store's use of its map beyond this needs a person */
    unsigned directory_days; /* an agency's directory ending sooner needs a person */
    bool json;               /* --json */
} s_args_t;

/* Parses a whole number in min..max into *out; false otherwise. */
static bool
s_number (const char *text, unsigned min, unsigned max, unsigned *out)
{
    char *end = NULL;
    errno = 0;
    long v = text ? strtol (text, &end, 10) : 0;
    if (!text || !*text || *end || errno || v < (long) min || v > (long) max)
        return false;
    *out = (unsigned) v;
    return true;
}

/* -1 and *args, or an exit code after --help or a bad argument. */
static int
s_parse (int argc, char **argv, s_args_t *args)
{
    *args = (s_args_t){
        .offline_hours = 24, .mail_hours = 24, .store_percent = 80, .directory_days = 2
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned *target = strcmp (a, "--offline-hours") == 0    ? &args->offline_hours
                           : strcmp (a, "--mail-hours") == 0     ? &args->mail_hours
                           : strcmp (a, "--store-percent") == 0  ? &args->store_percent
                           : strcmp (a, "--directory-days") == 0 ? &args->directory_days
                                                                 : NULL;
        if (strcmp (a, "--json") == 0)
            args->json = true;
        else if (strcmp (a, "--help") == 0 || strcmp (a, "-h") == 0) {
            fputs (s_usage, stdout);
            return CTL_EXIT_OK;
        }
        else if (target) {
            bool percent = target == &args->store_percent;
            bool days = target == &args->directory_days;
            unsigned min = percent || days ? 1 : 0, max = percent ? 99 : days ? 30 : 24 * 365;
            if (!s_number (v, min, max, target)) {
                ctl_error ("status: %s takes a whole number from %u to %u, not \"%s\"", a, min, max,
                           v ? v : "");
                return CTL_EXIT_USAGE;
            }
            i++;
        }
        else {
            ctl_error ("status: unexpected argument \"%s\"", a);
            fputs (s_usage, stderr);
            return CTL_EXIT_USAGE;
        }
    }
    return -1;
}

/* Adds one reason to the attention list. */
static void __attribute__ ((format (printf, 4, 5)))
s_attention (json_t *list, const char *code, const char *agency, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    json_t *o = json_pack ("{s:s, s:s}", "code", code, "message", text);
    if (o && agency)
        json_object_set_new (o, "agency", json_string (agency));
    json_array_append_new (list, o);
}

/* The ISO-8601 UTC time iso ("2026-12-03T07:00:00.123Z", as the views write it) in ms, to
 * the second; 0 when null or unreadable. */
static uint64_t
s_ms (const json_t *iso)
{
    const char *text = json_string_value (iso);
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    if (!text
        || sscanf (text, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                   &tm.tm_hour, &tm.tm_min, &tm.tm_sec)
               != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm (&tm);
    return t < 0 ? 0 : (uint64_t) t * 1000;
}

/* Milliseconds since iso (s_ms); 0 when null, unreadable or ahead of now. */
static uint64_t
s_age_ms (const json_t *iso, uint64_t now_ms)
{
    uint64_t at = s_ms (iso);
    return at && at <= now_ms ? now_ms - at : 0;
}

/* "3.5 h", "12 min" or "40 s" of ms into out. */
static void
s_duration (uint64_t ms, char out[32])
{
    uint64_t sec = ms / 1000;
    if (sec >= 3600)
        snprintf (out, 32, "%.1f h", (double) sec / 3600);
    else if (sec >= 60)
        snprintf (out, 32, "%llu min", (unsigned long long) (sec / 60));
    else
        snprintf (out, 32, "%llu s", (unsigned long long) sec);
}

/* The rules of the agencies: offline too long, a letter waiting too long. */
static void
s_agency_rules (json_t *agencies, const s_args_t *args, bool running, uint64_t now_ms, json_t *list)
{
    for (size_t i = 0; i < json_array_size (agencies); i++) {
        json_t *a = json_array_get (agencies, i);
        const char *id = ctl_text_get (a, "id", "?");
        bool active = strcmp (ctl_text_get (a, "status", ""), "active") == 0;
        json_t *seen = json_object_get (a, "last_seen");
        uint64_t seen_age = s_age_ms (seen, now_ms);
        if (running && active && !json_is_true (json_object_get (a, "online"))) {
            if (!json_is_string (seen))
                s_attention (list, "agency_offline", id,
                             "agency %s is not connected and has not been since the coordinator "
                             "started",
                             id);
            else if (seen_age >= args->offline_hours * HOUR_MS) {
                char ago[32];
                s_duration (seen_age, ago);
                s_attention (list, "agency_offline", id,
                             "agency %s is not connected: last seen %s ago (limit %u h)", id, ago,
                             args->offline_hours);
            }
        }
        /* The directory it holds: valid 7 days from when it was sent (api/overview.h). */
        uint64_t until = s_ms (json_object_get (a, "directory_valid_until"));
        if (running && json_is_true (json_object_get (a, "online")) && until
            && until < now_ms + args->directory_days * DAY_MS) {
            char left[32];
            s_duration (until > now_ms ? until - now_ms : 0, left);
            s_attention (list, "directory_expiring", id,
                         "the directory agency %s holds ends in %s (limit %u days): a registry "
                         "change or its reconnecting sends a new one",
                         id, left, args->directory_days);
        }
        json_t *oldest = json_object_get (a, "mailbox_oldest_at");
        uint64_t mail_age = s_age_ms (oldest, now_ms);
        json_object_set_new (a, "mailbox_oldest_age_s",
                             json_is_string (oldest) ? json_integer ((json_int_t) (mail_age / 1000))
                                                     : json_null ());
        if (json_is_string (oldest) && mail_age >= args->mail_hours * HOUR_MS) {
            char waited[32];
            s_duration (mail_age, waited);
            s_attention (list, "mail_waiting", id,
                         "a letter for %s has waited %s in its mailbox (limit %u h)", id, waited,
                         args->mail_hours);
        }
    }
}

/* "; not yet held by: A, B" for the active agencies whose session does not hold the next keys
 * of a rotation under way (all of them when the coordinator does not run), into out. */
static void
s_not_holding (const json_t *agencies, char *out, size_t size)
{
    size_t used = 0;
    for (size_t i = 0; i < json_array_size (agencies) && used < size; i++) {
        const json_t *a = json_array_get (agencies, i);
        if (strcmp (ctl_text_get (a, "status", ""), "active") != 0
            || json_is_true (json_object_get (a, "holds_next_keys")))
            continue;
        int n = snprintf (out + used, size - used, "%s%s",
                          used ? ", " : "; not yet held by: ", ctl_text_get (a, "id", "?"));
        used += n > 0 ? (size_t) n : 0;
    }
}

/* The rules of the whole: running, store, schema, alerts. */
static void
s_site_rules (json_t *status, const s_args_t *args, bool running, json_t *list)
{
    if (!running)
        s_attention (list, "not_running", NULL,
                     "the coordinator is not running (or does not answer on its control "
                     "socket): what follows is read from its store");
    json_t *store = json_object_get (status, "store");
    json_int_t percent = json_integer_value (json_object_get (store, "used_percent"));
    if (percent > (json_int_t) args->store_percent)
        s_attention (list, "store_full", NULL,
                     "the store uses %lld %% of its map (over %u %%): raise map_size_mb or prune",
                     (long long) percent, args->store_percent);
    json_int_t schema = json_integer_value (json_object_get (store, "schema"));
    json_int_t current = json_integer_value (json_object_get (store, "schema_current"));
    if (schema > current)
        s_attention (list, "schema_newer", NULL,
                     "the store was written by a newer tsunagu (schema %lld); this tsunaguctl "
                     "knows schema %lld",
                     (long long) schema, (long long) current);
    else if (schema >= 1 && schema < current)
        s_attention (list, "schema_older", NULL,
                     "the store is at schema %lld: the coordinator migrates it to %lld when it "
                     "starts",
                     (long long) schema, (long long) current);
    const json_t *keys = json_object_get (status, "coordinator_keys");
    if (strcmp (ctl_text_get (keys, "state", ""), "announced") == 0) {
        char waiting[512] = "";
        s_not_holding (json_object_get (status, "agencies"), waiting, sizeof waiting);
        char since[32], until[32];
        ctl_time_jst (ctl_text_get (keys, "announced_at", ""), since);
        ctl_time_jst (ctl_text_get (keys, "switch_by", ""), until);
        s_attention (list, "keys_rotation", NULL,
                     "the coordinator's keys are being handed over to the agencies (since %s "
                     "JST): it switches when every active agency holds them, by %s JST at the "
                     "latest; an agency that does not by then needs a new bundle (or rotate-keys "
                     "--finish)%s",
                     since, until, waiting);
    }
    json_int_t alerts = json_integer_value (json_object_get (status, "alerts_open_count"));
    if (alerts > 0)
        s_attention (list, "alerts_open", NULL,
                     "%lld emergency alert(s) not yet acknowledged (tsunaguctl top, or the "
                     "dashboard)",
                     (long long) alerts);
}

/* The overview: the running coordinator's (*running) or, when it does not answer, the
 * registry's agencies from the store, every one offline. */
static json_t *
s_overview (ctl_site_t *site, tsg_txn_t *txn, bool *running)
{
    json_t *request = json_pack ("{s:s}", "command", "overview");
    json_t *reply = NULL;
    char err[4400] = "";
    int rc = request ? ctl_control_call (ctl_site_data_dir (site), request, CTL_CONTROL_TIMEOUT_MS,
                                         &reply, err, sizeof err)
                     : TSG_ERR_NOMEM;
    json_decref (request);
    *running = rc == TSG_OK && json_is_true (json_object_get (reply, "ok"));
    if (*running)
        return reply;
    json_decref (reply);
    /* The registry's view, not the whole overview: what the store says of the agencies, with
     * their mailbox depths (the open alerts are the running coordinator's to count). */
    json_t *o = tsg_hub_view_agencies (txn);
    json_t *agencies = json_object_get (o, "agencies");
    for (size_t i = 0; i < json_array_size (agencies); i++) {
        json_object_set_new (json_array_get (agencies, i), "online", json_false ());
        json_object_set_new (json_array_get (agencies, i), "last_seen", json_null ());
    }
    if (o)
        json_object_set_new (o, "alerts_open_count", json_null ());
    return o;
}

/* The soonest end of the directories the connected agencies hold (borrowed from agencies),
 * or JSON null. */
static json_t *
s_earliest (json_t *agencies)
{
    json_t *earliest = json_null ();
    uint64_t soonest = 0;
    for (size_t i = 0; i < json_array_size (agencies); i++) {
        json_t *a = json_array_get (agencies, i);
        json_t *until = json_object_get (a, "directory_valid_until");
        uint64_t ms = s_ms (until);
        if (json_is_true (json_object_get (a, "online")) && ms && (!soonest || ms < soonest)) {
            soonest = ms;
            earliest = until;
        }
    }
    return earliest;
}

/* The status object (NULL after printing why not). */
static json_t *
s_gather (const ctl_options_t *options, const s_args_t *args)
{
    tsg_store_t *store = NULL;
    ctl_site_t *site = ctl_site_open (options, &store);
    if (!site)
        return NULL;
    uint64_t now_ms = tsg_now_ms ();
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    bool running = false;
    json_t *overview = s_overview (site, &txn, &running);
    json_t *agencies = json_object_get (overview, "agencies");
    json_t *part = overview ? tsg_hub_view_status (&txn, agencies) : NULL;
    int rc = txn.rc;
    tsg_txn_abort (&txn);
    ctl_site_destroy (&site);
    char as_of[32];
    tsg_iso8601 (now_ms, as_of);
    json_t *alerts = json_object_get (overview, "alerts_open_count");
    json_t *status =
        part ? json_pack ("{s:s, s:b, s:O, s:O, s:O, s:O}", "as_of", as_of, "running", running,
                          "agencies", agencies, "store", json_object_get (part, "store"), "audit",
                          json_object_get (part, "audit"), "alerts_open_count",
                          json_is_integer (alerts) ? alerts : json_null ())
             : NULL;
    if (status) {
        json_object_set_new (status, "directory",
                             json_pack ("{s:O, s:O}", "serial",
                                        json_object_get (part, "registry_serial"),
                                        "earliest_valid_until", s_earliest (agencies)));
        json_object_set (status, "coordinator_keys", json_object_get (part, "coordinator_keys"));
        json_object_set_new (
            status, "sessions",
            json_integer (json_integer_value (json_object_get (overview, "sessions"))));
    }
    json_decref (part);
    json_decref (overview);
    if (!status) {
        ctl_error ("cannot read the store: %s", tsg_strerror (rc != TSG_OK ? rc : TSG_ERR_NOMEM));
        return NULL;
    }
    json_t *list = json_array ();
    s_site_rules (status, args, running, list);
    s_agency_rules (json_object_get (status, "agencies"), args, running, now_ms, list);
    json_object_set_new (status, "attention", list);
    json_object_set_new (status, "ok", json_boolean (json_array_size (list) == 0));
    return status;
}

/* "12.3 MiB" of bytes into out. */
static void
s_mib (json_int_t bytes, char out[32])
{
    snprintf (out, 32, "%.1f MiB", (double) bytes / (1024.0 * 1024.0));
}

/* s_duration of a number of seconds into out; "-" for null. */
static void
s_age (const json_t *seconds, char out[32])
{
    if (json_is_integer (seconds))
        s_duration ((uint64_t) json_integer_value (seconds) * 1000, out);
    else
        snprintf (out, 32, "-");
}

/* The agencies as a table. */
static void
s_print_agencies (const json_t *agencies)
{
    static const char *const header[] = { "AGENCY",          "TYPE", "STATUS", "LINK",
                                          "LAST SEEN (JST)", "MAIL", "OLDEST" };
    ctl_table_t *t = ctl_table_new (7, header);
    for (size_t i = 0; t && i < json_array_size (agencies); i++) {
        const json_t *a = json_array_get (agencies, i);
        char seen[32], depth[24], oldest[32];
        ctl_time_jst (ctl_text_get (a, "last_seen", ""), seen);
        snprintf (depth, sizeof depth, "%lld",
                  (long long) json_integer_value (json_object_get (a, "mailbox_depth")));
        s_age (json_object_get (a, "mailbox_oldest_age_s"), oldest);
        const char *cells[] = { ctl_text_get (a, "id", "?"),
                                ctl_text_get (a, "type", ""),
                                ctl_text_get (a, "status", ""),
                                json_is_true (json_object_get (a, "online")) ? "online" : "offline",
                                seen,
                                depth,
                                oldest };
        ctl_table_add (t, cells);
    }
    if (t && ctl_table_rows (t) > 0)
        ctl_table_print (t, stdout, 0);
    else
        printf ("no agencies registered\n");
    ctl_table_destroy (&t);
}

/* The human form. */
static void
s_print (const json_t *status)
{
    char now[32], used[32], map[32];
    ctl_time_jst (ctl_text_get (status, "as_of", ""), now);
    const json_t *store = json_object_get (status, "store");
    const json_t *audit = json_object_get (status, "audit");
    s_mib (json_integer_value (json_object_get (store, "used_bytes")), used);
    s_mib (json_integer_value (json_object_get (store, "map_bytes")), map);
    printf ("tsunagu status  %s JST\n\n", now);
    if (json_is_true (json_object_get (status, "running")))
        printf ("%-13s running, %lld agencies connected\n", "Coordinator",
                (long long) json_integer_value (json_object_get (status, "sessions")));
    else
        printf ("%-13s NOT RUNNING (read from its store)\n", "Coordinator");
    const json_t *directory = json_object_get (status, "directory");
    char until[32];
    ctl_time_jst (ctl_text_get (directory, "earliest_valid_until", ""), until);
    printf ("%-13s serial %lld, valid until %s JST at the soonest of the connected agencies\n",
            "Directory", (long long) json_integer_value (json_object_get (directory, "serial")),
            until);
    json_int_t schema = json_integer_value (json_object_get (store, "schema"));
    char schema_text[32];
    snprintf (schema_text, sizeof schema_text, schema ? "%lld" : "- (new)", (long long) schema);
    printf ("%-13s %s of %s (%lld %%), schema %s\n", "Store", used, map,
            (long long) json_integer_value (json_object_get (store, "used_percent")), schema_text);
    printf ("%-13s seq %lld, offset %lld\n", "Audit head",
            (long long) json_integer_value (json_object_get (audit, "seq")),
            (long long) json_integer_value (json_object_get (audit, "offset")));
    const json_t *keys = json_object_get (status, "coordinator_keys");
    const char *state = ctl_text_get (keys, "state", "none");
    char at[32];
    if (strcmp (state, "announced") == 0) {
        ctl_time_jst (ctl_text_get (keys, "switch_by", ""), at);
        printf ("%-13s handing over to new keys (signing %.8s…), switching by %s JST\n", "Keys",
                ctl_text_get (keys, "next_sign_public", "?"), at);
    }
    else if (strcmp (state, "switched") == 0) {
        ctl_time_jst (ctl_text_get (keys, "switched_at", ""), at);
        printf ("%-13s signing %.8s…, switched %s JST\n", "Keys",
                ctl_text_get (keys, "sign_public", "?"), at);
    }
    else
        printf ("%-13s the keys of tsunaguctl init (never rotated)\n", "Keys");
    const json_t *alerts = json_object_get (status, "alerts_open_count");
    if (json_is_integer (alerts))
        printf ("%-13s %lld not acknowledged\n\n", "Alerts",
                (long long) json_integer_value (alerts));
    else
        printf ("%-13s unknown (the running coordinator counts them)\n\n", "Alerts");
    s_print_agencies (json_object_get (status, "agencies"));
    const json_t *list = json_object_get (status, "attention");
    if (json_array_size (list) == 0) {
        printf ("\nNothing needs attention.\n");
        return;
    }
    printf ("\nNeeds attention (%zu):\n", json_array_size (list));
    for (size_t i = 0; i < json_array_size (list); i++)
        printf ("  - %s\n", ctl_text_get (json_array_get (list, i), "message", ""));
}

int
cmd_status (const ctl_options_t *options, int argc, char **argv)
{
    s_args_t args;
    int exit_code = s_parse (argc, argv, &args);
    if (exit_code >= 0)
        return exit_code;
    json_t *status = s_gather (options, &args);
    if (!status)
        return CTL_EXIT_FAIL;
    bool ok = json_is_true (json_object_get (status, "ok"));
    if (args.json)
        return ctl_print_json (status) && ok ? CTL_EXIT_OK : CTL_EXIT_FAIL;
    s_print (status);
    json_decref (status);
    return ok ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}
