/* test_hub_audit.c — the coordinator's hash-chained audit log: a chain verifies; any changed
 * byte, a cut or partial last line and a deleted line are found at the first broken line; a
 * batch flushed but never committed is cut off when the log is opened again, and one whose
 * commit failed is rolled back; `tsunaguctl audit verify|show` over a coordinator site. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coordinator/model/store.h"
#include "coordinator/model/audit.h"
#include "ctl.h"
#include "test_helpers.h"

/* A data directory with a coordinator store and an audit log over it. */
typedef struct {
    char dir[512];          /* temporary data directory */
    char path[PATH_MAX];    /* dir/audit.log */
    tsg_store_t *store;     /* the coordinator's store */
    tsg_hub_audit_t *audit; /* what is tested */
    uint64_t added;         /* records added so far, for their details */
} s_env_t;

/* Opens the audit log again, as the coordinator does at start-up. */
static int
s_audit_open (s_env_t *e)
{
    tsg_hub_audit_destroy (&e->audit);
    tsg_txn_t txn;
    tsg_txn_begin (e->store, &txn, false);
    int rc = tsg_hub_audit_open (e->dir, &txn, &e->audit);
    tsg_txn_abort (&txn);
    return rc;
}

static void
s_env_new (s_env_t *e, const char *name)
{
    memset (e, 0, sizeof *e);
    test_tmpdir (e->dir, sizeof e->dir, name);
    snprintf (e->path, sizeof e->path, "%s/%s", e->dir, TSG_HUB_AUDIT_FILE);
    assert_int_equal (tsg_hub_store_open (e->dir, 64 << 20, &e->store), TSG_OK);
    assert_int_equal (s_audit_open (e), TSG_OK);
}

static void
s_env_destroy (s_env_t *e)
{
    tsg_hub_audit_destroy (&e->audit);
    tsg_store_destroy (&e->store);
    test_rmtree (e->dir);
}

/* Adds one routing decision, as the coordinator records them: ids and codes only. */
static void
s_add (s_env_t *e)
{
    uint8_t id[TSG_MESSAGE_ID_SIZE];
    tsg_random_id (id);
    char case_id[TSG_UUID_TEXT_SIZE];
    tsg_uuid_new (case_id);
    e->added++;
    if (e->added % 3 == 0)
        tsg_hub_audit_add (e->audit, "refused", id, "poverty-kita", "child-higashi", "referral",
                           json_pack ("{s:s, s:s, s:s}", "code", "missing_legal_basis", "detail",
                                      "poverty-kita is not on the 支援会議 roster of case",
                                      "case_id", case_id));
    else if (e->added % 3 == 1)
        tsg_hub_audit_add (e->audit, "allowed", id, "eldercare-chuo", "poverty-kita", "referral",
                           json_pack ("{s:s, s:[s], s:s}", "basis", "consent", "flags", "urgent",
                                      "case_id", case_id));
    else
        tsg_hub_audit_add (e->audit, "consent-expired", NULL, "coordinator", NULL, NULL, NULL);
}

/* Adds n records and flushes them into one write transaction, which commits, or (commit
 * false) is abandoned as if the commit had failed.  Returns the flush's result. */
static int
s_batch (s_env_t *e, int n, bool commit)
{
    for (int i = 0; i < n; i++)
        s_add (e);
    tsg_txn_t txn;
    tsg_txn_begin (e->store, &txn, true);
    int rc = tsg_hub_audit_flush (e->audit, &txn);
    if (rc == TSG_OK && commit)
        assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    else
        tsg_txn_abort (&txn);
    return rc;
}

/* The store's committed head. */
static tsg_hub_audit_head_t
s_committed (s_env_t *e)
{
    tsg_hub_audit_head_t head;
    tsg_txn_t txn;
    tsg_txn_begin (e->store, &txn, false);
    tsg_hub_audit_head_get (&txn, &head, NULL);
    tsg_txn_abort (&txn);
    return head;
}

/* The whole audit log in a new buffer. */
/* Not inlined: GCC 12 otherwise mistakes the returned buffer for a pointer to the local that
 * received it (-Wdangling-pointer). */
static __attribute__ ((noinline)) char *
s_read (const char *path, size_t *len)
{
    char *text = NULL;
    assert_int_equal (tsg_read_file (path, 64 << 20, &text, len), TSG_OK);
    return text;
}

static void
s_write (const char *path, const char *data, size_t len)
{
    FILE *file = fopen (path, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (data, 1, len, file), len);
    assert_int_equal (fclose (file), 0);
}

/* Offset where line (from 1) starts in text, or len when there is no such line. */
static size_t
s_line_start (const char *text, size_t len, uint64_t line)
{
    size_t at = 0;
    for (uint64_t l = 1; l < line && at < len; l++) {
        const char *newline = memchr (text + at, '\n', len - at);
        at = newline ? (size_t) (newline - text) + 1 : len;
    }
    return at;
}

/* Line number (from 1) of the byte at offset. */
static uint64_t
s_line_of (const char *text, size_t offset)
{
    uint64_t line = 1;
    for (size_t i = 0; i < offset; i++)
        line += text[i] == '\n';
    return line;
}

/* What a verifying callback collects. */
typedef struct {
    uint64_t next_seq; /* the sequence the next record must have */
    int allowed;       /* "allowed" records seen */
} s_seen_t;

static void
s_collect (void *arg, const tsg_hub_audit_record_t *record)
{
    s_seen_t *seen = arg;
    assert_int_equal (record->seq, seen->next_seq);
    assert_int_equal (record->line, seen->next_seq);
    seen->next_seq++;
    json_t *json = json_loadb (record->json, record->json_len, 0, NULL);
    assert_true (json_is_object (json));
    assert_string_equal (json_string_value (json_object_get (json, "at")), record->at);
    const char *event = json_string_value (json_object_get (json, "event"));
    assert_non_null (event);
    if (strcmp (event, "allowed") == 0) {
        seen->allowed++;
        assert_string_equal (json_string_value (json_object_get (json, "sender")),
                             "eldercare-chuo");
        assert_string_equal (
            json_string_value (json_object_get (json_object_get (json, "details"), "basis")),
            "consent");
        assert_int_equal (strlen (json_string_value (json_object_get (json, "message_id"))), 32);
    }
    json_decref (json);
}

/* A chain of many records over several batches verifies, record by record, and its end is
 * the head the store committed; the file is the coordinator's alone. */
static void
test_chain_verifies (void **state)
{
    (void) state;
    s_env_t e;
    s_env_new (&e, "audit-chain");
    struct stat st;
    assert_int_equal (stat (e.path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    assert_int_equal (st.st_size, 0);

    /* An empty batch writes nothing and leaves the store alone. */
    assert_int_equal (s_batch (&e, 0, true), TSG_OK);
    assert_int_equal (s_committed (&e).seq, 0);

    for (int batch = 1; batch <= 20; batch++)
        assert_int_equal (s_batch (&e, batch % 7, true), TSG_OK);
    uint64_t count = 0, bad_line = 99;
    char why[256] = "";
    assert_int_equal (tsg_hub_audit_verify (e.path, &count, &bad_line, why, sizeof why), TSG_OK);
    assert_int_equal (count, e.added);
    assert_int_equal (bad_line, 0);
    assert_string_equal (why, "");

    tsg_hub_audit_check_t check;
    s_seen_t seen = { .next_seq = 1 };
    assert_int_equal (tsg_hub_audit_check_file (e.path, &check, s_collect, &seen), TSG_OK);
    assert_int_equal (seen.next_seq, e.added + 1);
    assert_true (seen.allowed > 0);
    tsg_hub_audit_head_t head = s_committed (&e);
    assert_int_equal (head.seq, e.added);
    assert_int_equal (head.offset, check.end.offset);
    assert_memory_equal (head.hash, check.end.hash, 32);
    assert_int_equal (stat (e.path, &st), 0);
    assert_int_equal ((uint64_t) st.st_size, head.offset);

    /* The first record's prev_hash is 32 zero bytes, and hash = SHA-256 (prev || JSON). */
    size_t len = 0;
    char *text = s_read (e.path, &len);
    assert_memory_equal (text, "1 ", 2);
    const char *prev = text + 2 + 24 + 1;
    for (int i = 0; i < 64; i++)
        assert_int_equal (prev[i], '0');
    const char *json = prev + 65 + 65;
    const char *end = memchr (json, '\n', len - (size_t) (json - text));
    uint8_t zero[32] = { 0 }, hash[32];
    crypto_hash_sha256_state sha;
    crypto_hash_sha256_init (&sha);
    crypto_hash_sha256_update (&sha, zero, 32);
    crypto_hash_sha256_update (&sha, (const unsigned char *) json, (size_t) (end - json));
    crypto_hash_sha256_final (&sha, hash);
    char hex[65];
    tsg_hex_encode (hash, 32, hex);
    assert_memory_equal (prev + 65, hex, 64);
    free (text);

    /* Opening again changes nothing, and the chain goes on where it stopped. */
    assert_int_equal (s_audit_open (&e), TSG_OK);
    assert_int_equal (s_batch (&e, 3, true), TSG_OK);
    assert_int_equal (tsg_hub_audit_verify (e.path, &count, &bad_line, why, sizeof why), TSG_OK);
    assert_int_equal (count, e.added);
    s_env_destroy (&e);
}

/* Checks text with the byte at offset changed by mask: the chain must break at the line the
 * byte is on (or, for a newline made of it, no later). */
static void
s_expect_flip_found (char *text, size_t len, size_t offset, uint8_t mask)
{
    uint64_t line = s_line_of (text, offset);
    text[offset] = (char) ((uint8_t) text[offset] ^ mask);
    tsg_hub_audit_check_t check;
    int rc = tsg_hub_audit_check_buffer (text, len, &check, NULL, NULL);
    if (rc != TSG_ERR_BAD_INPUT || check.bad_line != line)
        fail_msg ("byte %zu (line %llu) ^ 0x%02x: rc %d, bad line %llu: %s", offset,
                  (unsigned long long) line, mask, rc, (unsigned long long) check.bad_line,
                  check.why);
    assert_int_equal (check.count, line - 1);
    assert_int_equal (check.bad_seq, line);
    assert_true (strncmp (check.why, "line ", 5) == 0);
    text[offset] = (char) ((uint8_t) text[offset] ^ mask);
}

/* A flipped byte anywhere is found, and the first broken line named: every bit of every
 * byte of one record, and the lowest bit of every byte of the file. */
static void
test_flipped_byte (void **state)
{
    (void) state;
    s_env_t e;
    s_env_new (&e, "audit-flip");
    assert_int_equal (s_batch (&e, 3, true), TSG_OK);
    assert_int_equal (s_batch (&e, 4, true), TSG_OK);
    size_t len = 0;
    char *text = s_read (e.path, &len);
    tsg_hub_audit_check_t check;
    assert_int_equal (tsg_hub_audit_check_buffer (text, len, &check, NULL, NULL), TSG_OK);
    assert_int_equal (check.count, 7);

    size_t from = s_line_start (text, len, 4), to = s_line_start (text, len, 5);
    assert_true (from < to && to < len);
    for (size_t offset = from; offset < to; offset++)
        for (int bit = 0; bit < 8; bit++)
            s_expect_flip_found (text, len, offset, (uint8_t) (1u << bit));
    for (size_t offset = 0; offset < len; offset++)
        s_expect_flip_found (text, len, offset, 0x01);

    /* What each kind of change is called.  Line 4 is "4 <at> <prev> <hash> <json>": the time
     * at 2, prev_hash at 27, hash at 92, the JSON at 157. */
    char *copy = malloc (len);
    assert_non_null (copy);
    assert_int_equal (text[from], '4');
    struct {
        size_t at;        /* offset within line 4 */
        char to;          /* the byte put there (0: another hex digit) */
        const char *says; /* part of why */
    } cases[] = {
        { 0, '5', "sequence gap: expected seq 4, found 5" },
        { 1, '!', "unparsable line: the sequence number" },
        { 3, ':', "unparsable line: the time" },
        { 27, 0, "bad prev link: prev_hash is not the hash of seq 3" },
        { 27, 'A', "unparsable line: prev_hash" },
        { 92, 0, "bad hash" },
        { 157 + 3, 'x', "bad hash" },
        { to - from - 1, 'x', "bad hash" }, /* the newline */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy (copy, text, len);
        char *byte = &copy[from + cases[i].at];
        *byte = cases[i].to ? cases[i].to : *byte == '0' ? '1' : '0';
        assert_int_equal (tsg_hub_audit_check_buffer (copy, len, &check, NULL, NULL),
                          TSG_ERR_BAD_INPUT);
        if (!strstr (check.why, cases[i].says))
            fail_msg ("case %zu: \"%s\" does not say \"%s\"", i, check.why, cases[i].says);
        assert_int_equal (check.bad_line, 4);
        assert_int_equal (check.bad_offset, from);
    }
    /* A changed time that still has its shape differs from the record's "at". */
    memcpy (copy, text, len);
    copy[from + 2 + 22] = copy[from + 2 + 22] == '9' ? '8' : '9';
    assert_int_equal (tsg_hub_audit_check_buffer (copy, len, &check, NULL, NULL),
                      TSG_ERR_BAD_INPUT);
    assert_non_null (strstr (check.why, "time"));
    assert_int_equal (check.bad_line, 4);

    /* The file checker finds the same, and names the line. */
    copy[from + 2 + 22] = text[from + 2 + 22];
    copy[from + 157 + 5] ^= 0x04;
    s_write (e.path, copy, len);
    uint64_t count = 0, bad_line = 0;
    char why[256];
    assert_int_equal (tsg_hub_audit_verify (e.path, &count, &bad_line, why, sizeof why),
                      TSG_ERR_BAD_INPUT);
    assert_int_equal (count, 3);
    assert_int_equal (bad_line, 4);
    assert_non_null (strstr (why, "line 4 (seq 4): bad hash"));
    free (copy);
    free (text);
    s_env_destroy (&e);
}

/* A last line without its newline (a partial write, or a cut file) is a broken link; a file
 * cut at a line boundary verifies alone, but the coordinator will not open it: its store
 * committed more. */
static void
test_truncated (void **state)
{
    (void) state;
    s_env_t e;
    s_env_new (&e, "audit-cut");
    assert_int_equal (s_batch (&e, 5, true), TSG_OK);
    size_t len = 0;
    char *text = s_read (e.path, &len);
    size_t last = s_line_start (text, len, 5);
    tsg_hub_audit_check_t check;
    for (size_t cut = last + 1; cut < len; cut++) {
        assert_int_equal (tsg_hub_audit_check_buffer (text, cut, &check, NULL, NULL),
                          TSG_ERR_BAD_INPUT);
        assert_int_equal (check.bad_line, 5);
        assert_int_equal (check.count, 4);
        assert_non_null (strstr (check.why, "incomplete"));
    }
    s_write (e.path, text, len - 1);
    uint64_t count = 0, bad_line = 0;
    char why[256];
    assert_int_equal (tsg_hub_audit_verify (e.path, &count, &bad_line, why, sizeof why),
                      TSG_ERR_BAD_INPUT);
    assert_int_equal (bad_line, 5);
    assert_non_null (strstr (why, "line 5 (seq 5): the last line is incomplete"));

    s_write (e.path, text, last);
    assert_int_equal (tsg_hub_audit_verify (e.path, &count, &bad_line, why, sizeof why), TSG_OK);
    assert_int_equal (count, 4);
    assert_int_not_equal (s_audit_open (&e), TSG_OK);
    assert_null (e.audit);

    /* An empty file is a whole chain of none. */
    assert_int_equal (tsg_hub_audit_check_buffer ("", 0, &check, NULL, NULL), TSG_OK);
    assert_int_equal (check.count, 0);
    free (text);
    s_env_destroy (&e);
}

/* A deleted line breaks the sequence where it was. */
static void
test_deleted_line (void **state)
{
    (void) state;
    s_env_t e;
    s_env_new (&e, "audit-delete");
    assert_int_equal (s_batch (&e, 6, true), TSG_OK);
    size_t len = 0;
    char *text = s_read (e.path, &len);
    char *copy = malloc (len);
    assert_non_null (copy);
    tsg_hub_audit_check_t check;
    for (uint64_t line = 1; line <= 5; line++) {
        size_t from = s_line_start (text, len, line), to = s_line_start (text, len, line + 1);
        memcpy (copy, text, from);
        memcpy (copy + from, text + to, len - to);
        assert_int_equal (tsg_hub_audit_check_buffer (copy, len - (to - from), &check, NULL, NULL),
                          TSG_ERR_BAD_INPUT);
        assert_int_equal (check.bad_line, line);
        char says[64];
        snprintf (says, sizeof says, "sequence gap: expected seq %llu, found %llu",
                  (unsigned long long) line, (unsigned long long) line + 1);
        assert_non_null (strstr (check.why, says));
    }
    /* Two lines swapped: the sequence breaks at the first of them. */
    size_t l2 = s_line_start (text, len, 2), l3 = s_line_start (text, len, 3),
           l4 = s_line_start (text, len, 4);
    memcpy (copy, text, l2);
    memcpy (copy + l2, text + l3, l4 - l3);
    memcpy (copy + l2 + (l4 - l3), text + l2, l3 - l2);
    memcpy (copy + l4, text + l4, len - l4);
    assert_int_equal (tsg_hub_audit_check_buffer (copy, len, &check, NULL, NULL),
                      TSG_ERR_BAD_INPUT);
    assert_int_equal (check.bad_line, 2);
    free (copy);
    free (text);
    s_env_destroy (&e);
}

/* Records flushed (on disk) whose commit never happened — the coordinator stopped in between —
 * are cut off when the log is opened again, and the chain goes on from the committed head. */
static void
test_crash_before_commit (void **state)
{
    (void) state;
    s_env_t e;
    s_env_new (&e, "audit-crash");
    assert_int_equal (s_batch (&e, 4, true), TSG_OK);
    tsg_hub_audit_head_t committed = s_committed (&e);
    assert_int_equal (s_batch (&e, 3, false), TSG_OK); /* on disk, not committed */
    struct stat st;
    assert_int_equal (stat (e.path, &st), 0);
    assert_true ((uint64_t) st.st_size > committed.offset);
    uint64_t count = 0, bad_line = 0;
    char why[256];
    assert_int_equal (tsg_hub_audit_verify (e.path, &count, &bad_line, why, sizeof why), TSG_OK);
    assert_int_equal (count, 7);

    size_t len = 0;
    char *before = s_read (e.path, &len);
    assert_int_equal (s_audit_open (&e), TSG_OK); /* the start-up after the crash */
    assert_int_equal (stat (e.path, &st), 0);
    assert_int_equal ((uint64_t) st.st_size, committed.offset);

    /* What was cut off is kept aside. */
    char command[PATH_MAX + 64], kept[PATH_MAX];
    snprintf (command, sizeof command, "ls %s/audit.dropped-*.log", e.dir);
    FILE *ls = popen (command, "r");
    assert_non_null (ls);
    assert_non_null (fgets (kept, sizeof kept, ls));
    pclose (ls);
    kept[strcspn (kept, "\n")] = '\0';
    size_t kept_len = 0;
    char *dropped = s_read (kept, &kept_len);
    assert_int_equal (kept_len, len - committed.offset);
    assert_memory_equal (dropped, before + committed.offset, kept_len);
    assert_int_equal (stat (kept, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    free (dropped);
    free (before);
    assert_int_equal (tsg_hub_audit_verify (e.path, &count, &bad_line, why, sizeof why), TSG_OK);
    assert_int_equal (count, 4);

    /* A partial line of a write that was cut short goes the same way. */
    FILE *file = fopen (e.path, "ab");
    assert_non_null (file);
    fputs ("5 2026-11-23T07:00:00.1", file);
    fclose (file);
    assert_int_equal (s_audit_open (&e), TSG_OK);
    assert_int_equal (s_batch (&e, 2, true), TSG_OK);
    assert_int_equal (tsg_hub_audit_verify (e.path, &count, &bad_line, why, sizeof why), TSG_OK);
    assert_int_equal (count, 6);
    assert_int_equal (s_committed (&e).seq, 6);
    s_env_destroy (&e);
}

/* A failed commit is rolled back: the file is cut to the last committed head (the batch before
 * stays), the buffer is dropped, and the next batch carries on the chain.  A transaction that
 * already failed flushes nothing. */
static void
test_rollback (void **state)
{
    (void) state;
    s_env_t e;
    s_env_new (&e, "audit-rollback");
    assert_int_equal (s_batch (&e, 2, true), TSG_OK);
    tsg_hub_audit_head_t committed = s_committed (&e);

    assert_int_equal (s_batch (&e, 3, false), TSG_OK);
    tsg_hub_audit_head_t head;
    tsg_hub_audit_head (e.audit, &head);
    assert_int_equal (head.seq, 5);
    tsg_hub_audit_rollback (e.audit);
    tsg_hub_audit_rollback (e.audit); /* twice is harmless */
    tsg_hub_audit_head (e.audit, &head);
    assert_int_equal (head.seq, committed.seq);
    assert_int_equal (head.offset, committed.offset);
    struct stat st;
    assert_int_equal (stat (e.path, &st), 0);
    assert_int_equal ((uint64_t) st.st_size, committed.offset);

    /* Records added, then the batch's transaction failed before the flush. */
    s_add (&e);
    s_add (&e);
    assert_int_equal (tsg_hub_audit_pending (e.audit), 2);
    tsg_txn_t txn;
    tsg_txn_begin (e.store, &txn, true);
    txn.rc = TSG_ERR_STORE_FULL;
    assert_int_equal (tsg_hub_audit_flush (e.audit, &txn), TSG_ERR_STORE_FULL);
    tsg_txn_abort (&txn);
    tsg_hub_audit_rollback (e.audit);
    assert_int_equal (tsg_hub_audit_pending (e.audit), 0);
    assert_int_equal (stat (e.path, &st), 0);
    assert_int_equal ((uint64_t) st.st_size, committed.offset);

    /* The next batches go on from seq 3. */
    assert_int_equal (s_batch (&e, 4, true), TSG_OK);
    assert_int_equal (s_batch (&e, 1, true), TSG_OK);
    assert_int_equal (s_batch (&e, 2, false), TSG_OK);
    tsg_hub_audit_rollback (e.audit);
    uint64_t count = 0, bad_line = 0;
    char why[256];
    assert_int_equal (tsg_hub_audit_verify (e.path, &count, &bad_line, why, sizeof why), TSG_OK);
    assert_int_equal (count, 7);
    assert_int_equal (s_committed (&e).seq, 7);
    tsg_hub_audit_head (e.audit, &head);
    assert_int_equal (head.seq, 7);
    assert_int_equal (s_audit_open (&e), TSG_OK);
    assert_int_equal (tsg_hub_audit_verify (e.path, &count, &bad_line, why, sizeof why), TSG_OK);
    assert_int_equal (count, 7);

    /* A caller that forgets the rollback after a failed commit: the next flush builds on what
     * the store committed, overwriting the batch that did not commit. */
    assert_int_equal (s_batch (&e, 3, false), TSG_OK);
    assert_int_equal (s_batch (&e, 1, true), TSG_OK);
    assert_int_equal (tsg_hub_audit_verify (e.path, &count, &bad_line, why, sizeof why), TSG_OK);
    assert_int_equal (count, 8);
    assert_int_equal (s_committed (&e).seq, 8);
    struct stat st2;
    assert_int_equal (stat (e.path, &st2), 0);
    assert_int_equal ((uint64_t) st2.st_size, s_committed (&e).offset);

    /* And one that skips the flush in a transaction that failed, then rolls back: the batch
     * committed before stays. */
    s_add (&e);
    tsg_txn_t failed;
    tsg_txn_begin (e.store, &failed, true);
    tsg_txn_abort (&failed);
    tsg_hub_audit_rollback (e.audit);
    assert_int_equal (tsg_hub_audit_pending (e.audit), 0);
    assert_int_equal (tsg_hub_audit_verify (e.path, &count, &bad_line, why, sizeof why), TSG_OK);
    assert_int_equal (count, 8);

    /* Without an audit log, nothing happens. */
    tsg_hub_audit_add (NULL, "allowed", NULL, "eldercare-chuo", "poverty-kita", "referral",
                       json_pack ("{s:s}", "basis", "none"));
    tsg_hub_audit_rollback (NULL);
    tsg_txn_begin (e.store, &failed, true);
    assert_int_equal (tsg_hub_audit_flush (NULL, &failed), TSG_OK);
    tsg_txn_abort (&failed);
    s_env_destroy (&e);
}

/* Odd input to the checker: lines that are not records. */
static void
test_garbage (void **state)
{
    (void) state;
    static const char *const inputs[] = {
        "\n",
        "hello\n",
        "0 2026-11-23T07:00:00.123Z\n",
        "01 2026-11-23T07:00:00.123Z " /* a leading zero */
        "0000000000000000000000000000000000000000000000000000000000000000 "
        "0000000000000000000000000000000000000000000000000000000000000000 {}\n",
        "99999999999999999999999 x\n",
        "1 2026-11-23T07:00:00.123Z 00 00 {}\n",
        "1 2026-11-23T07:00:00.123Z "
        "0000000000000000000000000000000000000000000000000000000000000000 "
        "0000000000000000000000000000000000000000000000000000000000000000\n",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        tsg_hub_audit_check_t check;
        assert_int_equal (
            tsg_hub_audit_check_buffer (inputs[i], strlen (inputs[i]), &check, NULL, NULL),
            TSG_ERR_BAD_INPUT);
        assert_int_equal (check.bad_line, 1);
    }
    /* A line longer than any record, in a file. */
    s_env_t e;
    s_env_new (&e, "audit-long");
    size_t len = 3 * TSG_HUB_AUDIT_LINE_MAX;
    char *text = malloc (len);
    assert_non_null (text);
    memset (text, '7', len);
    text[len - 1] = '\n';
    s_write (e.path, text, len);
    uint64_t count = 0, bad_line = 0;
    char why[256];
    assert_int_equal (tsg_hub_audit_verify (e.path, &count, &bad_line, why, sizeof why),
                      TSG_ERR_BAD_INPUT);
    assert_int_equal (bad_line, 1);
    assert_non_null (strstr (why, "longer than"));
    free (text);
    assert_int_equal (
        tsg_hub_audit_verify ("/nonexistent/audit.log", &count, &bad_line, why, sizeof why),
        TSG_ERR_NOT_FOUND);
    s_env_destroy (&e);
}

/* Runs a tsunaguctl subcommand in-process with the NULL-terminated arguments. */
static int
s_ctl (const ctl_options_t *options, ...)
{
    char *argv[32];
    int argc = 0;
    va_list args;
    va_start (args, options);
    const char *arg;
    while ((arg = va_arg (args, const char *)) != NULL && argc < 31)
        argv[argc++] = (char *) arg;
    va_end (args);
    argv[argc] = NULL;
    fflush (stdout);
    int rc = argv[0] && strcmp (argv[0], "init") == 0 ? cmd_init (options, argc, argv)
                                                      : cmd_audit (options, argc, argv);
    fflush (stdout);
    return rc;
}

/* `tsunaguctl audit verify` is OK over a good chain and exits 1 on a changed byte, a deleted
 * last line (the store committed more) and a missing file; `audit show` prints the records. */
static void
test_ctl (void **state)
{
    (void) state;
    char root[256], data[300], path[PATH_MAX];
    test_tmpdir (root, sizeof root, "audit-ctl");
    snprintf (data, sizeof data, "%s/data", root);
    snprintf (path, sizeof path, "%s/%s", data, TSG_HUB_AUDIT_FILE);
    ctl_options_t options = { .data_dir = data };
    assert_int_equal (s_ctl (&options, "init", "--listen", "tcp://127.0.0.1:17701", "--http",
                             "127.0.0.1:17781", NULL),
                      CTL_EXIT_OK);
    assert_int_equal (s_ctl (&options, "audit", "verify", NULL), CTL_EXIT_OK); /* none yet */
    assert_int_equal (s_ctl (&options, "audit", "show", NULL), CTL_EXIT_OK);

    s_env_t e;
    memset (&e, 0, sizeof e);
    snprintf (e.dir, sizeof e.dir, "%s", data);
    snprintf (e.path, sizeof e.path, "%s", path);
    assert_int_equal (tsg_hub_store_open (e.dir, 0, &e.store), TSG_OK);
    assert_int_equal (s_audit_open (&e), TSG_OK);
    assert_int_equal (s_batch (&e, 5, true), TSG_OK);
    assert_int_equal (s_batch (&e, 2, false), TSG_OK); /* after the committed head */
    tsg_hub_audit_destroy (&e.audit);
    tsg_store_destroy (&e.store); /* one environment per process: tsunaguctl opens its own */

    ctl_options_t elsewhere = { .data_dir = "/nonexistent" };
    assert_int_equal (s_ctl (&elsewhere, "audit", "verify", "-d", data, NULL), CTL_EXIT_OK);
    assert_int_equal (s_ctl (&options, "audit", "verify", "--json", NULL), CTL_EXIT_OK);
    assert_int_equal (s_ctl (&options, "audit", "show", "--last", "3", NULL), CTL_EXIT_OK);
    assert_int_equal (s_ctl (&options, "audit", "show", "--json", "--last", "2", NULL),
                      CTL_EXIT_OK);
    assert_int_equal (s_ctl (&options, "audit", "show", "--last", "0", NULL), CTL_EXIT_FAIL);
    assert_int_equal (s_ctl (&options, "audit", "frobnicate", NULL), CTL_EXIT_USAGE);

    size_t len = 0;
    char *text = s_read (path, &len);
    size_t line5 = s_line_start (text, len, 5), line6 = s_line_start (text, len, 6);
    text[s_line_start (text, len, 3) + 40] ^= 0x01;
    s_write (path, text, len);
    assert_int_equal (s_ctl (&options, "audit", "verify", NULL), CTL_EXIT_FAIL);
    assert_int_equal (s_ctl (&options, "audit", "verify", "--json", NULL), CTL_EXIT_FAIL);
    assert_int_equal (s_ctl (&options, "audit", "show", NULL), CTL_EXIT_FAIL);
    text[s_line_start (text, len, 3) + 40] ^= 0x01;

    /* Only the committed head tells that the last committed line is gone. */
    s_write (path, text, line5);
    assert_int_equal (s_ctl (&options, "audit", "verify", "--file", path, NULL), CTL_EXIT_OK);
    assert_int_equal (s_ctl (&options, "audit", "verify", NULL), CTL_EXIT_FAIL);
    /* A rewritten tail: a copy of the good file up to line 6 verifies against the head. */
    s_write (path, text, line6);
    assert_int_equal (s_ctl (&options, "audit", "verify", NULL), CTL_EXIT_OK);
    assert_int_equal (unlink (path), 0);
    assert_int_equal (s_ctl (&options, "audit", "verify", NULL), CTL_EXIT_FAIL);
    free (text);
    test_rmtree (root);
}

int
main (void)
{
    log_init ("test_hub_audit", false);
    if (sodium_init () < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_chain_verifies),
        cmocka_unit_test (test_flipped_byte),
        cmocka_unit_test (test_truncated),
        cmocka_unit_test (test_deleted_line),
        cmocka_unit_test (test_crash_before_commit),
        cmocka_unit_test (test_rollback),
        cmocka_unit_test (test_garbage),
        cmocka_unit_test (test_ctl),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
