/* cmd_backup.c — `tsunaguctl backup DIR` (a hot copy of the coordinator's store and audit log,
 * with a manifest) and `tsunaguctl backup verify DIR`. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "backup.h"

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: tsunaguctl [-d DATA_DIR] backup DIR [--with-keys]\n"
             "       tsunaguctl backup verify DIR [--json]\n"
             "backup copies the coordinator's store (compacted, in one read transaction) and its\n"
             "audit log up to the head that copy committed into DIR, a new or empty folder it\n"
             "makes owner-only (0700, files 0600), with MANIFEST.json (versions, the audit\n"
             "head, each file's size and SHA-256).  It runs while the coordinator serves.\n"
             "The keys and coordinator.conf stay out unless --with-keys is given: keep them\n"
             "apart from the backups (docs/operations.md).\n"
             "verify re-hashes every file, opens the store copy and checks the audit chain up\n"
             "to its head; it names each file that is wrong (exit 1).\n");
}

/* `backup verify DIR [--json]`. */
static int
s_verify (int argc, char **argv)
{
    const char *dir = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--json") == 0)
            json = true;
        else if (argv[i][0] == '-') {
            ctl_error ("backup verify: unexpected option \"%s\"", argv[i]);
            return CTL_EXIT_USAGE;
        }
        else if (!dir)
            dir = argv[i];
        else {
            ctl_error ("backup verify: one folder only (\"%s\")", argv[i]);
            return CTL_EXIT_USAGE;
        }
    }
    if (!dir) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *report = json ? open_memstream (&text, &len) : stdout;
    if (!report) {
        ctl_error ("out of memory");
        return CTL_EXIT_FAIL;
    }
    tsg_hub_audit_head_t head;
    tsg_manifest_t *manifest = NULL;
    int problems = ctl_backup_check (dir, report, &head, &manifest);
    if (json) {
        fclose (report);
        json_t *out =
            json_pack ("{s:s, s:b, s:i}", "dir", dir, "ok", problems == 0, "problems", problems);
        if (out && problems > 0)
            json_object_set_new (out, "why", json_string (text ? text : ""));
        if (out && manifest) {
            json_object_set_new (out, "audit_seq", json_integer ((json_int_t) head.seq));
            json_object_set (out, "created_at",
                             (json_t *) tsg_manifest_get (manifest, "created_at"));
        }
        free (text);
        tsg_manifest_destroy (&manifest);
        if (!ctl_print_json (out))
            return CTL_EXIT_FAIL;
        return problems == 0 ? CTL_EXIT_OK : CTL_EXIT_FAIL;
    }
    if (problems > 0) {
        printf ("%s: BROKEN: %d problem%s above; do not restore from it\n", dir, problems,
                problems == 1 ? "" : "s");
        return CTL_EXIT_FAIL;
    }
    printf ("%s: OK, %zu files match the manifest; the store opens; the audit chain verifies "
            "up to seq %" PRIu64 ", the head the store committed (taken %s from %s)\n",
            dir, tsg_manifest_files (manifest), head.seq,
            json_string_value (tsg_manifest_get (manifest, "created_at")),
            tsg_manifest_source (manifest));
    tsg_manifest_destroy (&manifest);
    return CTL_EXIT_OK;
}

int
cmd_backup (const ctl_options_t *options, int argc, char **argv)
{
    if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) {
        s_usage (argc < 2 ? stderr : stdout);
        return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
    }
    if (strcmp (argv[1], "verify") == 0)
        return s_verify (argc - 1, argv + 1);
    ctl_options_t opts = *options;
    const char *dir = NULL;
    bool with_keys = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--with-keys") == 0)
            with_keys = true;
        else if ((strcmp (argv[i], "-d") == 0 || strcmp (argv[i], "--data-dir") == 0)
                 && i + 1 < argc)
            opts.data_dir = argv[++i];
        else if (argv[i][0] == '-') {
            ctl_error ("backup: unexpected option \"%s\"", argv[i]);
            s_usage (stderr);
            return CTL_EXIT_USAGE;
        }
        else if (!dir)
            dir = argv[i];
        else {
            ctl_error ("backup: one folder only (\"%s\")", argv[i]);
            return CTL_EXIT_USAGE;
        }
    }
    if (!dir) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    ctl_site_t *site = ctl_site_open (&opts, NULL);
    if (!site)
        return CTL_EXIT_FAIL;
    bool ok = ctl_backup_take (ctl_site_data_dir (site), ctl_site_config_path (site),
                               ctl_site_public_path (site), ctl_site_sign_public (site), dir,
                               with_keys, stdout);
    ctl_site_destroy (&site);
    return ok ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}
