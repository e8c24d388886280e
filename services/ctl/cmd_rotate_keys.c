/* cmd_rotate_keys.c — `tsunaguctl rotate-keys`: new keys for the coordinator itself, handed
 * over to every agency by the current signing key, switched to when all hold them or at the
 * deadline (`--finish`: now).  docs/configuration.md, "The coordinator's own keys". */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define ROTATE_DAYS_DEFAULT 14

typedef struct {
    const char *reason; /* --reason, or NULL */
    long days;          /* --deadline-days */
    bool finish;        /* --finish */
} s_args_t;

static void
s_usage (FILE *out)
{
    fprintf (
        out,
        "usage: tsunaguctl rotate-keys [--deadline-days N] [--reason TEXT]\n"
        "       tsunaguctl rotate-keys --finish [--reason TEXT]\n"
        "\n"
        "New signing and transport keys for the coordinator.  Every agency is handed them\n"
        "over in its next directory, signed by the current key, and keeps working without a\n"
        "new bundle.  The coordinator switches when every active agency holds them, or after\n"
        "N days (default %d, at most %d) at the latest; --finish switches now.  An agency\n"
        "that was never online meanwhile needs the new [coordinator] keys in its agency.conf.\n",
        ROTATE_DAYS_DEFAULT, CTL_DEADLINE_DAYS_MAX);
}

/* Parses the arguments; -1 to go on, else the exit code. */
static int
s_parse (int argc, char **argv, s_args_t *args)
{
    static const struct option long_options[] = {
        { "deadline-days", required_argument, NULL, 'D' },
        { "reason", required_argument, NULL, 'W' },
        { "finish", no_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    args->days = ROTATE_DAYS_DEFAULT;
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, "+:h", long_options, NULL)) != -1) {
        switch (opt) {
        case 'D':
            if (!ctl_deadline_days_parse (optarg, &args->days))
                return CTL_EXIT_USAGE;
            break;
        case 'W': args->reason = optarg; break;
        case 'F': args->finish = true; break;
        case 'h': s_usage (stdout); return CTL_EXIT_OK;
        default:
            ctl_error ("rotate-keys: unknown option or missing value: %s", argv[optind - 1]);
            s_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        ctl_error ("rotate-keys: unexpected argument \"%s\"", argv[optind]);
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    return -1;
}

int
cmd_rotate_keys (const ctl_options_t *options, int argc, char **argv)
{
    s_args_t args = { 0 };
    int exit_code = s_parse (argc, argv, &args);
    if (exit_code >= 0)
        return exit_code;
    ctl_site_t *site = ctl_site_open (options, NULL);
    if (!site)
        return CTL_EXIT_FAIL;
    json_t *request = args.finish
                          ? json_pack ("{s:s}", "command", "coordinator-rotate-finish")
                          : json_pack ("{s:s, s:I}", "command", "coordinator-rotate", "deadline_ms",
                                       (json_int_t) (tsg_now_ms () + args.days * 86400000ULL));
    if (request && args.reason)
        json_object_set_new (request, "reason", json_string (args.reason));
    json_t *reply =
        ctl_coordinator_change (site, request,
                                args.finish ? "finish the rotation of the coordinator's keys"
                                            : "rotate the coordinator's keys");
    ctl_site_destroy (&site);
    if (!reply)
        return CTL_EXIT_FAIL;
    if (args.finish)
        printf ("%s\n", json_is_true (json_object_get (reply, "switched"))
                            ? "the coordinator's new keys are its keys now"
                            : "the coordinator switches to its new keys within a second; "
                              "agencies connect again with them");
    else {
        char until[32];
        ctl_time_jst (json_string_value (json_object_get (reply, "switch_by")), until);
        printf ("the coordinator's next keys (signing %s) are handed over to every agency in "
                "its directory;\n"
                "it switches when every active agency holds them, at %s JST at the latest\n"
                "(tsunaguctl rotate-keys --finish switches now; tsunaguctl status shows who "
                "holds them)\n",
                json_string_value (json_object_get (reply, "next_sign_public")), until);
    }
    json_decref (reply);
    return CTL_EXIT_OK;
}
