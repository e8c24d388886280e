/* main.c — tsunagu-coordinator: read the configuration, open the store, run the hub. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "coordinator/daemon/conf.h"
#include "coordinator/model/data_check.h"
#include "coordinator/model/schema.h"
#include "coordinator/daemon/hub.h"
#include "coordinator/daemon/offline.h"
#include "tsunagu/tsg_lock.h"

#define PROGNAME "tsunagu-coordinator"

static volatile sig_atomic_t s_stop = 0; /* set by SIGINT/SIGTERM */

static void
s_on_signal (int signo)
{
    (void) signo;
    s_stop = 1;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: " PROGNAME " [-nv] [-c FILE] [--apply]\n"
             "The tsunagu coordinator: stores and forwards letters between agencies.\n\n"
             "  -c, --config FILE  coordinator.conf (default: $TSUNAGU_DATA_DIR/coordinator.conf,\n"
             "                     else /var/lib/tsunagu/coordinator.conf)\n"
             "  -n                 check the configuration, the key file, the store and the\n"
             "                     audit log as start-up would (without binding), print every\n"
             "                     problem as file:line: or path: message, and exit (0: fine)\n"
             "  -v, --verbose      log every letter (debug)\n"
             "      --apply        while no coordinator runs on the data directory, answer one\n"
             "                     control request (JSON) from standard input on standard\n"
             "                     output and exit (how tsunaguctl changes the registry then)\n"
             "      --help         show this help\n"
             "      --version      show the version\n");
}

/* SIGINT and SIGTERM stop the loop; SIGPIPE is ignored. */
static void
s_signals (void)
{
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
}

int
main (int argc, char *argv[])
{
    static const struct option options[] = {
        { "config", required_argument, NULL, 'c' }, { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'H' },         { "version", no_argument, NULL, 'V' },
        { "apply", no_argument, NULL, 'A' },        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL;
    bool check_only = false, verbose = false, apply = false;
    int opt;
    while ((opt = getopt_long (argc, argv, "c:nvh", options, NULL)) != -1) {
        switch (opt) {
        case 'c': config = optarg; break;
        case 'n': check_only = true; break;
        case 'v': verbose = true; break;
        case 'A': apply = true; break;
        case 'h':
        case 'H': s_usage (stdout); return 0;
        case 'V': printf (PROGNAME " " TSUNAGU_VERSION "\n"); return 0;
        default: s_usage (stderr); return 1;
        }
    }
    if (optind < argc) {
        s_usage (stderr);
        return 1;
    }
    char default_config[4096];
    if (!config) {
        const char *dir = getenv ("TSUNAGU_DATA_DIR");
        snprintf (default_config, sizeof default_config, "%s/coordinator.conf",
                  dir && *dir ? dir : "/var/lib/tsunagu");
        config = default_config;
    }
    log_init (PROGNAME, verbose);

    tsg_keys_t *keys = NULL;
    tsg_hub_conf_t *conf = tsg_hub_conf_load (config, &keys, stderr);
    if (!conf)
        return 1;
    if (check_only) {
        /* The rest of what start-up checks, short of binding (the ports may be in use by the
         * running coordinator). */
        int problems = tsg_hub_schema_check (conf->data_dir, conf->map_size, stderr, stdout);
        if (problems == 0)
            problems = tsg_hub_conf_check_data (conf, keys, stderr);
        if (problems == 0)
            printf ("%s: configuration OK\n", config);
        tsg_keys_destroy (&keys);
        tsg_hub_conf_destroy (&conf);
        return problems == 0 ? 0 : 1;
    }
    if (apply) {
        int status = tsg_hub_offline_apply (conf, stdin, stdout);
        tsg_keys_destroy (&keys);
        tsg_hub_conf_destroy (&conf);
        return status;
    }
    /* One coordinator per data directory: the lock is the kernel's, dropped even on kill -9. */
    int lock = tsg_lock_take (conf->data_dir, TSG_COORDINATOR_LOCK_FILE, false);
    if (lock < 0) {
        log_warnx ("%s/%s: %s", conf->data_dir, TSG_COORDINATOR_LOCK_FILE,
                   errno == EWOULDBLOCK ? "another coordinator runs on this data directory"
                                        : strerror (errno));
        tsg_keys_destroy (&keys);
        tsg_hub_conf_destroy (&conf);
        return 1;
    }
    /* A restore half done leaves its journal: the store and the log may be of two states. */
    if (tsg_hub_restore_pending (conf->data_dir, stderr)) {
        tsg_lock_release (lock);
        tsg_keys_destroy (&keys);
        tsg_hub_conf_destroy (&conf);
        return 1;
    }

    /* A store of an older schema is copied, then migrated; a newer one is refused. */
    tsg_store_t *store = NULL;
    char why[512] = "";
    int rc = tsg_hub_store_open_current (conf->data_dir, conf->map_size, &store, why, sizeof why);
    if (rc != TSG_OK) {
        log_warnx ("%s/store: %s", conf->data_dir, why);
        tsg_keys_destroy (&keys);
        tsg_hub_conf_destroy (&conf);
        return 1;
    }
    s_signals ();

    tsg_hub_t *hub = tsg_hub_new (conf->listen, &keys, &store);
    if (hub)
        tsg_hub_set_limits (hub, &conf->limits, conf->map_max);
    if (hub
        && (tsg_hub_open_audit (hub, conf->data_dir) != TSG_OK
            || tsg_hub_set_keys_path (hub, conf->keys_path) != TSG_OK))
        tsg_hub_destroy (&hub);
    tsg_hub_http_conf_t http = { .listen = conf->http_listen,
                                 .token_sha256 = conf->has_token ? conf->token_sha256 : NULL,
                                 .session_idle_s = conf->session_idle_s,
                                 .session_max_s = conf->session_max_s,
                                 .tls_cert_pem = conf->tls_cert_pem,
                                 .tls_key_pem = conf->tls_key_pem };
    if (hub && tsg_hub_serve_http (hub, &http) != TSG_OK)
        tsg_hub_destroy (&hub);
    /* Without the control socket the hub still serves agencies; tsunaguctl says so. */
    if (hub)
        tsg_hub_serve_control (hub, conf->data_dir);
    tsg_hub_conf_destroy (&conf);
    if (!hub)
        return 1;
    log_info ("started (version " TSUNAGU_VERSION ")");
    rc = tsg_hub_run (hub, &s_stop);
    tsg_hub_destroy (&hub);
    log_info ("stopped");
    tsg_lock_release (lock);
    return rc == 0 ? 0 : 1;
}
