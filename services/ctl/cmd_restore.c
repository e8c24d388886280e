/* cmd_restore.c — `tsunaguctl restore DIR`: a coordinator backup back into the data directory,
 * the coordinator stopped.
 *
 * Crash safety: under the data directory's lock (no coordinator can start meanwhile) the
 * backup is checked, its store and log are copied in beside the live ones under temporary
 * names (".restoring") and synced, DATA_DIR/restore.journal is written, then each file is put
 * in place by one rename (the old one kept as a hard link, ".pre-restore-<ms>"), and the
 * journal removed.  A crash before the journal leaves the old state (the temporary files are
 * replaced by the next attempt); a crash after it leaves a journal that `-n` and start-up
 * refuse on, and the same restore run again finishes the job. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "coordinator/model/data_check.h"
#include "tsunagu/tsg_backup.h"
#include "tsunagu/tsg_lock.h"

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: tsunaguctl [-d DATA_DIR] restore DIR\n"
             "Puts the store and the audit log of the backup in DIR (tsunaguctl backup) into the\n"
             "coordinator's data directory.  The coordinator must be stopped.  The backup is\n"
             "verified first (as `backup verify`); the replaced files stay beside the new ones\n"
             "as *.pre-restore-<time>.  The keys and coordinator.conf are not touched: the\n"
             "data directory must have them already (copy them back first when restoring onto\n"
             "a new machine).\n");
}

/* Copies dir's file rel into the data directory's staged name, checking its size.  False with
 * err set. */
static bool
s_stage (const char *dir, const char *rel, const char *staged, uint64_t size, char *err,
         size_t err_size)
{
    char from[4096];
    if (!tsg_path (from, sizeof from, "%s/%s", dir, rel)) {
        snprintf (err, err_size, "%s: path too long", dir);
        return false;
    }
    unlink (staged); /* left by an attempt that stopped before its journal */
    return tsg_backup_file_copy (from, staged, size, err, err_size) == TSG_OK;
}

/* The size the manifest lists for path. */
static uint64_t
s_size (const tsg_manifest_t *manifest, const char *path)
{
    for (size_t i = 0; i < tsg_manifest_files (manifest); i++)
        if (strcmp (tsg_manifest_file_path (manifest, i), path) == 0)
            return tsg_manifest_file_size (manifest, i);
    return 0;
}

/* Stages, journals and installs the backup's store and log into data_dir.  False with err. */
static bool
s_install (const char *dir, const char *data_dir, const tsg_manifest_t *manifest, char *err,
           size_t err_size)
{
    char store_dir[4096], store[4096], store_new[4096], store_old[4096];
    char log[4096], log_new[4096], log_old[4096], journal[4096];
    uint64_t now = tsg_now_ms ();
    if (!tsg_path (store_dir, sizeof store_dir, "%s/store", data_dir)
        || !tsg_path (store, sizeof store, "%s/data.mdb", store_dir)
        || !tsg_path (store_new, sizeof store_new, "%s.restoring", store)
        || !tsg_path (store_old, sizeof store_old, "%s.pre-restore-%" PRIu64, store, now)
        || !tsg_path (log, sizeof log, "%s/%s", data_dir, TSG_HUB_AUDIT_FILE)
        || !tsg_path (log_new, sizeof log_new, "%s.restoring", log)
        || !tsg_path (log_old, sizeof log_old, "%s.pre-restore-%" PRIu64, log, now)
        || !tsg_path (journal, sizeof journal, "%s/%s", data_dir, TSG_HUB_RESTORE_JOURNAL)) {
        snprintf (err, err_size, "%s: path too long", data_dir);
        return false;
    }
    if (!tsg_mkdir_p (store_dir, 0700)) {
        snprintf (err, err_size, "%s: cannot create it: %s", store_dir, strerror (errno));
        return false;
    }
    if (!s_stage (dir, CTL_BACKUP_STORE, store_new, s_size (manifest, CTL_BACKUP_STORE), err,
                  err_size)
        || !s_stage (dir, TSG_HUB_AUDIT_FILE, log_new, s_size (manifest, TSG_HUB_AUDIT_FILE), err,
                     err_size)
        || tsg_backup_dir_sync (store_dir, err, err_size) != TSG_OK)
        return false;
    json_t *record = json_pack ("{s:s, s:s, s:I}", "backup", dir, "source",
                                tsg_manifest_source (manifest), "at_ms", (json_int_t) now);
    char *text = record ? json_dumps (record, JSON_COMPACT) : NULL;
    json_decref (record);
    int rc = text ? tsg_write_file (journal, text, strlen (text), 0600) : TSG_ERR_NOMEM;
    free (text);
    if (rc != TSG_OK) {
        snprintf (err, err_size, "%s: cannot write it: %s", journal, tsg_strerror (rc));
        return false;
    }
    if (tsg_backup_dir_sync (data_dir, err, err_size) != TSG_OK
        || tsg_backup_install (store_new, store, store_old, err, err_size) != TSG_OK
        || tsg_backup_install (log_new, log, log_old, err, err_size) != TSG_OK)
        return false;
    /* The old environment's reader table means nothing to the new file. */
    char lock[4096];
    if (tsg_path (lock, sizeof lock, "%s/lock.mdb", store_dir))
        unlink (lock);
    if (unlink (journal) != 0 || tsg_backup_dir_sync (data_dir, err, err_size) != TSG_OK) {
        snprintf (err, err_size, "%s: cannot remove it: %s", journal, strerror (errno));
        return false;
    }
    return true;
}

/* Warns when the backup was taken from a coordinator of another signing key than this data
 * directory's: the agencies' bundles pin the key of the coordinator they were made by (a key
 * rotated since is fine: its hand-over letter told them). */
static void
s_keys_warning (const tsg_manifest_t *manifest, const uint8_t *sign_public)
{
    const char *then = json_string_value (tsg_manifest_get (manifest, "coordinator_sign_public"));
    char now[41];
    if (!then || !sign_public)
        return;
    tsg_key_to_z85 (sign_public, now);
    if (strcmp (then, now) != 0)
        fprintf (stderr,
                 "tsunaguctl: restore: warning: the backup was taken from a coordinator whose "
                 "signing key was %s; this data directory's is %s (agencies whose bundles pin "
                 "the other key will not accept this coordinator's directory)\n",
                 then, now);
}

/* Refuses while a coordinator runs on data_dir: true (after printing why) when one does. */
static bool
s_running (const char *data_dir)
{
    char store_dir[4096];
    if (!tsg_path (store_dir, sizeof store_dir, "%s/store", data_dir)) {
        ctl_error ("restore: %s: path too long", data_dir);
        return true;
    }
    if (tsg_lock_held (data_dir, TSG_COORDINATOR_LOCK_FILE)) {
        ctl_error ("restore: a coordinator runs on %s (it holds %s/%s): stop it first", data_dir,
                   data_dir, TSG_COORDINATOR_LOCK_FILE);
        return true;
    }
    if (tsg_backup_store_in_use (store_dir)) {
        ctl_error ("restore: another process has the store %s open: stop it first", store_dir);
        return true;
    }
    return false;
}

int
cmd_restore (const ctl_options_t *options, int argc, char **argv)
{
    ctl_options_t opts = *options;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
            s_usage (stdout);
            return CTL_EXIT_OK;
        }
        if ((strcmp (argv[i], "-d") == 0 || strcmp (argv[i], "--data-dir") == 0) && i + 1 < argc)
            opts.data_dir = argv[++i];
        else if (argv[i][0] == '-' || dir) {
            ctl_error ("restore: unexpected argument \"%s\"", argv[i]);
            s_usage (stderr);
            return CTL_EXIT_USAGE;
        }
        else
            dir = argv[i];
    }
    if (!dir) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    ctl_site_t *site = ctl_site_open (&opts, NULL);
    if (!site)
        return CTL_EXIT_FAIL;
    const char *data_dir = ctl_site_data_dir (site);
    int lock = -1;
    if (!s_running (data_dir)) {
        lock = tsg_lock_take (data_dir, TSG_COORDINATOR_LOCK_FILE, false);
        if (lock < 0)
            ctl_error ("restore: %s/%s: %s", data_dir, TSG_COORDINATOR_LOCK_FILE,
                       errno == EWOULDBLOCK ? "a coordinator runs on this data directory"
                                            : strerror (errno));
    }
    if (lock < 0) {
        ctl_site_destroy (&site);
        return CTL_EXIT_FAIL;
    }
    tsg_hub_audit_head_t head;
    tsg_manifest_t *manifest = NULL;
    int problems = ctl_backup_check (dir, stderr, &head, &manifest);
    char err[8192] = "";
    bool ok = problems == 0;
    if (!ok)
        ctl_error ("restore: %s is not a whole backup (%d problem%s above): nothing was changed",
                   dir, problems, problems == 1 ? "" : "s");
    else {
        s_keys_warning (manifest, ctl_site_sign_public (site));
        ok = s_install (dir, data_dir, manifest, err, sizeof err);
        /* The agencies sent letters after the backup that it does not hold: their sequences
         * run ahead of the restored store's, which the coordinator then takes as the new base
         * for each, once. */
        char resync[4096], when[32];
        snprintf (when, sizeof when, "%llu\n", (unsigned long long) tsg_now_ms ());
        if (ok
            && (!tsg_path (resync, sizeof resync, "%s/%s", data_dir, TSG_HUB_RESTORE_RESYNC)
                || tsg_write_file (resync, when, strlen (when), 0600) != TSG_OK)) {
            snprintf (err, sizeof err, "cannot write %s/%s", data_dir, TSG_HUB_RESTORE_RESYNC);
            ok = false;
        }
        if (!ok)
            ctl_error ("restore: %s", err);
        else
            printf ("%s: restored from %s (taken %s from %s): the store and the audit log up to "
                    "seq %" PRIu64 "; the files replaced are kept as *.pre-restore-*.  Check with "
                    "tsunaguctl audit verify, then start the coordinator.\n",
                    data_dir, dir, json_string_value (tsg_manifest_get (manifest, "created_at")),
                    tsg_manifest_source (manifest), head.seq);
    }
    tsg_manifest_destroy (&manifest);
    tsg_lock_release (lock);
    ctl_site_destroy (&site);
    return ok ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}
