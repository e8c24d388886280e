/* fuzz_manifest.c — a backup's MANIFEST.json (common/manifest.c) on arbitrary bytes: never
 * crashes, and what it accepts holds only allowed paths, sizes and hashes, and reads back the
 * same from its own text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_manifest.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char err[256];
    tsg_manifest_t *m = tsg_manifest_parse ((const char *) data, size, err, sizeof err);
    if (!m) {
        if (!err[0])
            abort (); /* a refusal must say why */
        return 0;
    }
    const char *kind = tsg_manifest_kind (m);
    if (!kind || (strcmp (kind, "coordinator") != 0 && strcmp (kind, "agency") != 0)
        || !tsg_manifest_source (m) || tsg_manifest_files (m) == 0)
        abort ();
    for (size_t i = 0; i < tsg_manifest_files (m); i++) {
        const char *path = tsg_manifest_file_path (m, i);
        if (!tsg_manifest_path_valid (path) || strstr (path, "..") == path || path[0] == '/')
            abort ();
    }
    char *text = tsg_manifest_text (m);
    if (text) {
        tsg_manifest_t *again = tsg_manifest_parse (text, strlen (text), err, sizeof err);
        if (!again || tsg_manifest_files (again) != tsg_manifest_files (m))
            abort ();
        for (size_t i = 0; i < tsg_manifest_files (m); i++)
            if (strcmp (tsg_manifest_file_path (again, i), tsg_manifest_file_path (m, i)) != 0
                || tsg_manifest_file_size (again, i) != tsg_manifest_file_size (m, i))
                abort ();
        tsg_manifest_destroy (&again);
        free (text);
    }
    tsg_manifest_destroy (&m);
    return 0;
}
