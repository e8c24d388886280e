/* cmd_agency.c — `tsunaguctl agency ...`: onboard an agency, list and show the registry,
 * and suspend, resume or revoke an agency. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coordinator/model/stats.h"
#include "ctl.h"

#define AGENCY_HTTP_BASE_PORT 7781

static void
s_usage (FILE *out)
{
    fprintf (
        out,
        "usage: tsunaguctl [-d DATA_DIR] agency add --id ID --type TYPE --name NAME --out DIR\n"
        "                                [--http HOST:PORT] [--due-days N] [--receive-due-days N]\n"
        "       tsunaguctl [-d DATA_DIR] agency list [--json]\n"
        "       tsunaguctl [-d DATA_DIR] agency show ID [--json]\n"
        "       tsunaguctl [-d DATA_DIR] agency set-due-days ID [--due-days N]\n"
        "                                [--receive-due-days N]\n"
        "       tsunaguctl [-d DATA_DIR] agency suspend|resume|revoke ID\n"
        "       tsunaguctl [-d DATA_DIR] agency rotate-keys ID   (not yet supported)\n"
        "  --id                1-32 of a-z, 0-9 and '-', starting with a letter\n"
        "  --type              eldercare | disability | child | poverty\n"
        "  --name              the agency's name, UTF-8, at most 191 bytes\n"
        "  --out               the bundle folder to create (must not exist, or be empty)\n"
        "  --http              its HTTP API address (default 127.0.0.1:%d + agencies\n"
        "                      registered)\n"
        "  --due-days          days the agency has to accept or reject a referral, 1-365, or\n"
        "                      0 for its type's default (eldercare 7, disability 14, child 3,\n"
        "                      poverty 7); urgency shortens it\n"
        "  --receive-due-days  days it has to acknowledge a referral, 1-365, or 0 for the\n"
        "                      default (1)\n"
        "The registry entry holds the due days and the coordinator publishes them in the\n"
        "directory: senders and the coordinator compute each referral's due dates from them.\n",
        AGENCY_HTTP_BASE_PORT);
}

/* The entry's creation time as "YYYY-MM-DDTHH:MM:SSZ". */
static void
s_created (const Tsunagu__V1__AgencyEntry *entry, char out[32])
{
    tsg_iso8601 (entry->created_at_ms, out);
    if (strlen (out) >= 20 && out[19] == '.') {
        out[19] = 'Z';
        out[20] = '\0';
    }
}

/* Z85 text of a 32-byte key field, or "(invalid)". */
static void
s_key_text (ProtobufCBinaryData key, char out[41])
{
    if (key.len == 32 && key.data)
        tsg_key_to_z85 (key.data, out);
    else
        snprintf (out, 41, "(invalid)");
}

/* The response due days in force for entry: its own, or its type's default. */
static unsigned
s_response_days (const Tsunagu__V1__AgencyEntry *entry)
{
    return entry->response_due_days ? entry->response_due_days
                                    : tsg_type_response_due_days (entry->type);
}

/* The receive due days in force for entry: its own, or the default of 1. */
static unsigned
s_receive_days (const Tsunagu__V1__AgencyEntry *entry)
{
    return entry->receive_due_days ? entry->receive_due_days : 1;
}

/* "7 days" or "7 days (the default)" for days as stored (0: default) and in force. */
static void
s_days_text (unsigned stored, unsigned in_force, char out[48])
{
    snprintf (out, 48, "%u day%s%s", in_force, in_force == 1 ? "" : "s",
              stored ? "" : " (the default)");
}

/* A JSON object describing entry; NULL on allocation failure. */
static json_t *
s_entry_json (const Tsunagu__V1__AgencyEntry *entry)
{
    char created[32], box[41], sign[41];
    s_created (entry, created);
    s_key_text (entry->box_public, box);
    s_key_text (entry->sign_public, sign);
    return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:s, s:s}", "id", entry->id, "type",
                      entry->type, "name", entry->name, "status",
                      tsg_agency_status_name (entry->status), "created_at", created,
                      "response_due_days", (json_int_t) s_response_days (entry), "receive_due_days",
                      (json_int_t) s_receive_days (entry), "due_days_default",
                      entry->response_due_days == 0 && entry->receive_due_days == 0, "box_public",
                      box, "sign_public", sign);
}

/* True when path is a folder with nothing in it. */
static bool
s_dir_empty (const char *path)
{
    DIR *dir = opendir (path);
    if (!dir)
        return false;
    struct dirent *ent;
    bool empty = true;
    while ((ent = readdir (dir)) != NULL)
        if (strcmp (ent->d_name, ".") != 0 && strcmp (ent->d_name, "..") != 0) {
            empty = false;
            break;
        }
    closedir (dir);
    return empty;
}

/* Flushes a folder's entries (a rename in it) to disk; failures only weaken durability. */
static void
s_sync_dir (const char *path)
{
    int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync (fd);
        close (fd);
    }
}

/* The arguments of `agency add`. */
typedef struct {
    const char *id;            /* --id */
    const char *type;          /* --type */
    const char *name;          /* --name */
    const char *out;           /* --out */
    const char *http;          /* --http, or NULL for the default */
    unsigned due_days;         /* --due-days, or 0 for the type's default */
    unsigned receive_due_days; /* --receive-due-days, or 0 for the default */
} s_add_args_t;

/* Parses `agency add` options into args; returns -1 to go on, else an exit code. */
static int
s_add_parse (int argc, char **argv, s_add_args_t *args)
{
    static const struct option long_options[] = {
        { "id", required_argument, NULL, 'i' },
        { "type", required_argument, NULL, 't' },
        { "name", required_argument, NULL, 'N' },
        { "out", required_argument, NULL, 'o' },
        { "http", required_argument, NULL, 'H' },
        { "due-days", required_argument, NULL, 'D' },
        { "receive-due-days", required_argument, NULL, 'R' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, "+:h", long_options, NULL)) != -1) {
        switch (opt) {
        case 'i': args->id = optarg; break;
        case 't': args->type = optarg; break;
        case 'N': args->name = optarg; break;
        case 'o': args->out = optarg; break;
        case 'H': args->http = optarg; break;
        case 'D':
            if (!ctl_due_days_parse (optarg, &args->due_days)) {
                ctl_error ("--due-days must be a number of days from 1 to 365 (0: the type's "
                           "default), not \"%s\"",
                           optarg);
                return CTL_EXIT_FAIL;
            }
            break;
        case 'R':
            if (!ctl_due_days_parse (optarg, &args->receive_due_days)) {
                ctl_error ("--receive-due-days must be a number of days from 1 to 365 (0: the "
                           "default), not \"%s\"",
                           optarg);
                return CTL_EXIT_FAIL;
            }
            break;
        case 'h': s_usage (stdout); return CTL_EXIT_OK;
        default:
            ctl_error ("agency add: unknown option or missing value: %s", argv[optind - 1]);
            s_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        ctl_error ("agency add: unexpected argument \"%s\"", argv[optind]);
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    if (!args->id || !args->type || !args->name || !args->out) {
        ctl_error ("agency add needs --id, --type, --name and --out");
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    const char *why = NULL;
    if (!tsg_agency_id_valid (args->id)) {
        ctl_error ("invalid agency id \"%s\": 1-32 of a-z, 0-9 and '-', starting with a letter "
                   "(\"coordinator\" is reserved)",
                   args->id);
        return CTL_EXIT_FAIL;
    }
    if (!tsg_agency_type_valid (args->type) || ctl_type_due_days (args->type) == 0) {
        ctl_error ("unknown agency type \"%s\": one of eldercare, disability, child, poverty",
                   args->type);
        return CTL_EXIT_FAIL;
    }
    if (!ctl_name_valid (args->name, &why)) {
        ctl_error ("invalid agency name: it %s", why);
        return CTL_EXIT_FAIL;
    }
    if (args->http && !ctl_http_listen_valid (args->http)) {
        ctl_error ("--http must be HOST:PORT, not \"%s\"", args->http);
        return CTL_EXIT_FAIL;
    }
    return -1;
}

/* Blocks (block true) or restores the signals that would stop us half-way. */
static void
s_hold_signals (bool block, sigset_t *saved)
{
    if (block) {
        sigset_t set;
        sigemptyset (&set);
        sigaddset (&set, SIGINT);
        sigaddset (&set, SIGTERM);
        sigaddset (&set, SIGHUP);
        sigprocmask (SIG_BLOCK, &set, saved);
    }
    else
        sigprocmask (SIG_SETMASK, saved, NULL);
}

/* `agency add`: the bundle is written to a temporary folder beside --out, the
 * registry entry committed, and only then the folder renamed to --out, so a failure
 * leaves neither a bundle without a registration nor a registration without a bundle. */
static int
s_add (const ctl_options_t *options, int argc, char **argv)
{
    s_add_args_t args = { 0 };
    int exit_code = s_add_parse (argc, argv, &args);
    if (exit_code >= 0)
        return exit_code;

    /* Where the bundle goes: --out must be new or an empty folder. */
    char out[PATH_MAX], parent[PATH_MAX], base[PATH_MAX], tmp[PATH_MAX];
    if (snprintf (out, sizeof out, "%s", args.out) >= (int) sizeof out) {
        ctl_error ("--out path too long");
        return CTL_EXIT_FAIL;
    }
    size_t len = strlen (out);
    while (len > 1 && out[len - 1] == '/')
        out[--len] = '\0';
    char scratch[PATH_MAX];
    snprintf (scratch, sizeof scratch, "%s", out);
    snprintf (parent, sizeof parent, "%s", dirname (scratch));
    snprintf (scratch, sizeof scratch, "%s", out);
    snprintf (base, sizeof base, "%s", basename (scratch));
    if (strcmp (base, "/") == 0 || strcmp (base, ".") == 0 || strcmp (base, "..") == 0) {
        ctl_error ("--out must name a new folder, not \"%s\"", args.out);
        return CTL_EXIT_FAIL;
    }
    struct stat st;
    if (lstat (out, &st) == 0 && !(S_ISDIR (st.st_mode) && s_dir_empty (out))) {
        ctl_error ("%s already exists and is not an empty folder; nothing changed", out);
        return CTL_EXIT_FAIL;
    }
    if (!tsg_mkdir_p (parent, 0755)) {
        ctl_error ("cannot create %s: %s", parent, strerror (errno));
        return CTL_EXIT_FAIL;
    }
    if (snprintf (tmp, sizeof tmp, "%s/.%s.tmp-XXXXXX", parent, base) >= (int) sizeof tmp) {
        ctl_error ("--out path too long");
        return CTL_EXIT_FAIL;
    }

    tsg_store_t *store = NULL;
    ctl_site_t *site = ctl_site_open (options, &store);
    if (!site)
        return CTL_EXIT_FAIL;

    /* A first look: the id must be new; the default port follows the agencies so far. */
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    Tsunagu__V1__AgencyEntry *existing = tsg_registry_get (&txn, args.id);
    Tsunagu__V1__AgencyEntry **entries = NULL;
    size_t count = 0;
    int rc = tsg_registry_list (&txn, &entries, &count);
    int txn_rc = txn.rc;
    tsg_txn_abort (&txn);
    if (existing) {
        ctl_error ("agency %s already exists (%s); nothing changed", args.id,
                   tsg_agency_status_name (existing->status));
        tsunagu__v1__agency_entry__free_unpacked (existing, NULL);
        if (rc == TSG_OK)
            tsg_registry_free_list (entries, count);
        ctl_site_destroy (&site);
        return CTL_EXIT_FAIL;
    }
    if (rc != TSG_OK || txn_rc != TSG_OK) {
        ctl_error ("cannot read the registry: %s", tsg_strerror (rc != TSG_OK ? rc : txn_rc));
        ctl_site_destroy (&site);
        return CTL_EXIT_FAIL;
    }
    tsg_registry_free_list (entries, count);
    char http[64];
    if (args.http)
        snprintf (http, sizeof http, "%s", args.http);
    else
        snprintf (http, sizeof http, "127.0.0.1:%zu", AGENCY_HTTP_BASE_PORT + count);
    if (!ctl_host_is_loopback (http))
        fprintf (stderr, "tsunaguctl: warning: %s's HTTP API will listen on %s, not on loopback\n",
                 args.id, http);
    /* The bundle's [policy] value is only the daemon's fallback for letters without a due
     * date; the registry entry (0: the default) is what the directory publishes. */
    int due_days =
        args.due_days > 0 ? (int) args.due_days : (int) tsg_type_response_due_days (args.type);

    tsg_keys_t *keys = tsg_keys_generate (args.id);
    if (!keys) {
        ctl_error ("cannot generate keys: %s", tsg_strerror (TSG_ERR_NOMEM));
        ctl_site_destroy (&site);
        return CTL_EXIT_FAIL;
    }

    /* From here to the rename, an interrupt waits: the three steps go together. */
    sigset_t saved;
    s_hold_signals (true, &saved);
    exit_code = CTL_EXIT_FAIL;
    bool tmp_made = false;
    if (!mkdtemp (tmp)) {
        ctl_error ("cannot create a folder in %s: %s", parent, strerror (errno));
        goto done;
    }
    tmp_made = true;
    ctl_bundle_t bundle = {
        .id = args.id,
        .type = args.type,
        .name = args.name,
        .http_listen = http,
        .due_days = due_days,
        .coordinator_endpoint = ctl_site_public_endpoint (site),
        .coordinator_box = ctl_site_box_public (site),
        .coordinator_sign = ctl_site_sign_public (site),
        .coordinator_public_path = ctl_site_public_path (site),
    };
    char err[PATH_MAX + 128] = "";
    rc = ctl_bundle_write (tmp, &bundle, keys, NULL, err, sizeof err);
    if (rc != TSG_OK) {
        ctl_error ("cannot write the bundle: %s; nothing changed", err);
        goto done;
    }

    Tsunagu__V1__AgencyEntry entry = TSUNAGU__V1__AGENCY_ENTRY__INIT;
    entry.id = (char *) args.id;
    entry.type = (char *) args.type;
    entry.name = (char *) args.name;
    entry.box_public.data = (uint8_t *) tsg_keys_box_public (keys);
    entry.box_public.len = 32;
    entry.sign_public.data = (uint8_t *) tsg_keys_sign_public (keys);
    entry.sign_public.len = 32;
    entry.status = TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE;
    entry.created_at_ms = tsg_now_ms ();
    entry.response_due_days = args.due_days;
    entry.receive_due_days = args.receive_due_days;
    tsg_txn_begin (store, &txn, true);
    existing = tsg_registry_get (&txn, args.id);
    if (existing) {
        tsg_txn_abort (&txn);
        tsunagu__v1__agency_entry__free_unpacked (existing, NULL);
        ctl_error ("agency %s was registered meanwhile; nothing changed", args.id);
        goto done;
    }
    tsg_registry_put (&txn, &entry);
    rc = tsg_txn_commit (&txn);
    if (rc != TSG_OK) {
        ctl_error ("cannot register %s: %s; nothing changed", args.id, tsg_strerror (rc));
        goto done;
    }
    /* An empty --out folder is replaced by the rename. */
    if (rename (tmp, out) != 0) {
        ctl_error ("%s is registered but its bundle could not be moved into place (%s): "
                   "it is complete in %s; move it to %s",
                   args.id, strerror (errno), tmp, out);
        tmp_made = false;
        goto done;
    }
    tmp_made = false;
    s_sync_dir (parent);
    exit_code = CTL_EXIT_OK;

done:
    if (tmp_made && ctl_remove_tree (tmp) != 0)
        ctl_error ("could not remove %s: %s", tmp, strerror (errno));
    s_hold_signals (false, &saved);
    tsg_keys_destroy (&keys);
    ctl_site_destroy (&site);
    if (exit_code != CTL_EXIT_OK)
        return exit_code;

    char *abs = realpath (out, NULL);
    const char *shown = abs ? abs : out;
    char respond[48], acknowledge[48];
    s_days_text (args.due_days, (unsigned) due_days, respond);
    s_days_text (args.receive_due_days, args.receive_due_days ? args.receive_due_days : 1,
                 acknowledge);
    printf ("registered %s: %s, %s (%s), active\n"
            "bundle: %s\n"
            "token:  %s/http.token\n"
            "http:   %s\n"
            "due:    accept or reject within %s, acknowledge within %s\n"
            "start:  tsunagu-%s -c %s/agency.conf\n",
            args.id, args.name, args.type, ctl_type_label (args.type), shown, shown, http, respond,
            acknowledge, args.type, shown);
    free (abs);
    return CTL_EXIT_OK;
}

/* `agency list [--json]`. */
static int
s_list (const ctl_options_t *options, int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--json") == 0)
            json = true;
        else {
            ctl_error ("agency list: unexpected argument \"%s\"", argv[i]);
            s_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    tsg_store_t *store = NULL;
    ctl_site_t *site = ctl_site_open (options, &store);
    if (!site)
        return CTL_EXIT_FAIL;
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    Tsunagu__V1__AgencyEntry **entries = NULL;
    size_t count = 0;
    int rc = tsg_registry_list (&txn, &entries, &count);
    if (rc == TSG_OK && txn.rc != TSG_OK) {
        tsg_registry_free_list (entries, count);
        rc = txn.rc;
    }
    tsg_txn_abort (&txn);
    ctl_site_destroy (&site);
    if (rc != TSG_OK) {
        ctl_error ("cannot read the registry: %s", tsg_strerror (rc));
        return CTL_EXIT_FAIL;
    }

    bool ok = true;
    if (json) {
        json_t *array = json_array ();
        for (size_t i = 0; array && i < count; i++)
            if (json_array_append_new (array, s_entry_json (entries[i])) != 0) {
                json_decref (array);
                array = NULL;
            }
        ok = ctl_print_json (array);
    }
    else {
        size_t id_width = 2, type_width = 4, status_width = 6, name_width = 4;
        for (size_t i = 0; i < count; i++) {
            size_t w = strlen (entries[i]->id);
            id_width = w > id_width ? w : id_width;
            w = strlen (entries[i]->type);
            type_width = w > type_width ? w : type_width;
            w = strlen (tsg_agency_status_name (entries[i]->status));
            status_width = w > status_width ? w : status_width;
            w = ctl_display_width (entries[i]->name);
            name_width = w > name_width ? w : name_width;
        }
        printf ("%-*s  %-*s  %-*s  %-*s  %s\n", (int) id_width, "ID", (int) type_width, "TYPE",
                (int) status_width, "STATUS", (int) name_width, "NAME", "CREATED");
        for (size_t i = 0; i < count; i++) {
            char created[32];
            s_created (entries[i], created);
            const char *name = entries[i]->name;
            printf ("%-*s  %-*s  %-*s  %s%*s  %s\n", (int) id_width, entries[i]->id,
                    (int) type_width, entries[i]->type, (int) status_width,
                    tsg_agency_status_name (entries[i]->status), name,
                    (int) (name_width - ctl_display_width (name)), "", created);
        }
    }
    tsg_registry_free_list (entries, count);
    if (!ok) {
        ctl_error ("cannot write the list: %s", strerror (errno));
        return CTL_EXIT_FAIL;
    }
    return CTL_EXIT_OK;
}

/* The registry entry of id (caller frees), or NULL after saying why: no such agency, or the
 * registry could not be read.  On NULL the transaction is aborted. */
static Tsunagu__V1__AgencyEntry *
s_registry_entry (tsg_txn_t *txn, const char *id)
{
    Tsunagu__V1__AgencyEntry *entry = tsg_registry_get (txn, id);
    if (entry)
        return entry;
    if (txn->rc != TSG_OK)
        ctl_error ("cannot read the registry: %s", tsg_strerror (txn->rc));
    else
        ctl_error ("no agency \"%s\"", id);
    tsg_txn_abort (txn);
    return NULL;
}

/* What agency id has waiting at the coordinator against its quotas (limits.h). */
typedef struct {
    uint64_t sent_letters;    /* its letters waiting in any mailbox */
    uint64_t sent_bytes;      /* ... their bytes */
    uint64_t mailbox_letters; /* letters waiting in its own mailbox */
    uint64_t mailbox_bytes;   /* ... their bytes */
    uint64_t refused;         /* its letters refused for a full quota */
} s_quota_t;

static void
s_quota_read (tsg_txn_t *txn, const char *id, s_quota_t *q)
{
    q->sent_letters = tsg_hub_stat_get2 (txn, TSG_HUB_STAT_SENDER_LETTERS, id);
    q->sent_bytes = tsg_hub_stat_get2 (txn, TSG_HUB_STAT_SENDER_BYTES, id);
    q->mailbox_letters = tsg_hub_stat_get2 (txn, TSG_HUB_STAT_MAILBOX_DEPTH, id);
    q->mailbox_bytes = tsg_hub_stat_get2 (txn, TSG_HUB_STAT_MAILBOX_BYTES, id);
    q->refused = tsg_hub_stat_get2 (txn, TSG_HUB_STAT_QUOTA_REFUSED, id);
}

static json_t *
s_quota_json (const s_quota_t *q, const tsg_hub_limits_t *l)
{
    return json_pack (
        "{s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I}, s:I}", "sent_waiting", "letters",
        (json_int_t) q->sent_letters, "letters_quota", (json_int_t) l->sender_letters, "bytes",
        (json_int_t) q->sent_bytes, "bytes_quota", (json_int_t) l->sender_bytes, "mailbox",
        "letters", (json_int_t) q->mailbox_letters, "letters_quota",
        (json_int_t) l->mailbox_letters, "bytes", (json_int_t) q->mailbox_bytes, "bytes_quota",
        (json_int_t) l->mailbox_bytes, "refused_for_quota", (json_int_t) q->refused);
}

/* `agency show ID [--json]`. */
static int
s_show (const ctl_options_t *options, int argc, char **argv)
{
    const char *id = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--json") == 0)
            json = true;
        else if (!id && argv[i][0] != '-')
            id = argv[i];
        else {
            ctl_error ("agency show: unexpected argument \"%s\"", argv[i]);
            s_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (!id) {
        ctl_error ("agency show needs an agency id");
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    tsg_store_t *store = NULL;
    ctl_site_t *site = ctl_site_open (options, &store);
    if (!site)
        return CTL_EXIT_FAIL;
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    Tsunagu__V1__AgencyEntry *entry = s_registry_entry (&txn, id);
    s_quota_t quota = { 0 };
    if (entry)
        s_quota_read (&txn, id, &quota);
    tsg_txn_abort (&txn);
    tsg_hub_limits_t limits = *ctl_site_limits (site);
    ctl_site_destroy (&site);
    if (!entry)
        return CTL_EXIT_FAIL;
    bool ok = true;
    if (json) {
        json_t *out = s_entry_json (entry);
        if (out)
            json_object_set_new (out, "quota", s_quota_json (&quota, &limits));
        ok = ctl_print_json (out);
    }
    else {
        char created[32], box[41], sign[41], respond[48], acknowledge[48];
        s_created (entry, created);
        s_key_text (entry->box_public, box);
        s_key_text (entry->sign_public, sign);
        s_days_text (entry->response_due_days, s_response_days (entry), respond);
        s_days_text (entry->receive_due_days, s_receive_days (entry), acknowledge);
        printf ("id:           %s\n"
                "type:         %s (%s)\n"
                "name:         %s\n"
                "status:       %s\n"
                "created:      %s\n"
                "response due: %s (to accept or reject)\n"
                "receive due:  %s (to acknowledge)\n"
                "box_public:   %s\n"
                "sign_public:  %s\n",
                entry->id, entry->type, ctl_type_label (entry->type), entry->name,
                tsg_agency_status_name (entry->status), created, respond, acknowledge, box, sign);
        printf (
            "sent waiting: %llu of %llu letters, %llu of %llu KiB (its letters not yet "
            "delivered)\n"
            "mailbox:      %llu of %llu letters, %llu of %llu KiB (waiting for it)\n"
            "over quota:   %llu letters refused\n",
            (unsigned long long) quota.sent_letters, (unsigned long long) limits.sender_letters,
            (unsigned long long) (quota.sent_bytes / 1024),
            (unsigned long long) (limits.sender_bytes / 1024),
            (unsigned long long) quota.mailbox_letters, (unsigned long long) limits.mailbox_letters,
            (unsigned long long) (quota.mailbox_bytes / 1024),
            (unsigned long long) (limits.mailbox_bytes / 1024), (unsigned long long) quota.refused);
    }
    tsunagu__v1__agency_entry__free_unpacked (entry, NULL);
    if (!ok) {
        ctl_error ("cannot write the agency: %s", strerror (errno));
        return CTL_EXIT_FAIL;
    }
    return CTL_EXIT_OK;
}

/* `agency suspend|resume|revoke ID`: one write transaction reads the entry, checks the
 * change is allowed and writes it back, which bumps the registry generation. */
static int
s_set_status (const ctl_options_t *options, int argc, char **argv)
{
    const char *verb = argv[0];
    Tsunagu__V1__AgencyStatus target;
    if (strcmp (verb, "suspend") == 0)
        target = TSUNAGU__V1__AGENCY_STATUS__AGENCY_SUSPENDED;
    else if (strcmp (verb, "resume") == 0)
        target = TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE;
    else
        target = TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED;
    if (argc != 2 || argv[1][0] == '-') {
        ctl_error ("agency %s needs exactly one agency id", verb);
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    const char *id = argv[1];
    tsg_store_t *store = NULL;
    ctl_site_t *site = ctl_site_open (options, &store);
    if (!site)
        return CTL_EXIT_FAIL;

    int exit_code = CTL_EXIT_FAIL;
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);
    Tsunagu__V1__AgencyEntry *entry = s_registry_entry (&txn, id);
    if (!entry)
        goto done;
    Tsunagu__V1__AgencyStatus was = entry->status;
    if (was == target) {
        tsg_txn_abort (&txn);
        printf ("%s is already %s; nothing changed\n", id, tsg_agency_status_name (was));
        exit_code = CTL_EXIT_OK;
        goto done;
    }
    if (was == TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED) {
        tsg_txn_abort (&txn);
        ctl_error ("%s is revoked, which is final: onboard the agency again with new keys", id);
        goto done;
    }
    entry->status = target;
    tsg_registry_put (&txn, entry);
    int rc = tsg_txn_commit (&txn);
    if (rc != TSG_OK) {
        ctl_error ("cannot change %s: %s; nothing changed", id, tsg_strerror (rc));
        goto done;
    }
    printf ("%s: %s -> %s\n", id, tsg_agency_status_name (was), tsg_agency_status_name (target));
    printf ("a running coordinator picks up the change by itself\n");
    exit_code = CTL_EXIT_OK;

done:
    if (entry)
        tsunagu__v1__agency_entry__free_unpacked (entry, NULL);
    ctl_site_destroy (&site);
    return exit_code;
}

/* `agency set-due-days ID [--due-days N] [--receive-due-days N]`: one write transaction
 * reads the entry and writes it back with the new days, which bumps the registry
 * generation, so a running coordinator publishes them in its next directory. */
static int
s_set_due_days (const ctl_options_t *options, int argc, char **argv)
{
    static const struct option long_options[] = {
        { "due-days", required_argument, NULL, 'D' },
        { "receive-due-days", required_argument, NULL, 'R' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    unsigned response = 0, receive = 0;
    bool set_response = false, set_receive = false;
    const char *id = NULL;
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, "-:h", long_options, NULL)) != -1) {
        switch (opt) {
        case 1:
            if (id) {
                ctl_error ("agency set-due-days: unexpected argument \"%s\"", optarg);
                return CTL_EXIT_USAGE;
            }
            id = optarg;
            break;
        case 'D':
            if (!ctl_due_days_parse (optarg, &response)) {
                ctl_error ("--due-days must be a number of days from 1 to 365 (0: the type's "
                           "default), not \"%s\"",
                           optarg);
                return CTL_EXIT_FAIL;
            }
            set_response = true;
            break;
        case 'R':
            if (!ctl_due_days_parse (optarg, &receive)) {
                ctl_error ("--receive-due-days must be a number of days from 1 to 365 (0: the "
                           "default), not \"%s\"",
                           optarg);
                return CTL_EXIT_FAIL;
            }
            set_receive = true;
            break;
        case 'h': s_usage (stdout); return CTL_EXIT_OK;
        default:
            ctl_error ("agency set-due-days: unknown option or missing value: %s",
                       argv[optind - 1]);
            s_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (!id || (!set_response && !set_receive)) {
        ctl_error ("agency set-due-days needs an agency id and --due-days or --receive-due-days");
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    tsg_store_t *store = NULL;
    ctl_site_t *site = ctl_site_open (options, &store);
    if (!site)
        return CTL_EXIT_FAIL;

    int exit_code = CTL_EXIT_FAIL;
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);
    Tsunagu__V1__AgencyEntry *entry = s_registry_entry (&txn, id);
    if (!entry)
        goto done;
    if (entry->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED) {
        tsg_txn_abort (&txn);
        ctl_error ("%s is revoked; its due days no longer matter", id);
        goto done;
    }
    if ((!set_response || entry->response_due_days == response)
        && (!set_receive || entry->receive_due_days == receive)) {
        tsg_txn_abort (&txn);
        printf ("%s already has these due days; nothing changed\n", id);
        exit_code = CTL_EXIT_OK;
        goto done;
    }
    if (set_response)
        entry->response_due_days = response;
    if (set_receive)
        entry->receive_due_days = receive;
    tsg_registry_put (&txn, entry);
    int rc = tsg_txn_commit (&txn);
    if (rc != TSG_OK) {
        ctl_error ("cannot change %s: %s; nothing changed", id, tsg_strerror (rc));
        goto done;
    }
    char respond[48], acknowledge[48];
    s_days_text (entry->response_due_days, s_response_days (entry), respond);
    s_days_text (entry->receive_due_days, s_receive_days (entry), acknowledge);
    printf ("%s: accept or reject within %s, acknowledge within %s\n"
            "new referrals to %s get these due dates; a running coordinator publishes them by "
            "itself\n",
            id, respond, acknowledge, id);
    exit_code = CTL_EXIT_OK;

done:
    if (entry)
        tsunagu__v1__agency_entry__free_unpacked (entry, NULL);
    ctl_site_destroy (&site);
    return exit_code;
}

int
cmd_agency (const ctl_options_t *options, int argc, char **argv)
{
    if (argc < 2) {
        ctl_error ("agency needs a subcommand");
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp (sub, "add") == 0)
        return s_add (options, argc - 1, argv + 1);
    if (strcmp (sub, "list") == 0)
        return s_list (options, argc - 1, argv + 1);
    if (strcmp (sub, "show") == 0)
        return s_show (options, argc - 1, argv + 1);
    if (strcmp (sub, "set-due-days") == 0)
        return s_set_due_days (options, argc - 1, argv + 1);
    if (strcmp (sub, "suspend") == 0 || strcmp (sub, "resume") == 0 || strcmp (sub, "revoke") == 0)
        return s_set_status (options, argc - 1, argv + 1);
    if (strcmp (sub, "rotate-keys") == 0) {
        ctl_error ("agency rotate-keys: not yet supported");
        return CTL_EXIT_USAGE;
    }
    if (strcmp (sub, "help") == 0 || strcmp (sub, "--help") == 0 || strcmp (sub, "-h") == 0) {
        s_usage (stdout);
        return CTL_EXIT_OK;
    }
    ctl_error ("unknown agency subcommand \"%s\"", sub);
    s_usage (stderr);
    return CTL_EXIT_USAGE;
}
