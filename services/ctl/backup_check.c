/* backup_check.c — is a coordinator backup whole?  The manifest, every file's size and SHA-256,
 * the store copy opens at the head the manifest names, and the audit chain ends exactly there
 * (the chain checked as `tsunaguctl audit verify` checks it: tsg_hub_audit_check_file). */
#include <inttypes.h>
#include <string.h>

#include "backup.h"
#include "coordinator/model/data_check.h"
#include "tsunagu/tsg_backup.h"

/* The manifest's "audit_head" into *head; false when it is not a head. */
static bool
s_manifest_head (const tsg_manifest_t *manifest, tsg_hub_audit_head_t *head)
{
    const json_t *object = tsg_manifest_get (manifest, "audit_head");
    const json_t *seq = json_object_get (object, "seq");
    const json_t *offset = json_object_get (object, "offset");
    const char *hash = json_string_value (json_object_get (object, "hash"));
    memset (head, 0, sizeof *head);
    if (!json_is_integer (seq) || !json_is_integer (offset) || json_integer_value (seq) < 0
        || json_integer_value (offset) < 0 || !hash || strlen (hash) != 64
        || !tsg_hex_decode (hash, head->hash, 32))
        return false;
    head->seq = (uint64_t) json_integer_value (seq);
    head->offset = (uint64_t) json_integer_value (offset);
    return true;
}

/* The store copy's committed head against the manifest's; counts problems. */
static int
s_check_store (const char *dir, const tsg_hub_audit_head_t *want, FILE *report)
{
    char path[4096], err[1024];
    snprintf (path, sizeof path, "%s/%s", dir, CTL_BACKUP_STORE);
    uint8_t value[64];
    size_t len = 0;
    int rc = tsg_backup_store_read (path, "meta", TSG_HUB_AUDIT_HEAD_KEY, value, sizeof value, &len,
                                    err, sizeof err);
    tsg_hub_audit_head_t head;
    memset (&head, 0, sizeof head);
    if (rc != TSG_OK && rc != TSG_ERR_NOT_FOUND) {
        fprintf (report, "%s\n", err);
        return 1;
    }
    if (rc == TSG_OK && !tsg_hub_audit_head_decode (value, len, &head)) {
        fprintf (report, "%s: the store's %s is malformed\n", path, TSG_HUB_AUDIT_HEAD_KEY);
        return 1;
    }
    if (head.seq != want->seq || head.offset != want->offset
        || memcmp (head.hash, want->hash, 32) != 0) {
        fprintf (report,
                 "%s: its committed audit head (seq %" PRIu64 ") is not the manifest's (seq "
                 "%" PRIu64 ")\n",
                 path, head.seq, want->seq);
        return 1;
    }
    return 0;
}

/* The copied log's chain against the head; counts problems. */
static int
s_check_log (const char *dir, const tsg_hub_audit_head_t *head, FILE *report)
{
    char path[4096];
    snprintf (path, sizeof path, "%s/%s", dir, TSG_HUB_AUDIT_FILE);
    tsg_hub_audit_check_t check;
    int rc = tsg_hub_audit_check_file (path, &check, NULL, NULL);
    if (rc != TSG_OK) {
        fprintf (report, "%s: BROKEN at %s\n", path, check.why);
        return 1;
    }
    if (check.end.seq != head->seq || check.end.offset != head->offset
        || memcmp (check.end.hash, head->hash, 32) != 0) {
        fprintf (report,
                 "%s: the chain ends at seq %" PRIu64 " (byte %" PRIu64 "), not at the head the "
                 "store committed, seq %" PRIu64 " (byte %" PRIu64 ")\n",
                 path, check.end.seq, check.end.offset, head->seq, head->offset);
        return 1;
    }
    return 0;
}

int
ctl_backup_check (const char *dir, FILE *report, tsg_hub_audit_head_t *head_out,
                  tsg_manifest_t **manifest_out)
{
    char err[8192];
    if (manifest_out)
        *manifest_out = NULL;
    tsg_manifest_t *manifest = tsg_manifest_load (dir, err, sizeof err);
    if (!manifest) {
        fprintf (report, "%s\n", err);
        return 1;
    }
    int problems = 0;
    tsg_hub_audit_head_t head;
    if (strcmp (tsg_manifest_kind (manifest), "coordinator") != 0) {
        fprintf (report,
                 "%s/%s: the backup of an agency's store, not of a coordinator (restore "
                 "it with tsunagu-<type> --restore)\n",
                 dir, TSG_MANIFEST_FILE);
        problems++;
    }
    else if (!s_manifest_head (manifest, &head)) {
        fprintf (report, "%s/%s: no valid \"audit_head\"\n", dir, TSG_MANIFEST_FILE);
        problems++;
    }
    else if (!tsg_manifest_has_file (manifest, CTL_BACKUP_STORE)
             || !tsg_manifest_has_file (manifest, TSG_HUB_AUDIT_FILE)) {
        fprintf (report, "%s/%s: does not list %s and %s\n", dir, TSG_MANIFEST_FILE,
                 CTL_BACKUP_STORE, TSG_HUB_AUDIT_FILE);
        problems++;
    }
    if (problems == 0)
        problems += tsg_manifest_check_files (manifest, dir, report);
    /* A file that changed is named above; the store and the chain are read only when whole. */
    if (problems == 0)
        problems += s_check_store (dir, &head, report);
    if (problems == 0)
        problems += s_check_log (dir, &head, report);
    if (head_out && problems == 0)
        *head_out = head;
    if (manifest_out && problems == 0)
        *manifest_out = manifest;
    else
        tsg_manifest_destroy (&manifest);
    return problems;
}
