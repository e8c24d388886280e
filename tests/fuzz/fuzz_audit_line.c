/* fuzz_audit_line.c — the audit log checker on arbitrary file contents: never crashes, and
 * the in-memory and the streaming (file) checkers agree on where the chain breaks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "coordinator/model/audit.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Reads every field of each record that verifies, as tsunaguctl audit show does. */
static void
s_record (void *arg, const tsg_hub_audit_record_t *record)
{
    uint64_t *seen = arg;
    json_t *json = json_loadb (record->json, record->json_len, 0, NULL);
    if (!json_is_object (json) || record->seq != *seen + 1)
        abort (); /* the checker let through what it must not */
    json_decref (json);
    (*seen)++;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    tsg_hub_audit_check_t in_memory;
    uint64_t seen = 0;
    int rc = tsg_hub_audit_check_buffer ((const char *) data, size, &in_memory, s_record, &seen);
    if (seen != in_memory.count || (rc == TSG_OK) != (in_memory.bad_line == 0))
        abort ();

    char path[] = "/tmp/tsunagu-fuzz-audit-XXXXXX";
    int fd = mkstemp (path);
    if (fd < 0)
        return 0;
    if (write (fd, data, size) != (ssize_t) size) {
        close (fd);
        unlink (path);
        return 0;
    }
    close (fd);
    tsg_hub_audit_check_t from_file;
    int file_rc = tsg_hub_audit_check_file (path, &from_file, NULL, NULL);
    unlink (path);
    if (file_rc != rc || from_file.count != in_memory.count
        || from_file.bad_line != in_memory.bad_line || from_file.end.offset != in_memory.end.offset)
        abort ();
    return 0;
}
