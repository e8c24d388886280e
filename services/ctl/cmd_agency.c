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

#include "ctl.h"

#define AGENCY_HTTP_BASE_PORT 7781

static void
s_usage (FILE *out)
{
    fprintf (
        out,
        "usage: tsunaguctl [-d DATA_DIR] agency add --id ID --type TYPE --name NAME --out DIR\n"
        "                                [--http HOST:PORT] [--due-days N]\n"
        "       tsunaguctl [-d DATA_DIR] agency list [--json]\n"
        "       tsunaguctl [-d DATA_DIR] agency show ID [--json]\n"
        "       tsunaguctl [-d DATA_DIR] agency suspend|resume|revoke ID\n"
        "       tsunaguctl [-d DATA_DIR] agency rotate-keys ID   (not yet supported)\n"
        "  --id        1-32 of a-z, 0-9 and '-', starting with a letter\n"
        "  --type      eldercare | disability | child | poverty\n"
        "  --name      the agency's name, UTF-8, at most 191 bytes\n"
        "  --out       the bundle folder to create (must not exist, or be empty)\n"
        "  --http      its HTTP API address (default 127.0.0.1:%d + agencies registered)\n"
        "  --due-days  response due days (default from the type: eldercare 7,\n"
        "              disability 14, child 3, poverty 7)\n",
        AGENCY_HTTP_BASE_PORT);
}

/* Opens the coordinator site named by the options and its store, printing why not
 * when it cannot.  Returns the site (caller destroys) or NULL. */
static ctl_site_t *
s_site_open (const ctl_options_t *options, tsg_store_t **store)
{
    char path[PATH_MAX];
    const char *config = options->config;
    if (!config) {
        if (snprintf (path, sizeof path, "%s/coordinator.conf", options->data_dir)
            >= (int) sizeof path) {
            ctl_error ("data directory path too long: %s", options->data_dir);
            return NULL;
        }
        config = path;
    }
    struct stat st;
    if (stat (config, &st) != 0) {
        ctl_error ("no coordinator configuration at %s (%s); run tsunaguctl -d DIR init first",
                   config, strerror (errno));
        return NULL;
    }
    ctl_site_t *site = ctl_site_load (config);
    if (!site) {
        ctl_error ("out of memory");
        return NULL;
    }
    if (ctl_site_errors (site) > 0) {
        ctl_site_report (site, stderr);
        ctl_error ("%s has errors; nothing changed", config);
        ctl_site_destroy (&site);
        return NULL;
    }
    int rc = ctl_site_store (site, store);
    if (rc != TSG_OK) {
        ctl_error ("cannot open the coordinator store of %s: %s", config, tsg_strerror (rc));
        ctl_site_destroy (&site);
        return NULL;
    }
    return site;
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

/* Columns a terminal gives to text: East Asian wide and fullwidth characters take two. */
static size_t
s_display_width (const char *text)
{
    size_t width = 0;
    const unsigned char *p = (const unsigned char *) text;
    while (*p) {
        unsigned long cp = *p;
        size_t n = 1;
        if (*p >= 0xf0) {
            cp = *p & 0x07;
            n = 4;
        }
        else if (*p >= 0xe0) {
            cp = *p & 0x0f;
            n = 3;
        }
        else if (*p >= 0xc0) {
            cp = *p & 0x1f;
            n = 2;
        }
        for (size_t i = 1; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                n = i;
                break;
            }
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        bool wide = (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf)
                    || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff)
                    || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60)
                    || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd);
        width += wide ? 2 : 1;
        p += n;
    }
    return width;
}

/* A JSON object describing entry; NULL on allocation failure. */
static json_t *
s_entry_json (const Tsunagu__V1__AgencyEntry *entry)
{
    char created[32], box[41], sign[41];
    s_created (entry, created);
    s_key_text (entry->box_public, box);
    s_key_text (entry->sign_public, sign);
    return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", entry->id, "type", entry->type,
                      "name", entry->name, "status", tsg_agency_status_name (entry->status),
                      "created_at", created, "box_public", box, "sign_public", sign);
}

/* Prints json with a newline; false when it could not be written. */
static bool
s_print_json (json_t *json)
{
    if (!json)
        return false;
    int rc = json_dumpf (json, stdout, JSON_INDENT (2));
    fputc ('\n', stdout);
    json_decref (json);
    return rc == 0;
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
    const char *id;   /* --id */
    const char *type; /* --type */
    const char *name; /* --name */
    const char *out;  /* --out */
    const char *http; /* --http, or NULL for the default */
    long due_days;    /* --due-days, or 0 for the type's default */
} s_add_args_t;

/* Parses `agency add` options into args; returns -1 to go on, else an exit code. */
static int
s_add_parse (int argc, char **argv, s_add_args_t *args)
{
    static const struct option long_options[] = {
        { "id", required_argument, NULL, 'i' },   { "type", required_argument, NULL, 't' },
        { "name", required_argument, NULL, 'N' }, { "out", required_argument, NULL, 'o' },
        { "http", required_argument, NULL, 'H' }, { "due-days", required_argument, NULL, 'D' },
        { "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
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
        case 'D': {
            char *end = NULL;
            errno = 0;
            args->due_days = strtol (optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || args->due_days < 1
                || args->due_days > 365) {
                ctl_error ("--due-days must be a number of days from 1 to 365, not \"%s\"", optarg);
                return CTL_EXIT_FAIL;
            }
            break;
        }
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
    ctl_site_t *site = s_site_open (options, &store);
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
    int due_days = args.due_days > 0 ? (int) args.due_days : ctl_type_due_days (args.type);

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
    printf ("registered %s: %s, %s (%s), active\n"
            "bundle: %s\n"
            "token:  %s/http.token\n"
            "http:   %s\n"
            "due:    %d days\n"
            "start:  tsunagu-%s -c %s/agency.conf\n",
            args.id, args.name, args.type, ctl_type_label (args.type), shown, shown, http, due_days,
            args.type, shown);
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
    ctl_site_t *site = s_site_open (options, &store);
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
        ok = s_print_json (array);
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
            w = s_display_width (entries[i]->name);
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
                    (int) (name_width - s_display_width (name)), "", created);
        }
    }
    tsg_registry_free_list (entries, count);
    if (!ok) {
        ctl_error ("cannot write the list: %s", strerror (errno));
        return CTL_EXIT_FAIL;
    }
    return CTL_EXIT_OK;
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
    ctl_site_t *site = s_site_open (options, &store);
    if (!site)
        return CTL_EXIT_FAIL;
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    Tsunagu__V1__AgencyEntry *entry = tsg_registry_get (&txn, id);
    int rc = txn.rc;
    tsg_txn_abort (&txn);
    ctl_site_destroy (&site);
    if (!entry) {
        if (rc != TSG_OK)
            ctl_error ("cannot read the registry: %s", tsg_strerror (rc));
        else
            ctl_error ("no agency \"%s\"", id);
        return CTL_EXIT_FAIL;
    }
    bool ok = true;
    if (json)
        ok = s_print_json (s_entry_json (entry));
    else {
        char created[32], box[41], sign[41];
        s_created (entry, created);
        s_key_text (entry->box_public, box);
        s_key_text (entry->sign_public, sign);
        printf ("id:          %s\n"
                "type:        %s (%s)\n"
                "name:        %s\n"
                "status:      %s\n"
                "created:     %s\n"
                "box_public:  %s\n"
                "sign_public: %s\n",
                entry->id, entry->type, ctl_type_label (entry->type), entry->name,
                tsg_agency_status_name (entry->status), created, box, sign);
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
    ctl_site_t *site = s_site_open (options, &store);
    if (!site)
        return CTL_EXIT_FAIL;

    int exit_code = CTL_EXIT_FAIL;
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);
    Tsunagu__V1__AgencyEntry *entry = tsg_registry_get (&txn, id);
    if (!entry) {
        if (txn.rc != TSG_OK)
            ctl_error ("cannot read the registry: %s", tsg_strerror (txn.rc));
        else
            ctl_error ("no agency \"%s\"", id);
        tsg_txn_abort (&txn);
        goto done;
    }
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
