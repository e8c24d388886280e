/* cmd_agency_add.c — `tsunaguctl agency add`: new keys, the agency's bundle, and its registry
 * entry, which the coordinator writes (ctl_coordinator_ask); the bundle appears only once the
 * entry is committed. */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency_cmds.h"

#include "coordinator/model/store.h"

#define AGENCY_HTTP_BASE_PORT CTL_AGENCY_HTTP_BASE_PORT

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
    bool pending;              /* --pending: admitted nowhere until `agency approve` */
    const char *reason;        /* --reason, or NULL */
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
        { "pending", no_argument, NULL, 'P' },
        { "reason", required_argument, NULL, 'W' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, "+:h", long_options, NULL)) != -1) {
        switch (opt) {
        case 'P': args->pending = true; break;
        case 'W': args->reason = optarg; break;
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
        case 'h': ctl_agency_usage (stdout); return CTL_EXIT_OK;
        default:
            ctl_error ("agency add: unknown option or missing value: %s", argv[optind - 1]);
            ctl_agency_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        ctl_error ("agency add: unexpected argument \"%s\"", argv[optind]);
        ctl_agency_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    if (!args->id || !args->type || !args->name || !args->out) {
        ctl_error ("agency add needs --id, --type, --name and --out");
        ctl_agency_usage (stderr);
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
    if (!tsg_agency_name_ok (args->name, &why)) {
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

/* Where the bundle goes: out (--out without trailing '/'), its parent, and tmp, a temporary
 * folder name beside it.  --out must be new or an empty folder.  False after saying why. */
static bool
s_out_paths (const char *arg, char out[PATH_MAX], char parent[PATH_MAX], char tmp[PATH_MAX])
{
    char base[PATH_MAX], scratch[PATH_MAX];
    if (snprintf (out, PATH_MAX, "%s", arg) >= PATH_MAX) {
        ctl_error ("--out path too long");
        return false;
    }
    size_t len = strlen (out);
    while (len > 1 && out[len - 1] == '/')
        out[--len] = '\0';
    snprintf (scratch, sizeof scratch, "%s", out);
    snprintf (parent, PATH_MAX, "%s", dirname (scratch));
    snprintf (scratch, sizeof scratch, "%s", out);
    snprintf (base, sizeof base, "%s", basename (scratch));
    if (strcmp (base, "/") == 0 || strcmp (base, ".") == 0 || strcmp (base, "..") == 0) {
        ctl_error ("--out must name a new folder, not \"%s\"", arg);
        return false;
    }
    struct stat st;
    if (lstat (out, &st) == 0 && !(S_ISDIR (st.st_mode) && s_dir_empty (out))) {
        ctl_error ("%s already exists and is not an empty folder; nothing changed", out);
        return false;
    }
    if (!tsg_mkdir_p (parent, 0755)) {
        ctl_error ("cannot create %s: %s", parent, strerror (errno));
        return false;
    }
    if (snprintf (tmp, PATH_MAX, "%s/.%s.tmp-XXXXXX", parent, base) >= PATH_MAX) {
        ctl_error ("--out path too long");
        return false;
    }
    return true;
}

/* A first look at the registry: id must be new; *count agencies are registered.  False after
 * saying why.  (The coordinator checks again when it writes the entry.) */
static bool
s_first_look (tsg_store_t *store, const char *id, size_t *count)
{
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    Tsunagu__V1__AgencyEntry *existing = tsg_registry_get (&txn, id);
    Tsunagu__V1__AgencyEntry **entries = NULL;
    int rc = tsg_registry_list (&txn, &entries, count);
    int txn_rc = txn.rc;
    tsg_txn_abort (&txn);
    if (rc == TSG_OK)
        tsg_registry_free_list (entries, *count);
    if (existing) {
        ctl_error ("agency %s already exists (%s); nothing changed", id,
                   tsg_agency_status_name (existing->status));
        tsunagu__v1__agency_entry__free_unpacked (existing, NULL);
        return false;
    }
    if (rc != TSG_OK || txn_rc != TSG_OK) {
        ctl_error ("cannot read the registry: %s", tsg_strerror (rc != TSG_OK ? rc : txn_rc));
        return false;
    }
    return true;
}

/* Asks the coordinator to register the agency with keys' public halves. */
static bool
s_register (const ctl_site_t *site, const s_add_args_t *args, const tsg_keys_t *keys)
{
    char box[41], sign[41], what[64];
    tsg_key_to_z85 (tsg_keys_box_public (keys), box);
    tsg_key_to_z85 (tsg_keys_sign_public (keys), sign);
    snprintf (what, sizeof what, "register %s", args->id);
    json_t *request = json_pack (
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "command", "agency-add", "id", args->id, "type",
        args->type, "name", args->name, "box_public", box, "sign_public", sign, "response_due_days",
        (json_int_t) args->due_days, "receive_due_days", (json_int_t) args->receive_due_days);
    if (request && args->pending)
        json_object_set_new (request, "pending", json_true ());
    if (request && args->reason)
        json_object_set_new (request, "reason", json_string (args->reason));
    json_t *reply = ctl_coordinator_change (site, request, what);
    json_decref (reply);
    return reply != NULL;
}

/* What `agency add` says when it is done. */
static void
s_print_added (const s_add_args_t *args, const char *out, const char *http, int due_days)
{
    char *abs = realpath (out, NULL);
    const char *shown = abs ? abs : out;
    char respond[48], acknowledge[48];
    ctl_agency_days_text (args->due_days, (unsigned) due_days, respond);
    ctl_agency_days_text (args->receive_due_days,
                          args->receive_due_days ? args->receive_due_days : 1, acknowledge);
    printf ("registered %s: %s, %s (%s), %s\n"
            "bundle: %s\n"
            "token:  %s/http.token\n"
            "http:   %s\n"
            "due:    accept or reject within %s, acknowledge within %s\n"
            "start:  tsunagu-%s -c %s/agency.conf\n",
            args->id, args->name, args->type, ctl_type_label (args->type),
            args->pending ? "pending (nothing is admitted until: tsunaguctl agency approve ID)"
                          : "active",
            shown, shown, http, respond, acknowledge, args->type, shown);
    free (abs);
}

/* `agency add`: the bundle is written to a temporary folder beside --out, the registry entry
 * committed by the coordinator, and only then the folder renamed to --out, so a failure
 * leaves neither a bundle without an entry nor (short of a crash in between) the reverse. */
int
ctl_agency_add (const ctl_options_t *options, int argc, char **argv)
{
    s_add_args_t args = { 0 };
    int exit_code = s_add_parse (argc, argv, &args);
    if (exit_code >= 0)
        return exit_code;
    char out[PATH_MAX], parent[PATH_MAX], tmp[PATH_MAX];
    if (!s_out_paths (args.out, out, parent, tmp))
        return CTL_EXIT_FAIL;
    tsg_store_t *store = NULL;
    ctl_site_t *site = ctl_site_open (options, &store);
    size_t count = 0;
    if (!site || !s_first_look (store, args.id, &count)) {
        ctl_site_destroy (&site);
        return CTL_EXIT_FAIL;
    }
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
    bool tmp_made = mkdtemp (tmp) != NULL;
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
    if (!tmp_made)
        ctl_error ("cannot create a folder in %s: %s", parent, strerror (errno));
    else if (ctl_bundle_write (tmp, &bundle, keys, NULL, err, sizeof err) != TSG_OK)
        ctl_error ("cannot write the bundle: %s; nothing changed", err);
    else if (s_register (site, &args, keys)) {
        /* An empty --out folder is replaced by the rename. */
        if (rename (tmp, out) != 0)
            ctl_error ("%s is registered but its bundle could not be moved into place (%s): "
                       "it is complete in %s; move it to %s",
                       args.id, strerror (errno), tmp, out);
        else {
            s_sync_dir (parent);
            exit_code = CTL_EXIT_OK;
        }
        tmp_made = false;
    }
    if (tmp_made && ctl_remove_tree (tmp) != 0)
        ctl_error ("could not remove %s: %s", tmp, strerror (errno));
    s_hold_signals (false, &saved);
    tsg_keys_destroy (&keys);
    ctl_site_destroy (&site);
    if (exit_code == CTL_EXIT_OK)
        s_print_added (&args, out, http, due_days);
    return exit_code;
}
