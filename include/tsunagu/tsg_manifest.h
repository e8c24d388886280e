/* A backup's manifest: DIR/MANIFEST.json says what the backup is and lists each of its files
 * with its size and SHA-256, so a copy can be checked before anything is restored from it.
 *
 *     {"format": "tsunagu-backup", "format_version": 1,
 *      "kind": "coordinator" | "agency",
 *      "tsunagu_version": "0.9.0", "created_at": "2026-12-03T17:00:00.000Z",
 *      "source": "/var/lib/tsunagu",               the data directory it was taken from
 *      ... what the kind adds (audit_head, store_versions, agency_id, with_keys) ...,
 *      "files": [{"path": "store/data.mdb", "size": 1234, "sha256": "<64 hex>"}, ...]}
 *
 * A file's path is relative to DIR: parts of [A-Za-z0-9._-] separated by '/', none starting
 * with '.' (so never "." or ".."), MANIFEST.json itself never listed.
 *
 *     tsg_manifest_t *m = tsg_manifest_new ("coordinator", data_dir);
 *     tsg_manifest_set (m, "audit_head", head_json);
 *     tsg_manifest_add_file (m, dir, "store/data.mdb", err, sizeof err);
 *     tsg_manifest_write (m, dir, err, sizeof err);
 *     ...
 *     m = tsg_manifest_load (dir, err, sizeof err);
 *     problems = tsg_manifest_check_files (m, dir, stdout); */
#ifndef TSG_MANIFEST_H_INCLUDED
#define TSG_MANIFEST_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TSG_MANIFEST_FILE    "MANIFEST.json"
#define TSG_MANIFEST_FORMAT  "tsunagu-backup"
#define TSG_MANIFEST_VERSION 1
#define TSG_MANIFEST_MAX     (1024 * 1024) /* the most MANIFEST.json may hold, in bytes */

typedef struct _tsg_manifest_t tsg_manifest_t;

/* A new manifest of kind ("coordinator" or "agency") taken from the data directory source,
 * dated now, with this build's version; NULL when memory ran out. */
tsg_manifest_t *tsg_manifest_new (const char *kind, const char *source);
void tsg_manifest_destroy (tsg_manifest_t **self_p);

/* Sets the top-level member key (not one of the members above) to value, which it steals. */
void tsg_manifest_set (tsg_manifest_t *self, const char *key, json_t *value);

/* The member key (borrowed), or NULL. */
const json_t *tsg_manifest_get (const tsg_manifest_t *self, const char *key);

/* The manifest's kind and source (borrowed). */
const char *tsg_manifest_kind (const tsg_manifest_t *self);
const char *tsg_manifest_source (const tsg_manifest_t *self);

/* Hashes dir/path and lists it.  TSG_ERR_BAD_INPUT for a path the format does not allow. */
int tsg_manifest_add_file (tsg_manifest_t *self, const char *dir, const char *path, char *err,
                           size_t err_size);

/* The listed files: how many, and the path and size of the i-th (borrowed). */
size_t tsg_manifest_files (const tsg_manifest_t *self);
const char *tsg_manifest_file_path (const tsg_manifest_t *self, size_t i);
uint64_t tsg_manifest_file_size (const tsg_manifest_t *self, size_t i);

/* True when path is listed. */
bool tsg_manifest_has_file (const tsg_manifest_t *self, const char *path);

/* Writes dir/MANIFEST.json (0600, atomically). */
int tsg_manifest_write (const tsg_manifest_t *self, const char *dir, char *err, size_t err_size);

/* The manifest as text (compact, sorted keys), which the caller frees; NULL without memory. */
char *tsg_manifest_text (const tsg_manifest_t *self);

/* Parses a manifest's text: NULL with a sentence in err unless it is an object of this format
 * and version (or older), of a known kind, with a source, and files each of an allowed path
 * (listed once), a size and 64 hex digits of SHA-256. */
tsg_manifest_t *tsg_manifest_parse (const char *text, size_t len, char *err, size_t err_size);

/* Reads and parses dir/MANIFEST.json; NULL with a sentence naming the file in err. */
tsg_manifest_t *tsg_manifest_load (const char *dir, char *err, size_t err_size);

/* Re-hashes each listed file under dir and prints "dir/path: what is wrong" for each one
 * missing, of another size or another SHA-256, and for each file under dir the manifest does
 * not list.  Returns how many problems it printed (0: the copy is whole). */
int tsg_manifest_check_files (const tsg_manifest_t *self, const char *dir, FILE *report);

/* True when path is one the format allows (see above). */
bool tsg_manifest_path_valid (const char *path);

#endif
