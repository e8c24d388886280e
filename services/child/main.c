/* tsunagu-child: the agency daemon of a こども家庭センター (children and families centre). */
#include <stdio.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_agency.h"

/* This daemon's entry in the policy table (services/agency/policy.c). */
#define AGENCY_TYPE "child"

int
main (int argc, char *argv[])
{
    tsg_agency_options_t options;
    int rc = tsg_agency_options (argc, argv, AGENCY_TYPE, &options);
    if (rc >= 0)
        return rc;
    log_init ("tsunagu-" AGENCY_TYPE, options.verbose);

    tsg_agency_config_t *config = tsg_agency_config_load (options.config_path, AGENCY_TYPE);
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
