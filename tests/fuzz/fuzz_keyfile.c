/* fuzz_keyfile.c — the secret and public key file parsers on arbitrary file contents. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tsunagu/tsunagu.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char path[] = "/tmp/tsunagu-fuzz-key-XXXXXX";
    int fd = mkstemp (path); /* mode 0600 */
    if (fd < 0)
        return 0;
    if (write (fd, data, size) != (ssize_t) size) {
        close (fd);
        unlink (path);
        return 0;
    }
    close (fd);
    char err[256];
    tsg_keys_t *keys = NULL;
    if (tsg_keys_load (path, &keys, err, sizeof err) == TSG_OK)
        tsg_keys_destroy (&keys);
    char id[33];
    uint8_t box[32], sign[32];
    tsg_keys_load_public (path, id, box, sign, err, sizeof err);
    unlink (path);
    return 0;
}
