/* fuzz_config.c — the INI config loader and its typed getters on arbitrary file contents. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tsunagu/tsunagu.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char path[] = "/tmp/tsunagu-fuzz-config-XXXXXX";
    int fd = mkstemp (path);
    if (fd < 0)
        return 0;
    if (write (fd, data, size) != (ssize_t) size) {
        close (fd);
        unlink (path);
        return 0;
    }
    close (fd);
    tsg_config_t *cfg = tsg_config_load (path);
    static const char *const known[] = { "agency.id", "agency.type", "coordinator.box_public",
                                         "policy.response_due_days", NULL };
    uint8_t key[32];
    tsg_config_string (cfg, "agency", "id", NULL);
    tsg_config_int (cfg, "policy", "response_due_days", 7, 1, 365);
    tsg_config_key (cfg, "coordinator", "box_public", key);
    tsg_config_hex32 (cfg, "http", "token_sha256", key);
    tsg_config_bool (cfg, "http", "enabled", false);
    tsg_config_check_known (cfg, known);
    FILE *sink = fopen ("/dev/null", "w");
    if (sink) {
        tsg_config_report (cfg, sink);
        fclose (sink);
    }
    tsg_config_destroy (&cfg);
    unlink (path);
    return 0;
}
