/* backup_take.c — a hot backup of the coordinator's data directory: the store copied in one
 * LMDB read transaction, the audit log cut at the head that copy committed, a manifest.
 *
 * Why the log cut there is consistent: the coordinator writes a batch's records into
 * audit.log, fdatasyncs, and only then commits the batch with the new head in META; it never
 * rewrites bytes below a committed head.  So the head the copy holds (read from the copy,
 * which is the copy's read transaction) names bytes of the live file that are already written
 * and never change: those bytes, and no more, are the log that belongs to the copy. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "coordinator/model/data_check.h"
#include "tsunagu/tsg_backup.h"

/* Adds each META "*.version" (be64) of the copy to the object arg. */
static void
s_version (void *arg, const char *key, size_t key_len, const void *val, size_t val_len)
{
    char name[128];
    if (key_len >= sizeof name)
        return;
    memcpy (name, key, key_len);
    name[key_len] = '\0';
    if (val_len == 8)
        json_object_set_new (arg, name, json_integer ((json_int_t) tsg_be64_get (val)));
}

/* Reads the committed audit head of the store copy at path (a zero head when it holds none).
 * False with err set when the copy does not open or the head is malformed. */
static bool
s_copy_head (const char *path, tsg_hub_audit_head_t *head, char *err, size_t err_size)
{
    uint8_t value[64];
    size_t len = 0;
    int rc = tsg_backup_store_read (path, "meta", TSG_HUB_AUDIT_HEAD_KEY, value, sizeof value, &len,
                                    err, err_size);
    memset (head, 0, sizeof *head);
    if (rc == TSG_ERR_NOT_FOUND)
        return true; /* no decision committed yet */
    if (rc != TSG_OK)
        return false;
    if (!tsg_hub_audit_head_decode (value, len, head)) {
        snprintf (err, err_size, "%s: the store's %s is malformed", path, TSG_HUB_AUDIT_HEAD_KEY);
        return false;
    }
    return true;
}

/* The head as the manifest lists it. */
static json_t *
s_head_json (const tsg_hub_audit_head_t *head)
{
    char hex[65];
    tsg_hex_encode (head->hash, 32, hex);
    return json_pack ("{s:I, s:I, s:s}", "seq", (json_int_t) head->seq, "offset",
                      (json_int_t) head->offset, "hash", hex);
}

/* Copies the key files, the configuration and the HTTP token into dir (for --with-keys), each
 * listed in the manifest.  False with err set. */
static bool
s_copy_keys (const char *data_dir, const char *config_path, const char *public_path,
             const char *dir, tsg_manifest_t *manifest, char *err, size_t err_size)
{
    char secret[4096], token[4096], next[4200], previous[4200];
    size_t len = strlen (public_path);
    if (len < 4 || len >= sizeof secret || strcmp (public_path + len - 4, ".pub") != 0) {
        snprintf (err, err_size, "%s: not a .pub file next to the secret key", public_path);
        return false;
    }
    snprintf (secret, sizeof secret, "%.*s.key", (int) (len - 4), public_path);
    snprintf (token, sizeof token, "%s/http.token", data_dir);
    snprintf (next, sizeof next, "%s.next", secret); /* a rotation of the coordinator's keys */
    snprintf (previous, sizeof previous, "%s.previous", secret);
    struct stat st;
    const struct {
        const char *from; /* in the data directory */
        const char *to;   /* in the backup */
        bool optional;    /* may be absent */
    } files[] = { { config_path, "coordinator.conf", false },
                  { secret, "keys/coordinator.key", false },
                  { public_path, "keys/coordinator.pub", false },
                  { token, "http.token", true },
                  { next, "keys/coordinator.key.next", true },
                  { previous, "keys/coordinator.key.previous", true } };
    if (tsg_backup_subdir_make (dir, "keys", err, err_size) != TSG_OK)
        return false;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (stat (files[i].from, &st) != 0 && files[i].optional)
            continue;
        char dest[4096];
        snprintf (dest, sizeof dest, "%s/%s", dir, files[i].to);
        if (stat (files[i].from, &st) != 0) {
            snprintf (err, err_size, "%s: %s", files[i].from, strerror (errno));
            return false;
        }
        if (tsg_backup_file_copy (files[i].from, dest, (uint64_t) st.st_size, err, err_size)
                != TSG_OK
            || tsg_manifest_add_file (manifest, dir, files[i].to, err, err_size) != TSG_OK)
            return false;
    }
    return true;
}

/* The store and the log into dir, listed in manifest; false with err set. */
static bool
s_copy_data (const char *data_dir, const char *dir, tsg_manifest_t *manifest,
             tsg_hub_audit_head_t *head, char *err, size_t err_size)
{
    char from[4096], to[4096];
    snprintf (from, sizeof from, "%s/store", data_dir);
    snprintf (to, sizeof to, "%s/%s", dir, CTL_BACKUP_STORE);
    if (tsg_backup_subdir_make (dir, "store", err, err_size) != TSG_OK
        || tsg_backup_store_copy (from, to, err, err_size) != TSG_OK
        || !s_copy_head (to, head, err, err_size))
        return false;
    json_t *versions = json_object ();
    tsg_backup_store_scan (to, "meta", ".version", s_version, versions, NULL, 0);
    tsg_manifest_set (manifest, "store_versions", versions);
    tsg_manifest_set (manifest, "store_format",
                      json_pack ("{s:s, s:s}", "engine", "lmdb", "version", MDB_VERSION_STRING));
    tsg_manifest_set (manifest, "audit_head", s_head_json (head));
    snprintf (from, sizeof from, "%s/%s", data_dir, TSG_HUB_AUDIT_FILE);
    snprintf (to, sizeof to, "%s/%s", dir, TSG_HUB_AUDIT_FILE);
    struct stat st;
    const char *source = head->offset == 0 && stat (from, &st) != 0 ? "/dev/null" : from;
    if (tsg_backup_file_copy (source, to, head->offset, err, err_size) != TSG_OK)
        return false;
    /* The cut log must end exactly at the head the copy committed. */
    tsg_hub_audit_check_t check;
    int rc = tsg_hub_audit_check_file (to, &check, NULL, NULL);
    if ((rc != TSG_OK && !(rc == TSG_ERR_NOT_FOUND && head->seq == 0))
        || (head->seq > 0
            && (check.end.seq != head->seq || memcmp (check.end.hash, head->hash, 32) != 0
                || check.end.offset != head->offset))) {
        snprintf (err, err_size,
                  "%s: its first %" PRIu64 " bytes are not the chain the store committed up to "
                  "seq %" PRIu64 " (%s): run tsunaguctl audit verify",
                  from, head->offset, head->seq, check.why[0] ? check.why : "another chain");
        return false;
    }
    return tsg_manifest_add_file (manifest, dir, CTL_BACKUP_STORE, err, err_size) == TSG_OK
           && tsg_manifest_add_file (manifest, dir, TSG_HUB_AUDIT_FILE, err, err_size) == TSG_OK;
}

bool
ctl_backup_take (const char *data_dir, const char *config_path, const char *public_path,
                 const uint8_t *sign_public, const char *dir, bool with_keys, FILE *out)
{
    char err[8192] = "";
    struct stat st;
    bool existed = stat (dir, &st) == 0;
    if (tsg_backup_dir_make (dir, err, sizeof err) != TSG_OK) {
        ctl_error ("backup: %s", err);
        return false;
    }
    char source[PATH_MAX];
    if (!realpath (data_dir, source))
        snprintf (source, sizeof source, "%s", data_dir);
    tsg_manifest_t *manifest = tsg_manifest_new ("coordinator", source);
    tsg_hub_audit_head_t head;
    bool ok = manifest != NULL;
    if (!ok)
        snprintf (err, sizeof err, "out of memory");
    if (ok)
        ok = s_copy_data (data_dir, dir, manifest, &head, err, sizeof err);
    if (ok && with_keys)
        ok = s_copy_keys (data_dir, config_path, public_path, dir, manifest, err, sizeof err);
    if (ok)
        tsg_manifest_set (manifest, "with_keys", json_boolean (with_keys));
    char z85[41];
    if (ok && sign_public) {
        tsg_key_to_z85 (sign_public, z85);
        tsg_manifest_set (manifest, "coordinator_sign_public", json_string (z85));
    }
    if (ok)
        ok = tsg_manifest_write (manifest, dir, err, sizeof err) == TSG_OK;
    char sub[4096];
    snprintf (sub, sizeof sub, "%s/store", dir);
    if (ok)
        ok = tsg_backup_dir_sync (sub, err, sizeof err) == TSG_OK
             && tsg_backup_dir_sync (dir, err, sizeof err) == TSG_OK;
    if (!ok) {
        ctl_error ("backup: %s", err);
        ctl_remove_tree (dir);
        if (existed)
            mkdir (dir, TSG_BACKUP_DIR_MODE);
        tsg_manifest_destroy (&manifest);
        return false;
    }
    fprintf (out,
             "%s: backup of %s taken: the store (%" PRIu64 " bytes, compacted) and the audit "
             "log up to seq %" PRIu64 " (%" PRIu64 " bytes)%s\n",
             dir, data_dir, tsg_manifest_file_size (manifest, 0), head.seq, head.offset,
             with_keys ? ", with the coordinator's keys and configuration"
                       : "; the keys and configuration are not in it (keep them apart)");
    tsg_manifest_destroy (&manifest);
    return true;
}
