/* tsunaguctl's backups of the coordinator's data directory: taking one (backup_take.c),
 * checking one (backup_check.c), and the commands on them (cmd_backup.c, cmd_restore.c).
 *
 * A backup folder, owner-only (0700, files 0600):
 *     MANIFEST.json        what it is, with each file's size and SHA-256 (tsg_manifest.h)
 *     store/data.mdb       the store, compacted, as one LMDB read transaction saw it
 *     audit.log            the audit log up to the head that store committed, and no further
 *     coordinator.conf, keys/coordinator.key, keys/coordinator.pub, http.token
 *                          only with --with-keys (the signing key on a backup medium is a risk)
 */
#ifndef TSG_CTL_BACKUP_H_INCLUDED
#define TSG_CTL_BACKUP_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "coordinator/model/audit.h"
#include "ctl.h"
#include "tsunagu/tsg_manifest.h"

#define CTL_BACKUP_STORE "store/data.mdb" /* the store's copy, in the folder */

/* Takes a backup of the coordinator data directory data_dir (whose configuration is
 * config_path, public key file public_path and signing key sign_public, 32 bytes, recorded in
 * the manifest when non-NULL) into dir, which must be absent or an empty
 * folder; with_keys adds the configuration, the key files and the HTTP token.  Safe while the
 * coordinator runs.  Prints what it did to out; on failure prints why with ctl_error, removes
 * what it wrote, and returns false. */
bool ctl_backup_take (const char *data_dir, const char *config_path, const char *public_path,
                      const uint8_t *sign_public, const char *dir, bool with_keys, FILE *out);

/* Checks the coordinator backup in dir: its manifest, each file's size and SHA-256, the store
 * copy opens and its committed audit head is the manifest's, and the audit log's chain
 * verifies and ends exactly at that head.  Prints each problem as "path: what" to report and
 * returns how many there were; *head (when non-NULL) gets the head, and *manifest (when
 * non-NULL) the manifest, the caller's to destroy (NULL when it could not be read). */
int ctl_backup_check (const char *dir, FILE *report, tsg_hub_audit_head_t *head,
                      tsg_manifest_t **manifest);

/* `tsunaguctl backup DIR [--with-keys]` and `tsunaguctl backup verify DIR [--json]`. */
int cmd_backup (const ctl_options_t *options, int argc, char **argv);

/* `tsunaguctl restore DIR`: the coordinator stopped, the backup checked, then the store and the
 * audit log put in place. */
int cmd_restore (const ctl_options_t *options, int argc, char **argv);

#endif
