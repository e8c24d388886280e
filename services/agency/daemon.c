/* daemon.c — what every agency daemon's main does, after OpenSMTPD: parse options, load and
 * check the configuration (-n stops there), open the store and bind, run the loop, clean up. */
#include <stdio.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_agency.h"

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
        fprintf (stderr, "%s: configuration OK\n", options.config_path);
        tsg_agency_config_destroy (&config);
        return 0;
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
