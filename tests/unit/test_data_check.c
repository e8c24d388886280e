/* Whether a data directory's audit log agrees with the store's committed head
 * (coordinator/model/data_check.c), as -n, backup verify and restore ask and start-up needs:
 * missing, shorter (older), another chain at the head, or whole; the head's 48 bytes; the
 * journal of an interrupted restore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coordinator/model/data_check.h"

/* A fresh temp folder (under $TSUNAGU_TEST_TMP when set). */
static void
s_tmpdir (char out[512])
{
    const char *base = getenv ("TSUNAGU_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    mkdir (base, 0700);
    snprintf (out, 512, "%s/data-check-XXXXXX", base);
    assert_non_null (mkdtemp (out));
}

/* Writes n chained records into path (each event name from events) and returns the head
 * after the last one. */
static tsg_hub_audit_head_t
s_write_chain (const char *path, int n, const char *event)
{
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    uint8_t prev[32] = { 0 };
    tsg_hub_audit_head_t head = { 0 };
    for (int seq = 1; seq <= n; seq++) {
        char json[256], prev_hex[65], hash_hex[65];
        const char *at = "2026-12-03T07:00:00.000Z";
        snprintf (json, sizeof json, "{\"seq\":%d,\"at\":\"%s\",\"event\":\"%s\"}", seq, at, event);
        crypto_hash_sha256_state st;
        crypto_hash_sha256_init (&st);
        crypto_hash_sha256_update (&st, prev, 32);
        crypto_hash_sha256_update (&st, (const unsigned char *) json, strlen (json));
        uint8_t hash[32];
        crypto_hash_sha256_final (&st, hash);
        tsg_hex_encode (prev, 32, prev_hex);
        tsg_hex_encode (hash, 32, hash_hex);
        int len = fprintf (f, "%d %s %s %s %s\n", seq, at, prev_hex, hash_hex, json);
        memcpy (prev, hash, 32);
        head.seq = (uint64_t) seq;
        memcpy (head.hash, hash, 32);
        head.offset += (uint64_t) len;
    }
    fclose (f);
    return head;
}

/* Runs tsg_hub_audit_agrees with the report in a buffer; returns the count. */
static int
s_agrees (const char *path, const tsg_hub_audit_head_t *head, char **text)
{
    size_t len = 0;
    FILE *report = open_memstream (text, &len);
    int problems = tsg_hub_audit_agrees (path, head, report);
    fclose (report);
    return problems;
}

static void
test_agrees (void **state)
{
    (void) state;
    char dir[512], path[600], *text = NULL;
    s_tmpdir (dir);
    snprintf (path, sizeof path, "%s/audit.log", dir);
    tsg_hub_audit_head_t zero = { 0 };
    /* Nothing committed and no file: start-up makes one. */
    assert_int_equal (s_agrees (path, &zero, &text), 0);
    free (text);

    tsg_hub_audit_head_t head = s_write_chain (path, 5, "allowed");
    assert_int_equal (s_agrees (path, &head, &text), 0);
    free (text);
    /* A head of 3 records: the file is longer (a batch not committed), which start-up cuts. */
    tsg_hub_audit_head_t three = s_write_chain (path, 3, "allowed");
    s_write_chain (path, 5, "allowed");
    assert_int_equal (s_agrees (path, &three, &text), 0);
    free (text);

    /* Shorter than the head: an older or truncated log. */
    assert_int_equal (truncate (path, (off_t) three.offset), 0);
    assert_int_equal (s_agrees (path, &head, &text), 1);
    assert_non_null (strstr (text, "records were lost"));
    assert_non_null (strstr (text, path));
    free (text);

    /* Missing while the head is past 0. */
    unlink (path);
    assert_int_equal (s_agrees (path, &head, &text), 1);
    assert_non_null (strstr (text, "restore the file"));
    free (text);

    /* As long, but another chain: the record at the head is not the one committed. */
    s_write_chain (path, 5, "refused");
    assert_int_equal (s_agrees (path, &head, &text), 1);
    assert_non_null (strstr (text, "another chain"));
    free (text);
    /* The same chain with one record's hash bit flipped at the head. */
    s_write_chain (path, 5, "allowed");
    tsg_hub_audit_head_t flipped = head;
    flipped.hash[0] ^= 1;
    assert_int_equal (s_agrees (path, &flipped, &text), 1);
    free (text);
    /* A head whose offset falls inside a line. */
    tsg_hub_audit_head_t inside = head;
    inside.offset -= 3;
    assert_int_equal (s_agrees (path, &inside, &text), 1);
    free (text);
}

static void
test_head_decode (void **state)
{
    (void) state;
    uint8_t value[48];
    tsg_be64_put (value, 42);
    memset (value + 8, 0xab, 32);
    tsg_be64_put (value + 40, 12345);
    tsg_hub_audit_head_t head;
    assert_true (tsg_hub_audit_head_decode (value, 48, &head));
    assert_int_equal (head.seq, 42);
    assert_int_equal (head.offset, 12345);
    assert_int_equal (head.hash[31], 0xab);
    assert_false (tsg_hub_audit_head_decode (value, 47, &head));
    assert_int_equal (head.seq, 0);
}

static void
test_restore_journal (void **state)
{
    (void) state;
    char dir[512], path[600];
    s_tmpdir (dir);
    assert_false (tsg_hub_restore_pending (dir, NULL));
    assert_int_equal (tsg_hub_data_check (dir, 0, NULL), 0); /* no store: start-up makes one */
    snprintf (path, sizeof path, "%s/%s", dir, TSG_HUB_RESTORE_JOURNAL);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fclose (f);
    assert_true (tsg_hub_restore_pending (dir, NULL));
    assert_int_equal (tsg_hub_data_check (dir, 0, NULL), 1);
}

int
main (void)
{
    assert_true (sodium_init () >= 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_agrees),
        cmocka_unit_test (test_head_decode),
        cmocka_unit_test (test_restore_journal),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
