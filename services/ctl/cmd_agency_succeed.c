/* cmd_agency_succeed.c — `tsunaguctl agency succeed OLD NEW`: agency succession (組織改編),
 * asked of the coordinator (ctl_coordinator_ask), which checks it, moves OLD's cases to NEW,
 * flags the consents that name OLD, withholds OLD's waiting mail and revokes OLD, in one
 * transaction with its audit record (coordinator/daemon/succession.h). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency_cmds.h"

/* Prints what the coordinator did (reply: its answer). */
static void
s_report (const json_t *reply)
{
    const char *old = json_string_value (json_object_get (reply, "agency"));
    const char *new = json_string_value (json_object_get (reply, "successor"));
    const json_t *cases = json_object_get (reply, "cases");
    const json_t *renew = json_object_get (reply, "consents_to_renew");
    printf ("%s succeeded by %s (effective %s): %s -> revoked\n", old, new,
            json_string_value (json_object_get (reply, "effective_on")) ?: "?",
            json_string_value (json_object_get (reply, "was")) ?: "?");
    printf ("cases moved to %s: %zu\n", new, json_array_size (cases));
    size_t i;
    const json_t *item;
    json_array_foreach (cases, i, item)
    {
        printf ("  %s\n", json_string_value (item));
    }
    printf ("consents to renew (they name %s and do not cover %s): %zu\n", old, new,
            json_array_size (renew));
    json_array_foreach (renew, i, item)
    {
        printf ("  %s (case %s)\n", json_string_value (json_object_get (item, "consent_id")),
                json_string_value (json_object_get (item, "case_id")));
    }
    printf ("letters waiting for %s withheld (their senders are told to send them to %s): "
            "%lld\n",
            old, new, (long long) json_integer_value (json_object_get (reply, "withheld")));
}

/* `agency succeed OLD NEW [--reason TEXT] [--effective-on YYYY-MM-DD] [--json]`. */
int
ctl_agency_succeed (const ctl_options_t *options, int argc, char **argv)
{
    static const struct option long_options[] = {
        { "reason", required_argument, NULL, 'W' },
        { "effective-on", required_argument, NULL, 'E' },
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *ids[2] = { NULL, NULL }, *reason = NULL, *on = NULL;
    bool json = false;
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, "-:h", long_options, NULL)) != -1) {
        switch (opt) {
        case 1:
            if (ids[1]) {
                ctl_error ("agency succeed: unexpected argument \"%s\"", optarg);
                return CTL_EXIT_USAGE;
            }
            ids[ids[0] ? 1 : 0] = optarg;
            break;
        case 'W': reason = optarg; break;
        case 'E': on = optarg; break;
        case 'J': json = true; break;
        case 'h': ctl_agency_usage (stdout); return CTL_EXIT_OK;
        default:
            ctl_error ("agency succeed: unknown option or missing value: %s", argv[optind - 1]);
            ctl_agency_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (!ids[1]) {
        ctl_error ("agency succeed needs two agency ids: the agency succeeded and its successor");
        ctl_agency_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    if (!reason)
        fprintf (stderr, "tsunaguctl: note: no --reason given; the registry and the audit log "
                         "keep who changed it, but not why\n");
    ctl_site_t *site = ctl_site_open (options, NULL);
    if (!site)
        return CTL_EXIT_FAIL;
    char what[96];
    snprintf (what, sizeof what, "succeed %.32s by %.32s", ids[0], ids[1]);
    json_t *request = json_pack ("{s:s, s:s, s:s}", "command", "agency-succeed", "id", ids[0],
                                 "successor", ids[1]);
    if (request && reason)
        json_object_set_new (request, "reason", json_string (reason));
    if (request && on)
        json_object_set_new (request, "effective_on", json_string (on));
    json_t *reply = ctl_coordinator_change (site, request, what);
    ctl_site_destroy (&site);
    if (!reply)
        return CTL_EXIT_FAIL;
    bool ok = true;
    if (json) {
        json_object_del (reply, "ok");
        ok = ctl_print_json (json_incref (reply));
    }
    else
        s_report (reply);
    json_decref (reply);
    return ok ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}
