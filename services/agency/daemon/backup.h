/* An agency daemon's store backed up and restored (`tsunagu-<type> --backup DIR` and
 * `--restore DIR`), and what -n checks of the keys beside the store.
 *
 * A backup folder, owner-only (0700, files 0600):
 *     MANIFEST.json    kind "agency", the agency's id and type, the store's versions, and the
 *                      size and SHA-256 of each file (tsg_manifest.h)
 *     store/data.mdb   the store, compacted, as one LMDB read transaction saw it
 * The bundle's keys (keys/agency.key), agency.conf and http.token are not in it: they are
 * backed up apart (docs/operations.md). */
#ifndef AGENCY_DAEMON_BACKUP_H_INCLUDED
#define AGENCY_DAEMON_BACKUP_H_INCLUDED

#include <stdio.h>

#include "tsunagu/tsg_agency.h"

/* Copies the store of config's data_dir into the new or empty folder dir, while the daemon
 * runs or not.  Prints what it did to out, or why not to stderr; returns the exit code. */
int agency_backup_take (const tsg_agency_config_t *config, const char *dir, FILE *out);

/* Checks the backup in dir (manifest, sizes and hashes, an agency backup of config's id, the
 * store copy opens) and puts its store in place of the one in config's data_dir, by one
 * rename, keeping the old file as data.mdb.pre-restore-<ms>.  Refused while a process has the
 * store open (the daemon runs).  Prints what it did to out, or why not to stderr; returns the
 * exit code. */
int agency_backup_restore (const tsg_agency_config_t *config, const char *dir, FILE *out);

/* For -n: warns on report when the directory kept in the store does not verify with the
 * coordinator's key pinned in the configuration (start-up then waits for a new one, as it
 * does: a warning, not a problem).  Returns 0. */
int agency_backup_check_keys (const tsg_agency_config_t *config, FILE *report);

#endif
