/* daemon.c — what every agency daemon's main does, after OpenSMTPD: parse options (the command
 * line the four daemons share), load and check the configuration (-n stops there), open the
 * store and bind, install the signal handlers, run the loop, clean up. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_agency.h"
#include "agency/records/schema.h"
#include "agency/records/store.h"
#include "agency/daemon/backup.h"

static void
s_usage (FILE *out, const char *type)
{
    const tsg_agency_policy_t *policy = tsg_agency_policy_find (type);
    fprintf (
        out,
        "usage: tsunagu-%s [-nv] [-c FILE] [--backup DIR | --restore DIR]\n"
        "The agency daemon of a %s (%s).\n"
        "\n"
        "  -c, --config FILE  agency.conf of the bundle (default /etc/tsunagu/%s/agency.conf)\n"
        "  -n, --check        check the configuration, the keys and the store as start-up\n"
        "                     would, print every problem, and exit\n"
        "      --backup DIR   copy the store (hot, compacted, with MANIFEST.json) into DIR, a\n"
        "                     new or empty folder (0700); the bundle's keys are not in it\n"
        "      --restore DIR  check the backup in DIR and put its store in place (the daemon\n"
        "                     stopped; the old store is kept as data.mdb.pre-restore-*)\n"
        "  -v, --verbose      log debug messages\n"
        "  -h, --help         show this help\n"
        "  -V, --version      show the version\n",
        type, policy ? policy->name_ja : type, policy ? policy->name_en : type, type);
}

int
tsg_agency_options (int argc, char *argv[], const char *type, tsg_agency_options_t *out)
{
    static char default_path[128];
    static const struct option options[] = {
        { "config", required_argument, NULL, 'c' },  { "check", no_argument, NULL, 'n' },
        { "verbose", no_argument, NULL, 'v' },       { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },       { "backup", required_argument, NULL, 'B' },
        { "restore", required_argument, NULL, 'R' }, { NULL, 0, NULL, 0 }
    };

    snprintf (default_path, sizeof default_path, "/etc/tsunagu/%s/agency.conf", type);
    memset (out, 0, sizeof *out);
    out->config_path = default_path;
    int c;
    optind = 1;
    while ((c = getopt_long (argc, argv, "c:nvhV", options, NULL)) != -1) {
        switch (c) {
        case 'c': out->config_path = optarg; break;
        case 'n': out->check_only = true; break;
        case 'v': out->verbose = true; break;
        case 'B': out->backup_dir = optarg; break;
        case 'R': out->restore_dir = optarg; break;
        case 'h': s_usage (stdout, type); return 0;
        case 'V': printf ("tsunagu-%s %s\n", type, TSUNAGU_VERSION); return 0;
        default: s_usage (stderr, type); return 1;
        }
    }
    if ((out->backup_dir != NULL) + (out->restore_dir != NULL) + out->check_only > 1) {
        fprintf (stderr, "tsunagu-%s: -n, --backup and --restore go alone\n", type);
        return 1;
    }
    if (optind < argc) {
        fprintf (stderr, "tsunagu-%s: unexpected argument '%s'\n", type, argv[optind]);
        s_usage (stderr, type);
        return 1;
    }
    return -1;
}

/* -n: what tsg_agency_new would find in the data directory, creating nothing: a directory it
 * can write (or, when absent, a parent where it can make one) and, when it holds a store, a
 * store that opens and reads (read transactions do not disturb a running daemon).  Prints
 * every problem as "path: message" to report; returns how many. */
static int
s_check_data (const tsg_agency_config_t *config, FILE *report)
{
    const char *dir = config->data_dir;
    struct stat st;
    if (!dir)
        return 0;
    if (stat (dir, &st) != 0) {
        if (errno != ENOENT) {
            fprintf (report, "%s: %s\n", dir, strerror (errno));
            return 1;
        }
        /* Start-up makes it, and its missing parents, from the nearest one there is. */
        char parent[4096];
        snprintf (parent, sizeof parent, "%s", dir);
        char *slash;
        while ((slash = strrchr (parent, '/')) && slash != parent) {
            *slash = '\0';
            if (stat (parent, &st) == 0)
                break;
        }
        if (slash == parent)
            snprintf (parent, sizeof parent, "/");
        else if (!slash)
            snprintf (parent, sizeof parent, ".");
        if (stat (parent, &st) != 0 || !S_ISDIR (st.st_mode) || access (parent, W_OK | X_OK) != 0) {
            fprintf (report, "%s: absent, and it cannot be made in %s\n", dir, parent);
            return 1;
        }
        return 0;
    }
    if (!S_ISDIR (st.st_mode)) {
        fprintf (report, "%s: not a directory\n", dir);
        return 1;
    }
    if (access (dir, W_OK | X_OK) != 0) {
        fprintf (report, "%s: cannot write here: %s\n", dir, strerror (errno));
        return 1;
    }
    char path[4096];
    snprintf (path, sizeof path, "%s/data.mdb", dir);
    if (stat (path, &st) != 0)
        return 0; /* start-up creates the store */
    tsg_store_t *store = NULL;
    int rc =
        agency_store_open (dir, config->map_size ? config->map_size : 256u * 1024 * 1024, &store);
    if (rc != TSG_OK) {
        fprintf (report, "%s: cannot open the store: %s\n", dir, tsg_strerror (rc));
        return 1;
    }
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    agency_meta_get_u64 (&txn, AGENCY_META_SEQUENCE, 1);
    rc = txn.rc;
    tsg_txn_abort (&txn);
    unsigned version = 0;
    char why[512] = "";
    bool usable = rc == TSG_OK && agency_schema_usable (store, &version, why, sizeof why);
    tsg_store_destroy (&store);
    if (rc != TSG_OK) {
        fprintf (report, "%s: cannot read the store: %s\n", dir, tsg_strerror (rc));
        return 1;
    }
    if (!usable) { /* as start-up refuses it (agency_store_open_current) */
        fprintf (report, "%s: %s\n", dir, why);
        return 1;
    }
    if (version >= 1 && version < AGENCY_SCHEMA)
        fprintf (report,
                 "%s: schema %u; start-up copies it to %s/" TSG_SCHEMA_BACKUP_PREFIX
                 "%u/data.mdb and migrates it to schema %u\n",
                 dir, version, dir, version + 1, AGENCY_SCHEMA);
    return 0;
}

int
tsg_agency_main (int argc, char *argv[], const char *type)
{
    tsg_agency_options_t options;
    int rc = tsg_agency_options (argc, argv, type, &options);
    if (rc >= 0)
        return rc;
    static char progname[64]; /* log_init keeps the pointer */
    snprintf (progname, sizeof progname, "tsunagu-%s", type);
    log_init (progname, options.verbose);

    tsg_agency_config_t *config = tsg_agency_config_load (options.config_path, type);
    if (!config)
        fatalx ("out of memory");
    if (config->errors > 0) {
        fputs (config->report ? config->report : "configuration errors\n", stderr);
        tsg_agency_config_destroy (&config);
        return 1;
    }
    if (options.check_only) {
        /* The rest of what start-up checks, short of binding (the port may be in use by the
         * running daemon). */
        int problems = s_check_data (config, stderr);
        problems += agency_backup_check_keys (config, stderr);
        if (problems == 0)
            fprintf (stderr, "%s: configuration OK\n", options.config_path);
        tsg_agency_config_destroy (&config);
        return problems == 0 ? 0 : 1;
    }
    if (options.backup_dir || options.restore_dir) {
        rc = options.backup_dir ? agency_backup_take (config, options.backup_dir, stdout)
                                : agency_backup_restore (config, options.restore_dir, stdout);
        tsg_agency_config_destroy (&config);
        return rc;
    }

    char err[256];
    tsg_agency_t *agency = tsg_agency_new (&config, err, sizeof err);
    if (!agency)
        fatalx ("%s", err);
    if (tsg_agency_start (agency) != TSG_OK) {
        tsg_agency_destroy (&agency);
        fatalx ("cannot start: see the messages above");
    }
    tsg_agency_signals ();
    rc = tsg_agency_run (agency);
    tsg_agency_destroy (&agency);
    return rc;
}
