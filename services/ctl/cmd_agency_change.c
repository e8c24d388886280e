/* cmd_agency_change.c — `tsunaguctl agency approve|suspend|resume|revoke|set-due-days`: changes of
 * a registry entry, asked of the coordinator (ctl_coordinator_ask), which checks, writes and audits
 * them. */
#include <getopt.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency_cmds.h"

/* `agency approve|suspend|resume|revoke ID [--reason TEXT]`: the coordinator checks the
 * change against the lifecycle (pending → active → suspended ⇄ active → revoked, final),
 * writes it with who asked and why, which bumps the registry generation, and audits it. */
int
ctl_agency_set_status (const ctl_options_t *options, int argc, char **argv)
{
    static const struct option long_options[] = {
        { "reason", required_argument, NULL, 'W' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *verb = argv[0];
    const char *target = strcmp (verb, "suspend") == 0  ? "suspended"
                         : strcmp (verb, "revoke") == 0 ? "revoked"
                                                        : "active";
    const char *id = NULL, *reason = NULL;
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, "-:h", long_options, NULL)) != -1) {
        switch (opt) {
        case 1:
            if (id) {
                ctl_error ("agency %s: unexpected argument \"%s\"", verb, optarg);
                return CTL_EXIT_USAGE;
            }
            id = optarg;
            break;
        case 'W': reason = optarg; break;
        case 'h': ctl_agency_usage (stdout); return CTL_EXIT_OK;
        default:
            ctl_error ("agency %s: unknown option or missing value: %s", verb, argv[optind - 1]);
            ctl_agency_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (!id) {
        ctl_error ("agency %s needs exactly one agency id", verb);
        ctl_agency_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    if (!reason && (strcmp (verb, "suspend") == 0 || strcmp (verb, "revoke") == 0))
        fprintf (stderr, "tsunaguctl: note: no --reason given; the registry and the audit log "
                         "keep who changed it, but not why\n");
    ctl_site_t *site = ctl_site_open (options, NULL);
    if (!site)
        return CTL_EXIT_FAIL;
    char what[64];
    snprintf (what, sizeof what, "%s %s", verb, id);
    json_t *request = json_pack ("{s:s, s:s, s:s, s:s}", "command", "agency-status", "id", id,
                                 "verb", verb, "status", target);
    if (request && reason)
        json_object_set_new (request, "reason", json_string (reason));
    json_t *reply = ctl_coordinator_change (site, request, what);
    ctl_site_destroy (&site);
    if (!reply)
        return CTL_EXIT_FAIL;
    if (!json_is_true (json_object_get (reply, "changed")))
        printf ("%s is already %s; nothing changed\n", id, target);
    else {
        printf ("%s: %s -> %s\n", id, json_string_value (json_object_get (reply, "was")) ?: "?",
                target);
        printf ("a running coordinator picks up the change by itself\n");
    }
    json_decref (reply);
    return CTL_EXIT_OK;
}

/* `agency set-due-days ID [--due-days N] [--receive-due-days N]`: the coordinator writes the
 * new days (not for a revoked agency), so it publishes them in its next directory. */
int
ctl_agency_set_due_days (const ctl_options_t *options, int argc, char **argv)
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
        case 'h': ctl_agency_usage (stdout); return CTL_EXIT_OK;
        default:
            ctl_error ("agency set-due-days: unknown option or missing value: %s",
                       argv[optind - 1]);
            ctl_agency_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (!id || (!set_response && !set_receive)) {
        ctl_error ("agency set-due-days needs an agency id and --due-days or --receive-due-days");
        ctl_agency_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    ctl_site_t *site = ctl_site_open (options, NULL);
    if (!site)
        return CTL_EXIT_FAIL;
    json_t *request = json_pack ("{s:s, s:s}", "command", "agency-due-days", "id", id);
    if (request && set_response)
        json_object_set_new (request, "response_due_days", json_integer (response));
    if (request && set_receive)
        json_object_set_new (request, "receive_due_days", json_integer (receive));
    char what[64];
    snprintf (what, sizeof what, "change %s", id);
    json_t *reply = ctl_coordinator_change (site, request, what);
    ctl_site_destroy (&site);
    if (!reply)
        return CTL_EXIT_FAIL;
    json_t *agency = json_object_get (reply, "agency");
    if (!json_is_true (json_object_get (reply, "changed")))
        printf ("%s already has these due days; nothing changed\n", id);
    else {
        Tsunagu__V1__AgencyEntry entry = TSUNAGU__V1__AGENCY_ENTRY__INIT;
        entry.type = (char *) json_string_value (json_object_get (agency, "type"));
        entry.response_due_days =
            (uint32_t) json_integer_value (json_object_get (agency, "response_due_days"));
        entry.receive_due_days =
            (uint32_t) json_integer_value (json_object_get (agency, "receive_due_days"));
        char respond[48], acknowledge[48];
        ctl_agency_days_text (entry.response_due_days, ctl_agency_response_days (&entry), respond);
        ctl_agency_days_text (entry.receive_due_days, ctl_agency_receive_days (&entry),
                              acknowledge);
        printf ("%s: accept or reject within %s, acknowledge within %s\n"
                "new referrals to %s get these due dates; a running coordinator publishes them "
                "by itself\n",
                id, respond, acknowledge, id);
    }
    json_decref (reply);
    return CTL_EXIT_OK;
}
