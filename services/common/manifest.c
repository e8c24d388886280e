/* manifest.c — a backup's MANIFEST.json (tsg_manifest.h): made while the backup is written,
 * parsed with every field checked before a restore trusts it, and the files re-hashed. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_backup.h"
#include "tsunagu/tsg_manifest.h"

#define S_WALK_DEPTH 4 /* how deep the check looks for files the manifest does not list */

struct _tsg_manifest_t {
    json_t *root;  /* the whole object, "files" included */
    json_t *files; /* root's "files" array (borrowed from root) */
};

/* Writes the sentence into err and returns NULL. */
static void *
s_null (char *err, size_t err_size, const char *what)
{
    if (err && err_size)
        snprintf (err, err_size, "%s", what);
    return NULL;
}

bool
tsg_manifest_path_valid (const char *path)
{
    if (!path || !*path || strlen (path) > 255 || strcmp (path, TSG_MANIFEST_FILE) == 0)
        return false;
    const char *part = path;
    for (const char *p = path;; p++) {
        if (*p == '/' || *p == '\0') {
            size_t len = (size_t) (p - part);
            if (len == 0 || part[0] == '.') /* no ".", "..", nor any hidden name */
                return false;
            if (*p == '\0')
                return true;
            part = p + 1;
        }
        else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
                   || *p == '.' || *p == '_' || *p == '-'))
            return false;
    }
}

tsg_manifest_t *
tsg_manifest_new (const char *kind, const char *source)
{
    tsg_manifest_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    char at[32];
    tsg_iso8601 (tsg_now_ms (), at);
    self->root = json_pack ("{s:s, s:i, s:s, s:s, s:s, s:s, s:[]}", "format", TSG_MANIFEST_FORMAT,
                            "format_version", TSG_MANIFEST_VERSION, "kind", kind, "tsunagu_version",
                            TSUNAGU_VERSION, "created_at", at, "source", source, "files");
    if (!self->root) {
        free (self);
        return NULL;
    }
    self->files = json_object_get (self->root, "files");
    return self;
}

void
tsg_manifest_destroy (tsg_manifest_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    json_decref ((*self_p)->root);
    free (*self_p);
    *self_p = NULL;
}

void
tsg_manifest_set (tsg_manifest_t *self, const char *key, json_t *value)
{
    json_object_set_new (self->root, key, value);
}

const json_t *
tsg_manifest_get (const tsg_manifest_t *self, const char *key)
{
    return json_object_get (self->root, key);
}

const char *
tsg_manifest_kind (const tsg_manifest_t *self)
{
    return json_string_value (json_object_get (self->root, "kind"));
}

const char *
tsg_manifest_source (const tsg_manifest_t *self)
{
    return json_string_value (json_object_get (self->root, "source"));
}

int
tsg_manifest_add_file (tsg_manifest_t *self, const char *dir, const char *path, char *err,
                       size_t err_size)
{
    if (!tsg_manifest_path_valid (path) || tsg_manifest_has_file (self, path)) {
        snprintf (err, err_size, "%s: not a path a manifest may list (twice)", path);
        return TSG_ERR_BAD_INPUT;
    }
    char full[4096];
    snprintf (full, sizeof full, "%s/%s", dir, path);
    uint8_t hash[32];
    uint64_t size = 0;
    int rc = tsg_backup_file_hash (full, hash, &size, err, err_size);
    if (rc != TSG_OK)
        return rc;
    char hex[65];
    tsg_hex_encode (hash, 32, hex);
    if (json_array_append_new (self->files, json_pack ("{s:s, s:I, s:s}", "path", path, "size",
                                                       (json_int_t) size, "sha256", hex))
        != 0) {
        snprintf (err, err_size, "out of memory");
        return TSG_ERR_NOMEM;
    }
    return TSG_OK;
}

size_t
tsg_manifest_files (const tsg_manifest_t *self)
{
    return json_array_size (self->files);
}

const char *
tsg_manifest_file_path (const tsg_manifest_t *self, size_t i)
{
    return json_string_value (json_object_get (json_array_get (self->files, i), "path"));
}

uint64_t
tsg_manifest_file_size (const tsg_manifest_t *self, size_t i)
{
    return (uint64_t) json_integer_value (
        json_object_get (json_array_get (self->files, i), "size"));
}

bool
tsg_manifest_has_file (const tsg_manifest_t *self, const char *path)
{
    for (size_t i = 0; i < json_array_size (self->files); i++) {
        const char *listed = tsg_manifest_file_path (self, i);
        if (listed && strcmp (listed, path) == 0)
            return true;
    }
    return false;
}

char *
tsg_manifest_text (const tsg_manifest_t *self)
{
    return json_dumps (self->root, JSON_INDENT (2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
}

int
tsg_manifest_write (const tsg_manifest_t *self, const char *dir, char *err, size_t err_size)
{
    char *text = tsg_manifest_text (self);
    if (!text) {
        snprintf (err, err_size, "out of memory");
        return TSG_ERR_NOMEM;
    }
    size_t len = strlen (text);
    text[len] = '\n'; /* json_dumps leaves room for the NUL we overwrite here */
    char path[4096];
    snprintf (path, sizeof path, "%s/%s", dir, TSG_MANIFEST_FILE);
    int rc = tsg_write_file (path, text, len + 1, TSG_BACKUP_FILE_MODE);
    free (text);
    if (rc != TSG_OK)
        snprintf (err, err_size, "%s: cannot write it: %s", path, strerror (errno));
    return rc;
}

/* Checks one entry of "files": an object with an allowed path, listed once before i, a size
 * and a SHA-256.  NULL when fine, else what is wrong. */
static const char *
s_file_problem (const json_t *files, size_t i)
{
    const json_t *file = json_array_get (files, i);
    const char *path = json_string_value (json_object_get (file, "path"));
    const json_t *size = json_object_get (file, "size");
    const char *sha = json_string_value (json_object_get (file, "sha256"));
    uint8_t hash[32];
    if (!json_is_object (file) || !tsg_manifest_path_valid (path))
        return "a file entry without an allowed path";
    if (!json_is_integer (size) || json_integer_value (size) < 0)
        return "a file entry without a size";
    if (!sha || strlen (sha) != 64 || !tsg_hex_decode (sha, hash, 32))
        return "a file entry without 64 hex digits of sha256";
    for (size_t j = 0; j < i; j++)
        if (strcmp (json_string_value (json_object_get (json_array_get (files, j), "path")), path)
            == 0)
            return "a file listed twice";
    return NULL;
}

tsg_manifest_t *
tsg_manifest_parse (const char *text, size_t len, char *err, size_t err_size)
{
    json_error_t jerr;
    json_t *root = json_loadb (text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object (root)) {
        if (err && err_size)
            snprintf (err, err_size, "not a JSON object (line %d: %s)", jerr.line, jerr.text);
        json_decref (root);
        return NULL;
    }
    const char *format = json_string_value (json_object_get (root, "format"));
    const json_t *version = json_object_get (root, "format_version");
    const char *kind = json_string_value (json_object_get (root, "kind"));
    json_t *files = json_object_get (root, "files");
    const char *problem = NULL;
    if (!format || strcmp (format, TSG_MANIFEST_FORMAT) != 0)
        problem = "not a tsunagu backup manifest (\"format\" is not \"" TSG_MANIFEST_FORMAT "\")";
    else if (!json_is_integer (version) || json_integer_value (version) < 1)
        problem = "no format_version";
    else if (json_integer_value (version) > TSG_MANIFEST_VERSION)
        problem = "written by a newer tsunagu (a newer format_version): restore with that version";
    else if (!kind || (strcmp (kind, "coordinator") != 0 && strcmp (kind, "agency") != 0))
        problem = "\"kind\" is neither \"coordinator\" nor \"agency\"";
    else if (!json_is_string (json_object_get (root, "source")))
        problem = "no \"source\"";
    else if (!json_is_array (files) || json_array_size (files) == 0)
        problem = "no \"files\"";
    for (size_t i = 0; !problem && i < json_array_size (files); i++)
        problem = s_file_problem (files, i);
    if (problem) {
        json_decref (root);
        return s_null (err, err_size, problem);
    }
    tsg_manifest_t *self = calloc (1, sizeof *self);
    if (!self) {
        json_decref (root);
        return s_null (err, err_size, "out of memory");
    }
    self->root = root;
    self->files = files;
    return self;
}

tsg_manifest_t *
tsg_manifest_load (const char *dir, char *err, size_t err_size)
{
    char path[4096];
    snprintf (path, sizeof path, "%s/%s", dir, TSG_MANIFEST_FILE);
    char *text = NULL;
    size_t len = 0;
    int rc = tsg_read_file (path, TSG_MANIFEST_MAX, &text, &len);
    if (rc != TSG_OK) {
        snprintf (err, err_size, "%s: %s", path,
                  rc == TSG_ERR_NOT_FOUND ? "absent (not a backup folder?)" : tsg_strerror (rc));
        return NULL;
    }
    char why[256];
    tsg_manifest_t *self = tsg_manifest_parse (text, len, why, sizeof why);
    free (text);
    if (!self)
        snprintf (err, err_size, "%s: %s", path, why);
    return self;
}

/* Prints each file under dir/rel the manifest does not list; counts them in *problems. */
static void
s_walk (const tsg_manifest_t *self, const char *dir, const char *rel, int depth, FILE *report,
        int *problems)
{
    char here[4096];
    snprintf (here, sizeof here, "%s%s%s", dir, *rel ? "/" : "", rel);
    DIR *d = opendir (here);
    if (!d)
        return;
    struct dirent *entry;
    while ((entry = readdir (d))) {
        if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0)
            continue;
        char sub[4096], full[8192];
        snprintf (sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", entry->d_name);
        snprintf (full, sizeof full, "%s/%s", dir, sub);
        struct stat st;
        if (lstat (full, &st) != 0)
            continue;
        if (S_ISDIR (st.st_mode) && depth < S_WALK_DEPTH)
            s_walk (self, dir, sub, depth + 1, report, problems);
        else if (!S_ISDIR (st.st_mode) && strcmp (sub, TSG_MANIFEST_FILE) != 0
                 && !tsg_manifest_has_file (self, sub)) {
            fprintf (report, "%s: not listed in %s (a file added to the backup)\n", full,
                     TSG_MANIFEST_FILE);
            (*problems)++;
        }
    }
    closedir (d);
}

int
tsg_manifest_check_files (const tsg_manifest_t *self, const char *dir, FILE *report)
{
    int problems = 0;
    for (size_t i = 0; i < json_array_size (self->files); i++) {
        const json_t *file = json_array_get (self->files, i);
        const char *path = json_string_value (json_object_get (file, "path"));
        uint64_t size = (uint64_t) json_integer_value (json_object_get (file, "size"));
        const char *want = json_string_value (json_object_get (file, "sha256"));
        char full[4096], why[512], hex[65];
        snprintf (full, sizeof full, "%s/%s", dir, path);
        uint8_t hash[32];
        uint64_t got = 0;
        int rc = tsg_backup_file_hash (full, hash, &got, why, sizeof why);
        if (rc != TSG_OK) {
            fprintf (report, "%s\n", why);
            problems++;
            continue;
        }
        tsg_hex_encode (hash, 32, hex);
        if (got != size) {
            fprintf (report, "%s: holds %" PRIu64 " bytes, the manifest says %" PRIu64 "\n", full,
                     got, size);
            problems++;
        }
        else if (strcasecmp (hex, want) != 0) {
            fprintf (report, "%s: its SHA-256 is not the one in the manifest (the file changed)\n",
                     full);
            problems++;
        }
    }
    s_walk (self, dir, "", 0, report, &problems);
    return problems;
}
