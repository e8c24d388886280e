/* cmd_agency_rotate.c — `tsunaguctl agency rotate-keys ID --out DIR`: new keys for an agency
 * and the bundle that carries them; the coordinator admits them beside the current keys until
 * the agency is heard with them or the deadline passes (docs/configuration.md, Key rotation). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agency_cmds.h"

#include "coordinator/model/store.h"

#define ROTATE_DAYS_DEFAULT 7

typedef struct {
    const char *id;     /* the agency */
    const char *out;    /* --out: the new bundle's folder (new, or empty) */
    const char *http;   /* --http: the bundle's API address (default 127.0.0.1:7781) */
    const char *reason; /* --reason, or NULL */
    long days;          /* --deadline-days */
} s_rotate_args_t;

/* Parses the arguments; -1 to go on, else the exit code. */
static int
s_parse (int argc, char **argv, s_rotate_args_t *args)
{
    static const struct option long_options[] = {
        { "out", required_argument, NULL, 'o' },
        { "http", required_argument, NULL, 'H' },
        { "reason", required_argument, NULL, 'W' },
        { "deadline-days", required_argument, NULL, 'D' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    args->days = ROTATE_DAYS_DEFAULT;
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, "-:h", long_options, NULL)) != -1) {
        switch (opt) {
        case 1:
            if (args->id) {
                ctl_error ("agency rotate-keys: unexpected argument \"%s\"", optarg);
                return CTL_EXIT_USAGE;
            }
            args->id = optarg;
            break;
        case 'o': args->out = optarg; break;
        case 'H': args->http = optarg; break;
        case 'W': args->reason = optarg; break;
        case 'D':
            if (!ctl_deadline_days_parse (optarg, &args->days))
                return CTL_EXIT_USAGE;
            break;
        case 'h': ctl_agency_usage (stdout); return CTL_EXIT_OK;
        default:
            ctl_error ("agency rotate-keys: unknown option or missing value: %s", argv[optind - 1]);
            ctl_agency_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (!args->id || !args->out) {
        ctl_error ("agency rotate-keys needs an agency id and --out DIR");
        ctl_agency_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    if (args->http && !ctl_http_listen_valid (args->http)) {
        ctl_error ("--http must be HOST:PORT, not \"%s\"", args->http);
        return CTL_EXIT_USAGE;
    }
    return -1;
}

/* Asks the coordinator to admit keys beside the agency's current ones until the deadline. */
static bool
s_ask (const ctl_site_t *site, const s_rotate_args_t *args, const tsg_keys_t *keys)
{
    char box[41], sign[41], what[64];
    tsg_key_to_z85 (tsg_keys_box_public (keys), box);
    tsg_key_to_z85 (tsg_keys_sign_public (keys), sign);
    snprintf (what, sizeof what, "rotate the keys of %s", args->id);
    json_t *request = json_pack ("{s:s, s:s, s:s, s:s, s:I}", "command", "agency-rotate", "id",
                                 args->id, "box_public", box, "sign_public", sign, "deadline_ms",
                                 (json_int_t) (tsg_now_ms () + args->days * 86400000ULL));
    if (request && args->reason)
        json_object_set_new (request, "reason", json_string (args->reason));
    json_t *reply = ctl_coordinator_change (site, request, what);
    json_decref (reply);
    return reply != NULL;
}

int
ctl_agency_rotate (const ctl_options_t *options, int argc, char **argv)
{
    s_rotate_args_t args = { 0 };
    int exit_code = s_parse (argc, argv, &args);
    if (exit_code >= 0)
        return exit_code;
    tsg_store_t *store = NULL;
    ctl_site_t *site = ctl_site_open (options, &store);
    if (!site)
        return CTL_EXIT_FAIL;
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    Tsunagu__V1__AgencyEntry *entry = ctl_registry_entry (&txn, args.id);
    if (entry)
        tsg_txn_abort (&txn);
    tsg_keys_t *keys = entry ? tsg_keys_generate (args.id) : NULL;
    exit_code = CTL_EXIT_FAIL;
    char err[4200] = "";
    if (entry && !keys)
        ctl_error ("cannot generate keys: %s", tsg_strerror (TSG_ERR_NOMEM));
    else if (entry && mkdir (args.out, 0700) != 0 && errno != EEXIST)
        ctl_error ("cannot create %s: %s", args.out, strerror (errno));
    else if (entry) {
        ctl_bundle_t bundle = {
            .id = entry->id,
            .type = entry->type,
            .name = entry->name,
            .http_listen = args.http ? args.http : "127.0.0.1:7781",
            .due_days = (int) ctl_agency_response_days (entry),
            .coordinator_endpoint = ctl_site_public_endpoint (site),
            .coordinator_box = ctl_site_box_public (site),
            .coordinator_sign = ctl_site_sign_public (site),
            .coordinator_public_path = ctl_site_public_path (site),
        };
        if (ctl_bundle_write (args.out, &bundle, keys, NULL, err, sizeof err) != TSG_OK)
            ctl_error ("cannot write the bundle into %s (it must be new or empty): %s; nothing "
                       "changed",
                       args.out, err);
        else if (!s_ask (site, &args, keys))
            ctl_remove_tree (args.out);
        else
            exit_code = CTL_EXIT_OK;
    }
    if (exit_code == CTL_EXIT_OK)
        printf ("%s: new keys in %s/keys/agency.key; the coordinator admits them beside the "
                "current ones for %ld day%s\n"
                "install: copy keys/agency.key over the agency's own (keep its data folder) and "
                "restart its daemon;\n"
                "         once it is heard with the new keys the old ones are refused (at the "
                "latest when the %ld day%s end)\n",
                args.id, args.out, args.days, args.days == 1 ? "" : "s", args.days,
                args.days == 1 ? "" : "s");
    tsg_keys_destroy (&keys);
    if (entry)
        tsunagu__v1__agency_entry__free_unpacked (entry, NULL);
    ctl_site_destroy (&site);
    return exit_code;
}
