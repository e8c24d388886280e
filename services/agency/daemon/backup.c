/* backup.c — `tsunagu-<type> --backup DIR` and `--restore DIR`: the agency's store copied hot
 * and compacted with a manifest, checked, and put back by one rename (backup.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_backup.h"
#include "tsunagu/tsg_manifest.h"
#include "agency/core/standing.h"
#include "agency/daemon/backup.h"
#include "agency/records/directory.h"
#include "agency/records/store.h"

#define S_STORE "store/data.mdb" /* the store's copy, in the folder */

/* Adds each META "*.version" (be64) of the copy to the object arg. */
static void
s_version (void *arg, const char *key, size_t key_len, const void *val, size_t val_len)
{
    char name[128];
    if (key_len >= sizeof name || val_len != 8)
        return;
    memcpy (name, key, key_len);
    name[key_len] = '\0';
    json_object_set_new (arg, name, json_integer ((json_int_t) tsg_be64_get (val)));
}

int
agency_backup_take (const tsg_agency_config_t *config, const char *dir, FILE *out)
{
    char err[8192] = "", copy[4096], source[PATH_MAX];
    struct stat st;
    bool existed = stat (dir, &st) == 0;
    if (tsg_backup_dir_make (dir, err, sizeof err) != TSG_OK) {
        fprintf (stderr, "backup: %s\n", err);
        return 1;
    }
    if (!realpath (config->data_dir, source))
        snprintf (source, sizeof source, "%s", config->data_dir);
    tsg_manifest_t *manifest = tsg_manifest_new ("agency", source);
    bool ok = manifest && tsg_path (copy, sizeof copy, "%s/%s", dir, S_STORE);
    if (!ok)
        snprintf (err, sizeof err, "out of memory, or a path too long");
    if (ok)
        ok = tsg_backup_subdir_make (dir, "store", err, sizeof err) == TSG_OK
             && tsg_backup_store_copy (config->data_dir, copy, err, sizeof err) == TSG_OK;
    if (ok) {
        json_t *versions = json_object ();
        tsg_backup_store_scan (copy, "meta", ".version", s_version, versions, NULL, 0);
        tsg_manifest_set (manifest, "store_versions", versions);
        tsg_manifest_set (
            manifest, "store_format",
            json_pack ("{s:s, s:s}", "engine", "lmdb", "version", MDB_VERSION_STRING));
        tsg_manifest_set (manifest, "agency_id", json_string (config->id));
        tsg_manifest_set (manifest, "agency_type", json_string (config->type));
        tsg_manifest_set (manifest, "with_keys", json_false ());
        ok = tsg_manifest_add_file (manifest, dir, S_STORE, err, sizeof err) == TSG_OK
             && tsg_manifest_write (manifest, dir, err, sizeof err) == TSG_OK;
    }
    if (!ok) {
        fprintf (stderr, "backup: %s\n", err);
        /* Only what this backup wrote: the folder was absent or empty. */
        unlink (copy);
        if (tsg_path (copy, sizeof copy, "%s/store", dir))
            rmdir (copy);
        if (!existed)
            rmdir (dir);
        tsg_manifest_destroy (&manifest);
        return 1;
    }
    fprintf (out,
             "%s: backup of the store of %s (%s) taken: %" PRIu64 " bytes, compacted; the "
             "bundle's keys, agency.conf and http.token are not in it (keep them apart)\n",
             dir, config->id, source, tsg_manifest_file_size (manifest, 0));
    tsg_manifest_destroy (&manifest);
    return 0;
}

/* Checks the agency backup in dir for config's agency; prints problems to stderr and returns
 * how many, with *manifest (the caller's) set when there were none. */
static int
s_check (const tsg_agency_config_t *config, const char *dir, tsg_manifest_t **manifest)
{
    char err[8192], copy[4096];
    *manifest = tsg_manifest_load (dir, err, sizeof err);
    if (!*manifest) {
        fprintf (stderr, "%s\n", err);
        return 1;
    }
    const char *kind = tsg_manifest_kind (*manifest);
    const char *id = json_string_value (tsg_manifest_get (*manifest, "agency_id"));
    int problems = 0;
    if (strcmp (kind, "agency") != 0 || !tsg_manifest_has_file (*manifest, S_STORE)) {
        fprintf (stderr, "%s/%s: not the backup of an agency's store\n", dir, TSG_MANIFEST_FILE);
        problems++;
    }
    else if (!id || strcmp (id, config->id) != 0) {
        fprintf (stderr, "%s/%s: the backup of agency \"%s\", not of \"%s\"\n", dir,
                 TSG_MANIFEST_FILE, id ? id : "?", config->id);
        problems++;
    }
    if (problems == 0)
        problems += tsg_manifest_check_files (*manifest, dir, stderr);
    uint8_t value[8];
    size_t len = 0;
    if (problems == 0 && tsg_path (copy, sizeof copy, "%s/%s", dir, S_STORE)) {
        int rc = tsg_backup_store_read (copy, "meta", AGENCY_META_SEQUENCE, value, sizeof value,
                                        &len, err, sizeof err);
        if (rc != TSG_OK && rc != TSG_ERR_NOT_FOUND) {
            fprintf (stderr, "%s\n", err);
            problems++;
        }
    }
    if (problems > 0)
        tsg_manifest_destroy (manifest);
    return problems;
}

int
agency_backup_restore (const tsg_agency_config_t *config, const char *dir, FILE *out)
{
    const char *data_dir = config->data_dir;
    if (tsg_backup_store_in_use (data_dir)) {
        fprintf (stderr,
                 "restore: the store in %s is open in another process (the daemon runs): stop "
                 "it first\n",
                 data_dir);
        return 1;
    }
    tsg_manifest_t *manifest = NULL;
    int problems = s_check (config, dir, &manifest);
    if (problems > 0) {
        fprintf (stderr,
                 "restore: %s is not a whole backup (%d problem%s above): nothing was "
                 "changed\n",
                 dir, problems, problems == 1 ? "" : "s");
        return 1;
    }
    char err[8192] = "", from[4096], staged[4096], final[4096], keep[4096], lock[4096];
    uint64_t now = tsg_now_ms ();
    bool ok = tsg_path (from, sizeof from, "%s/%s", dir, S_STORE)
              && tsg_path (final, sizeof final, "%s/data.mdb", data_dir)
              && tsg_path (staged, sizeof staged, "%s.restoring", final)
              && tsg_path (keep, sizeof keep, "%s.pre-restore-%" PRIu64, final, now)
              && tsg_path (lock, sizeof lock, "%s/lock.mdb", data_dir);
    if (!ok)
        snprintf (err, sizeof err, "%s: path too long", data_dir);
    if (ok && !tsg_mkdir_p (data_dir, 0700)) {
        snprintf (err, sizeof err, "%s: cannot create it: %s", data_dir, strerror (errno));
        ok = false;
    }
    if (ok) {
        unlink (staged); /* left by an attempt that stopped half way */
        ok = tsg_backup_file_copy (from, staged, tsg_manifest_file_size (manifest, 0), err,
                                   sizeof err)
                 == TSG_OK
             && tsg_backup_install (staged, final, keep, err, sizeof err) == TSG_OK;
    }
    if (ok)
        unlink (lock); /* the old environment's reader table */
    char flag[4096];
    if (ok && tsg_path (flag, sizeof flag, "%s/%s", data_dir, AGENCY_SEQUENCE_UNKNOWN_FILE)
        && tsg_write_file (flag, "restored\n", 9, 0600) != TSG_OK) {
        snprintf (err, sizeof err, "%s: cannot write it", flag);
        ok = false;
    }
    if (!ok)
        fprintf (stderr, "restore: %s\n", err);
    else
        fprintf (out,
                 "%s: the store of %s restored from %s (taken %s); the store replaced, if any, "
                 "is kept as data.mdb.pre-restore-%" PRIu64 "\n",
                 data_dir, config->id, dir,
                 json_string_value (tsg_manifest_get (manifest, "created_at")), now);
    tsg_manifest_destroy (&manifest);
    return ok ? 0 : 1;
}

int
agency_backup_check_keys (const tsg_agency_config_t *config, FILE *report)
{
    char path[4096];
    struct stat st;
    if (!config->data_dir || !tsg_path (path, sizeof path, "%s/data.mdb", config->data_dir)
        || stat (path, &st) != 0)
        return 0;
    tsg_store_t *store = NULL;
    if (agency_store_open (config->data_dir, config->map_size ? config->map_size : 256u << 20,
                           &store)
        != TSG_OK)
        return 0; /* the store's own check says why */
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    MDB_val val;
    bool found = tsg_txn_get (&txn, tsg_store_db (store, AGENCY_DB_META), AGENCY_META_DIRECTORY,
                              strlen (AGENCY_META_DIRECTORY), &val);
    agency_coordinator_pin_t pin;
    agency_pin_load (&txn, config->coordinator_box, config->coordinator_sign, &pin);
    agency_directory_t *directory =
        found ? agency_directory_restore_pinned (val.mv_data, val.mv_size, &pin) : NULL;
    tsg_txn_abort (&txn);
    tsg_store_destroy (&store);
    if (found && !directory)
        fprintf (report,
                 "%s: warning: the directory kept in the store does not verify with the "
                 "coordinator's sign_public of the configuration or the keys it handed over to "
                 "(another coordinator, or its key changed): the daemon starts without it and "
                 "waits for a new one\n",
                 config->data_dir);
    agency_directory_destroy (&directory);
    return 0;
}
