/* data_check.c — do a data directory's store and audit log agree?  The check -n, backup verify
 * and restore share with what start-up (tsg_hub_audit_open) refuses. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coordinator/model/store.h"
#include "coordinator/model/data_check.h"

void
tsg_hub_report_problem (FILE *report, int *problems, const char *path, const char *fmt, ...)
{
    (*problems)++;
    if (!report)
        return;
    va_list ap;
    va_start (ap, fmt);
    fprintf (report, "%s: ", path);
    vfprintf (report, fmt, ap);
    fputc ('\n', report);
    va_end (ap);
}

bool
tsg_hub_audit_tail_matches (int fd, const tsg_hub_audit_head_t *head)
{
    size_t want =
        head->offset < TSG_HUB_AUDIT_LINE_MAX ? (size_t) head->offset : TSG_HUB_AUDIT_LINE_MAX;
    char *tail = malloc (want);
    if (!tail)
        return true; /* nothing learnt; start-up does not refuse on this either */
    size_t got = 0;
    while (got < want) {
        ssize_t n = pread (fd, tail + got, want - got, (off_t) (head->offset - want + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t) n;
    }
    bool ok = false;
    if (got == want && tail[want - 1] == '\n') {
        size_t start = want - 1;
        while (start > 0 && tail[start - 1] != '\n')
            start--;
        tsg_hub_audit_record_t record;
        uint8_t prev[32];
        const char *problem = NULL;
        ok = tsg_hub_audit_line_parse (tail + start, want - 1 - start, &record, prev, &problem)
             && record.seq == head->seq && sodium_memcmp (record.hash, head->hash, 32) == 0;
    }
    free (tail);
    return ok;
}

int
tsg_hub_audit_agrees (const char *path, const tsg_hub_audit_head_t *head, FILE *report)
{
    int problems = 0;
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat (fd, &st) != 0) {
        int e = errno;
        if (fd >= 0)
            close (fd);
        if (e != ENOENT || head->offset > 0)
            tsg_hub_report_problem (
                report, &problems, path,
                "%s, but the store's audit head is at byte %" PRIu64 " (seq %" PRIu64
                "): the coordinator refuses to start; restore the file (tsunaguctl "
                "restore) before starting",
                strerror (e), head->offset, head->seq);
        return problems;
    }
    if ((uint64_t) st.st_size < head->offset)
        tsg_hub_report_problem (
            report, &problems, path,
            "holds %" PRIu64 " bytes but the store's audit head is at byte %" PRIu64
            " (seq %" PRIu64 "): records were lost (the file is older than the store, "
            "truncated or replaced); the coordinator refuses to start; restore it "
            "before starting",
            (uint64_t) st.st_size, head->offset, head->seq);
    else if (head->seq > 0 && head->offset > 0 && !tsg_hub_audit_tail_matches (fd, head))
        tsg_hub_report_problem (
            report, &problems, path,
            "its record ending at byte %" PRIu64 " is not seq %" PRIu64
            " as the store committed it: the file is another chain or was changed "
            "(tsunaguctl audit verify names the line)",
            head->offset, head->seq);
    else if (access (path, R_OK | W_OK) != 0)
        tsg_hub_report_problem (report, &problems, path, "cannot open it for writing: %s",
                                strerror (errno));
    close (fd);
    return problems;
}

bool
tsg_hub_restore_pending (const char *data_dir, FILE *report)
{
    char path[4096];
    struct stat st;
    snprintf (path, sizeof path, "%s/%s", data_dir, TSG_HUB_RESTORE_JOURNAL);
    if (stat (path, &st) != 0)
        return false;
    if (report)
        fprintf (report,
                 "%s: a restore was interrupted: run the same `tsunaguctl restore DIR` again "
                 "before starting\n",
                 path);
    return true;
}

int
tsg_hub_data_check (const char *data_dir, size_t map_size, FILE *report)
{
    int problems = 0;
    char path[4096];
    struct stat st;
    if (tsg_hub_restore_pending (data_dir, report))
        problems++;
    snprintf (path, sizeof path, "%s/store/data.mdb", data_dir);
    if (stat (path, &st) != 0) {
        if (errno != ENOENT)
            tsg_hub_report_problem (report, &problems, path, "%s", strerror (errno));
        return problems; /* start-up makes an empty store */
    }
    snprintf (path, sizeof path, "%s/store", data_dir);
    tsg_store_t *store = NULL;
    int rc = tsg_hub_store_open (data_dir, map_size, &store);
    if (rc != TSG_OK) {
        tsg_hub_report_problem (report, &problems, path, "cannot open the store: %s",
                                tsg_strerror (rc));
        return problems;
    }
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    tsg_hub_audit_head_t head;
    bool bad = false;
    tsg_hub_audit_head_get (&txn, &head, &bad);
    rc = txn.rc;
    tsg_txn_abort (&txn);
    tsg_store_destroy (&store);
    if (rc != TSG_OK) {
        tsg_hub_report_problem (report, &problems, path, "cannot read the audit head: %s",
                                tsg_strerror (rc));
        return problems;
    }
    if (bad) {
        tsg_hub_report_problem (report, &problems, path, "the store's %s is malformed",
                                TSG_HUB_AUDIT_HEAD_KEY);
        return problems;
    }
    snprintf (path, sizeof path, "%s/%s", data_dir, TSG_HUB_AUDIT_FILE);
    problems += tsg_hub_audit_agrees (path, &head, report);
    return problems;
}
