/* Whether a coordinator data directory's store and audit log agree, as start-up needs them to:
 * what `tsunagu-coordinator -n`, `tsunaguctl -n`, `tsunaguctl backup verify` and `tsunaguctl
 * restore` check.  Reads only. */
#ifndef TSG_HUB_DATA_CHECK_H_INCLUDED
#define TSG_HUB_DATA_CHECK_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "coordinator/model/audit.h"

/* DATA_DIR/restore.journal: present while `tsunaguctl restore` puts files in place; a data
 * directory holding it is half restored (run the restore again). */
#define TSG_HUB_RESTORE_JOURNAL "restore.journal"
/* Left by a restore: the time it was made (decimal ms).  The coordinator started on the restored
 * store takes each sender's first letter past a gap in its sequence as the new base, once, and
 * audits the numbers lost with what the backup did not hold (intake/intake_resync.c). */
#define TSG_HUB_RESTORE_RESYNC "restore.resync"

/* True (after printing "path: a restore was interrupted ..." to report) when data_dir holds
 * the journal of a restore that did not finish. */
bool tsg_hub_restore_pending (const char *data_dir, FILE *report);

/* Checks the audit log at path against the committed head, as tsg_hub_audit_open does at
 * start-up: the file must exist once the head is past seq 0, hold at least head->offset bytes
 * (start-up refuses a shorter file: records were lost, or the file is older than the store),
 * and its record ending at head->offset must be the one the head names (seq and hash: else the
 * file is another chain, or was edited).  Prints each problem as "path: message" to report
 * (when non-NULL) and returns how many there were. */
/* True when the line that ends at head->offset in the audit log open at fd is the record head
 * names (start-up warns, -n refuses, when it is not: the file was edited).  True too when
 * memory runs out (nothing learnt). */
bool tsg_hub_audit_tail_matches (int fd, const tsg_hub_audit_head_t *head);

/* Prints "path: what" to report (when not NULL) and counts it in *problems: how the checks of
 * -n say each problem. */
void tsg_hub_report_problem (FILE *report, int *problems, const char *path, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

int tsg_hub_audit_agrees (const char *path, const tsg_hub_audit_head_t *head, FILE *report);

/* The store and audit log of data_dir: no restore half done, and when DATA_DIR/store holds a
 * store, that it opens (map_size as configured, 0: 1 GiB), its committed audit head reads, and
 * DATA_DIR/audit.log agrees with it (tsg_hub_audit_agrees).  A data directory without a store
 * passes (start-up makes one).  Prints every problem as "path: message" to report and returns
 * how many there were.  Read transactions only: safe while a coordinator runs. */
int tsg_hub_data_check (const char *data_dir, size_t map_size, FILE *report);

#endif
