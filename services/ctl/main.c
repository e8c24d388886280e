/* main.c — tsunaguctl, the administrator's command line: global options, then one subcommand. */
#include <getopt.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "coordinator/model/data_check.h"
#include "coordinator/model/schema.h"
#include "ctl.h"

#define CTL_DATA_DIR_DEFAULT "/var/lib/tsunagu"

/* `tsunaguctl user ...`: the dashboard's staff accounts (cmd_user.c). */
int cmd_user (const ctl_options_t *options, int argc, char **argv);

/* `tsunaguctl top`: the overview as a live terminal view (cmd_top.c). */
int cmd_top (const ctl_options_t *options, int argc, char **argv);

/* `tsunaguctl rotate-keys`: the coordinator's own keys (cmd_rotate_keys.c). */
int cmd_rotate_keys (const ctl_options_t *options, int argc, char **argv);

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: tsunaguctl [-v] [-d DATA_DIR] [-c FILE] [-n] COMMAND [ARGS]\n"
             "\n"
             "Commands:\n"
             "  init [--listen ENDPOINT] [--http HOST:PORT] [--public-endpoint ENDPOINT]\n"
             "      create a coordinator data directory: keys, coordinator.conf, store\n"
             "  agency add --id ID --type TYPE --name NAME --out DIR [--http HOST:PORT]\n"
             "             [--due-days N] [--receive-due-days N] [--pending] [--reason TEXT]\n"
             "      register an agency and write its bundle (config, keys, token) to DIR;\n"
             "      --pending admits nothing until `agency approve ID`\n"
             "  agency list [--json]           list the registered agencies\n"
             "  agency show ID [--json]        one agency, with its public keys and due days\n"
             "  agency set-due-days ID [--due-days N] [--receive-due-days N]\n"
             "      change the due days the directory publishes for an agency\n"
             "  agency approve|suspend|resume|revoke ID [--reason TEXT]\n"
             "      change an agency's status (pending -> active -> suspended <-> active ->\n"
             "      revoked, final); recorded with who and why; a running coordinator follows\n"
             "  agency rotate-keys ID --out DIR [--deadline-days N]\n"
             "      new keys for an agency (a bundle in DIR); the old ones are refused once it\n"
             "      is heard with the new ones, or after N days (default 7)\n"
             "  agency succeed OLD NEW [--reason TEXT] [--effective-on DATE]\n"
             "      succession (組織改編): NEW takes OLD's cases and roles, consents naming\n"
             "      OLD are flagged for renewal, OLD's waiting mail is withheld, OLD revoked\n"
             "  rotate-keys [--deadline-days N] [--reason TEXT] | --finish\n"
             "      new keys for the coordinator, handed over to the agencies by the current\n"
             "      key; it switches when all hold them, after N days (default 14) at the latest\n"
             "  case list [--state S] [--agency A] [--tag T] [--overdue] [--limit N]\n"
             "            [--after CASE_ID] [--json]\n"
             "      the cases the coordinator tracks (read from its store)\n"
             "  case show CASE_ID [--json]     one case: its record, referrals and timeline\n"
             "  case event CASE_ID --type TYPE --base-version N [...]\n"
             "      a case event by the coordinator's staff (sent to the running coordinator;\n"
             "      tsunaguctl case event --help lists the options)\n"
             "  referral overdue [--kind received|accepted] [--limit N] [--json]\n"
             "      the referrals past their due date\n"
             "  stats [--json]                 the indicators: times to received, accepted,\n"
             "                                 plan and closure; agencies per case; reopen rate\n"
             "  ping [--json]                  ask the running coordinator whether it answers\n"
             "  top [--interval S] [--once] [--lang ja|en]\n"
             "      the overview (概況) of the running coordinator, redrawn until q or Ctrl-C\n"
             "  status [--json] [--offline-hours H] [--mail-hours H] [--store-percent P]\n"
             "      agencies online and offline, mailboxes, directory, store, audit head, and\n"
             "      what needs a person (exit 1 when anything does; tsunaguctl status --help)\n"
             "  audit verify [-d DATA_DIR] [--json]\n"
             "      check the audit log's hash chain; names the first broken link (exit 1)\n"
             "  audit show [--last N] [--json] the audit log's records\n"
             "  backup DIR [--with-keys]       a hot copy of the store and the audit log (cut at\n"
             "                                 the store's head) with a manifest, into a new DIR\n"
             "  backup verify DIR [--json]     re-hash a backup, open its store, check its chain\n"
             "  restore DIR                    put a backup back (the coordinator stopped)\n"
             "  user add --name NAME --role viewer|coordinator|admin [--password-stdin]\n"
             "  user passwd --name NAME [--password-stdin]\n"
             "  user role --name NAME --role ROLE\n"
             "  user disable|enable|remove --name NAME\n"
             "  user list [--json]\n"
             "      the staff accounts of the web dashboard (tsunaguctl user --help)\n"
             "\n"
             "Options:\n"
             "  -d, --data-dir DIR   the coordinator data directory\n"
             "                       (default $TSUNAGU_DATA_DIR, else " CTL_DATA_DIR_DEFAULT ")\n"
             "  -c, --config FILE    the coordinator configuration\n"
             "                       (default DATA_DIR/coordinator.conf)\n"
             "  -n                   check the configuration, the keys, the store and the\n"
             "                       audit log as the coordinator's start-up would, print\n"
             "                       every problem, exit\n"
             "  -v, --verbose        log more\n"
             "  -h, --help           print this text\n"
             "      --version        print the version\n"
             "\n"
             "Agency types: eldercare (地域包括支援センター), disability (相談支援事業所),\n"
             "child (こども家庭センター), poverty (自立相談支援機関).\n");
}

/* -n: loads the coordinator configuration, prints every problem, and returns the exit code. */
static int
s_check (const ctl_options_t *options)
{
    char path[PATH_MAX];
    const char *config = options->config;
    if (!config) {
        snprintf (path, sizeof path, "%s/coordinator.conf", options->data_dir);
        config = path;
    }
    ctl_site_t *site = ctl_site_load (config);
    if (!site) {
        ctl_error ("out of memory");
        return CTL_EXIT_FAIL;
    }
    int errors = ctl_site_errors (site);
    if (errors > 0)
        ctl_site_report (site, stderr);
    /* The store and the audit log agree as start-up needs (coordinator/model/data_check.c). */
    if (errors == 0 && ctl_site_data_dir (site))
        errors += tsg_hub_data_check (ctl_site_data_dir (site), 0, stderr);
    /* Its schema: a store newer than this version is refused (coordinator/model/schema.h). */
    if (errors == 0 && ctl_site_data_dir (site))
        errors += tsg_hub_schema_check (ctl_site_data_dir (site), 0, stderr, stdout);
    if (errors == 0)
        printf ("%s: configuration OK\n", config);
    ctl_site_destroy (&site);
    return errors > 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

int
main (int argc, char **argv)
{
    static const struct option long_options[] = {
        { "data-dir", required_argument, NULL, 'd' }, { "config", required_argument, NULL, 'c' },
        { "verbose", no_argument, NULL, 'v' },        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },        { NULL, 0, NULL, 0 },
    };
    ctl_options_t options = { 0 };
    bool check = false;
    int opt;
    while ((opt = getopt_long (argc, argv, "+d:c:nvh", long_options, NULL)) != -1) {
        switch (opt) {
        case 'd': options.data_dir = optarg; break;
        case 'c': options.config = optarg; break;
        case 'n': check = true; break;
        case 'v': options.verbose = true; break;
        case 'h': s_usage (stdout); return CTL_EXIT_OK;
        case 'V': printf ("tsunaguctl %s\n", TSUNAGU_VERSION); return CTL_EXIT_OK;
        default: s_usage (stderr); return CTL_EXIT_USAGE;
        }
    }
    if (!options.data_dir) {
        const char *env = getenv ("TSUNAGU_DATA_DIR");
        options.data_dir = env && *env ? env : CTL_DATA_DIR_DEFAULT;
    }
    log_init ("tsunaguctl", options.verbose);
    if (sodium_init () < 0) {
        ctl_error ("libsodium could not be initialised");
        return CTL_EXIT_FAIL;
    }
    if (check)
        return s_check (&options);
    if (optind >= argc) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    const char *command = argv[optind];
    if (strcmp (command, "init") == 0)
        return cmd_init (&options, argc - optind, argv + optind);
    if (strcmp (command, "agency") == 0)
        return cmd_agency (&options, argc - optind, argv + optind);
    if (strcmp (command, "case") == 0)
        return cmd_case (&options, argc - optind, argv + optind);
    if (strcmp (command, "referral") == 0)
        return cmd_referral (&options, argc - optind, argv + optind);
    if (strcmp (command, "stats") == 0)
        return cmd_stats (&options, argc - optind, argv + optind);
    if (strcmp (command, "ping") == 0)
        return cmd_ping (&options, argc - optind, argv + optind);
    if (strcmp (command, "top") == 0)
        return cmd_top (&options, argc - optind, argv + optind);
    if (strcmp (command, "status") == 0)
        return cmd_status (&options, argc - optind, argv + optind);
    if (strcmp (command, "audit") == 0)
        return cmd_audit (&options, argc - optind, argv + optind);
    if (strcmp (command, "user") == 0)
        return cmd_user (&options, argc - optind, argv + optind);
    if (strcmp (command, "backup") == 0)
        return cmd_backup (&options, argc - optind, argv + optind);
    if (strcmp (command, "rotate-keys") == 0)
        return cmd_rotate_keys (&options, argc - optind, argv + optind);
    if (strcmp (command, "restore") == 0)
        return cmd_restore (&options, argc - optind, argv + optind);
    if (strcmp (command, "help") == 0) {
        s_usage (stdout);
        return CTL_EXIT_OK;
    }
    ctl_error ("unknown command \"%s\"", command);
    s_usage (stderr);
    return CTL_EXIT_USAGE;
}
