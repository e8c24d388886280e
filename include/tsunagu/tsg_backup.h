/* The file work of a backup and a restore, shared by tsunaguctl (the coordinator's data
 * directory) and the agency daemons (their store): an owner-only backup folder, a hot and
 * compacted copy of an LMDB environment taken in one read transaction, a file copied up to a
 * given length, reads from a copy that leave it untouched, and files put in place by rename.
 *
 *     tsg_backup_dir_make (dir, err, sizeof err);              // 0700, refused when not empty
 *     tsg_backup_store_copy (live_env_dir, "DIR/store/data.mdb", err, sizeof err);
 *     tsg_backup_store_read (copy, "meta", key, buf, sizeof buf, &len, err, sizeof err);
 *
 * Every function returns TSG_OK or a TSG_ERR_* with an English sentence naming the path in
 * err, and leaves nothing half-written under the name it was asked for: a failed copy removes
 * what it began. */
#ifndef TSG_BACKUP_H_INCLUDED
#define TSG_BACKUP_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSG_BACKUP_DIR_MODE  0700 /* a backup folder and its sub-folders */
#define TSG_BACKUP_FILE_MODE 0600 /* every file in it */

/* Makes dir (and missing parents, each 0700) for a new backup.  An existing dir is taken only
 * when it is an empty folder (its mode is then set to 0700); anything else is refused with
 * TSG_ERR_EXISTS. */
int tsg_backup_dir_make (const char *dir, char *err, size_t err_size);

/* Makes dir/sub (one level, 0700) inside a folder tsg_backup_dir_make made. */
int tsg_backup_subdir_make (const char *dir, const char *sub, char *err, size_t err_size);

/* Copies the LMDB environment in env_dir (its data.mdb), compacted, into the new file dest
 * (0600, refused when it exists), then fsyncs it.  The copy is one read transaction of
 * LMDB's (mdb_env_copyfd2 with MDB_CP_COMPACT): consistent, and taken while the environment's
 * owner goes on writing (it never waits for the writer, nor the writer for it).  The
 * environment is opened read-only; its map is as large as its owner made it. */
int tsg_backup_store_copy (const char *env_dir, const char *dest, char *err, size_t err_size);

/* Reads key from the database db_name of the single-file LMDB copy at path (a data.mdb made
 * by tsg_backup_store_copy or a restore's staged file) without a lock file and without
 * writing to it.  TSG_OK with the value (at most size bytes) in out and its length in *len;
 * TSG_ERR_NOT_FOUND when the key (or the database) is absent; TSG_ERR_TOO_LARGE when the value
 * is longer than size; TSG_ERR_STORE when the file is not a store that opens. */
int tsg_backup_store_read (const char *path, const char *db_name, const char *key, void *out,
                           size_t size, size_t *len, char *err, size_t err_size);

/* Calls each (key, value) of every entry of the database db_name of the copy at path whose key
 * ends with suffix (say ".version").  Returns TSG_OK, TSG_ERR_NOT_FOUND without the database, or
 * TSG_ERR_STORE. */
typedef void (tsg_backup_entry_fn) (void *arg, const char *key, size_t key_len, const void *val,
                                    size_t val_len);
int tsg_backup_store_scan (const char *path, const char *db_name, const char *suffix,
                           tsg_backup_entry_fn *each, void *arg, char *err, size_t err_size);

/* Copies the first length bytes of src into the new file dest (0600, refused when it exists)
 * and fsyncs it.  TSG_ERR_IO when src is shorter than length, or cannot be read. */
int tsg_backup_file_copy (const char *src, const char *dest, uint64_t length, char *err,
                          size_t err_size);

/* SHA-256 of the file at path into hash, its size into *size.  TSG_ERR_NOT_FOUND when absent. */
int tsg_backup_file_hash (const char *path, uint8_t hash[32], uint64_t *size, char *err,
                          size_t err_size);

/* fsyncs the folder dir (so names made or renamed in it last). */
int tsg_backup_dir_sync (const char *dir, char *err, size_t err_size);

/* Puts staged in the place of final by rename (atomic: final is at every moment the old file
 * or the new), and fsyncs final's folder.  When keep is non-NULL the old final, if any, stays
 * under that name too (a hard link made first). */
int tsg_backup_install (const char *staged, const char *final, const char *keep, char *err,
                        size_t err_size);

/* True when some process has the LMDB environment in env_dir open now (it holds the
 * environment's lock file, env_dir/lock.mdb, as every LMDB reader and writer does); false when
 * none has, or there is no lock file. */
bool tsg_backup_store_in_use (const char *env_dir);

#endif
