/* A backup's manifest (common/manifest.c) and the file work under it (common/backup_files.c):
 * what a manifest lists round-trips; a manifest of another format, a newer version, an unknown
 * kind, a bad path or hash is refused; a changed, missing or added file is named; a backup
 * folder is owner-only and never reused; the store copy reads back without a lock file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_backup.h"
#include "tsunagu/tsg_manifest.h"

/* A fresh temp folder for one test (under $TSUNAGU_TEST_TMP when set). */
static void
s_tmpdir (char out[512])
{
    const char *base = getenv ("TSUNAGU_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    mkdir (base, 0700);
    snprintf (out, 512, "%s/manifest-XXXXXX", base);
    assert_non_null (mkdtemp (out));
}

static void
s_write (const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
}

/* Runs check_files with the report in a buffer; returns the count, *text the report (freed by
 * the caller). */
static int
s_check (const tsg_manifest_t *m, const char *dir, char **text)
{
    size_t len = 0;
    FILE *report = open_memstream (text, &len);
    int problems = tsg_manifest_check_files (m, dir, report);
    fclose (report);
    return problems;
}

static void
test_paths (void **state)
{
    (void) state;
    assert_true (tsg_manifest_path_valid ("audit.log"));
    assert_true (tsg_manifest_path_valid ("store/data.mdb"));
    assert_true (tsg_manifest_path_valid ("keys/coordinator.key"));
    assert_false (tsg_manifest_path_valid (""));
    assert_false (tsg_manifest_path_valid ("/etc/passwd"));
    assert_false (tsg_manifest_path_valid ("../outside"));
    assert_false (tsg_manifest_path_valid ("store/../../x"));
    assert_false (tsg_manifest_path_valid ("store//x"));
    assert_false (tsg_manifest_path_valid ("./x"));
    assert_false (tsg_manifest_path_valid ("store/.hidden"));
    assert_false (tsg_manifest_path_valid ("...o/x"));
    assert_false (tsg_manifest_path_valid ("store/"));
    assert_false (tsg_manifest_path_valid ("a b"));
    assert_false (tsg_manifest_path_valid ("MANIFEST.json"));
    assert_false (tsg_manifest_path_valid (NULL));
}

static void
test_round_trip_and_changes (void **state)
{
    (void) state;
    char dir[512], err[1024], sub[600];
    s_tmpdir (dir);
    snprintf (sub, sizeof sub, "%s/store", dir);
    assert_int_equal (mkdir (sub, 0700), 0);
    s_write (dir, "audit.log", "one line\n");
    s_write (dir, "store/data.mdb", "0123456789");
    tsg_manifest_t *m = tsg_manifest_new ("coordinator", "/var/lib/tsunagu");
    assert_non_null (m);
    assert_int_equal (tsg_manifest_add_file (m, dir, "store/data.mdb", err, sizeof err), TSG_OK);
    assert_int_equal (tsg_manifest_add_file (m, dir, "audit.log", err, sizeof err), TSG_OK);
    assert_int_equal (tsg_manifest_add_file (m, dir, "audit.log", err, sizeof err),
                      TSG_ERR_BAD_INPUT); /* twice */
    assert_int_equal (tsg_manifest_add_file (m, dir, "absent", err, sizeof err), TSG_ERR_NOT_FOUND);
    tsg_manifest_set (m, "audit_head", json_pack ("{s:i}", "seq", 7));
    assert_int_equal (tsg_manifest_write (m, dir, err, sizeof err), TSG_OK);
    tsg_manifest_destroy (&m);
    tsg_manifest_destroy (&m); /* safe twice */

    char path[700];
    snprintf (path, sizeof path, "%s/%s", dir, TSG_MANIFEST_FILE);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);

    m = tsg_manifest_load (dir, err, sizeof err);
    assert_non_null (m);
    assert_string_equal (tsg_manifest_kind (m), "coordinator");
    assert_string_equal (tsg_manifest_source (m), "/var/lib/tsunagu");
    assert_int_equal (tsg_manifest_files (m), 2);
    assert_string_equal (tsg_manifest_file_path (m, 0), "store/data.mdb");
    assert_int_equal (tsg_manifest_file_size (m, 0), 10);
    assert_int_equal (
        json_integer_value (json_object_get (tsg_manifest_get (m, "audit_head"), "seq")), 7);
    assert_string_equal (json_string_value (tsg_manifest_get (m, "tsunagu_version")),
                         TSUNAGU_VERSION);
    char *text = NULL;
    assert_int_equal (s_check (m, dir, &text), 0);
    free (text);

    /* One byte changed, the size the same: the hash names the file. */
    s_write (dir, "store/data.mdb", "0123456780");
    assert_int_equal (s_check (m, dir, &text), 1);
    assert_non_null (strstr (text, "store/data.mdb"));
    assert_non_null (strstr (text, "SHA-256"));
    free (text);
    /* Longer. */
    s_write (dir, "store/data.mdb", "01234567890");
    assert_int_equal (s_check (m, dir, &text), 1);
    assert_non_null (strstr (text, "11 bytes"));
    free (text);
    s_write (dir, "store/data.mdb", "0123456789");
    /* Missing, and a file nobody listed. */
    snprintf (path, sizeof path, "%s/audit.log", dir);
    assert_int_equal (unlink (path), 0);
    s_write (dir, "store/extra", "x");
    assert_int_equal (s_check (m, dir, &text), 2);
    assert_non_null (strstr (text, "audit.log"));
    assert_non_null (strstr (text, "store/extra: not listed"));
    free (text);
    tsg_manifest_destroy (&m);
}

static void
test_parse_refusals (void **state)
{
    (void) state;
    char err[256];
    const char *sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    char good[1024], text[1024];
    snprintf (good, sizeof good,
              "{\"format\":\"tsunagu-backup\",\"format_version\":1,\"kind\":\"agency\","
              "\"source\":\"/x\",\"files\":[{\"path\":\"store/data.mdb\",\"size\":0,"
              "\"sha256\":\"%s\"}]}",
              sha);
    tsg_manifest_t *m = tsg_manifest_parse (good, strlen (good), err, sizeof err);
    assert_non_null (m);
    assert_string_equal (tsg_manifest_kind (m), "agency");
    tsg_manifest_destroy (&m);

    const struct {
        const char *from; /* a piece of good */
        const char *to;   /* what replaces it */
        const char *why;  /* a word of the refusal */
    } cases[] = {
        { "tsunagu-backup", "other-backup", "format" },
        { "\"format_version\":1", "\"format_version\":2", "newer" },
        { "\"format_version\":1", "\"format_version\":\"1\"", "format_version" },
        { "agency", "registry", "kind" },
        { "\"source\":\"/x\",", "", "source" },
        { "store/data.mdb", "../data.mdb", "path" },
        { "\"size\":0", "\"size\":-1", "size" },
        { "e3b0", "zzzz", "sha256" },
        { "]}", ",{\"path\":\"store/data.mdb\",\"size\":0,\"sha256\":\"0\"}]}", "sha256" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *at = strstr (good, cases[i].from);
        assert_non_null (at);
        snprintf (text, sizeof text, "%.*s%s%s", (int) (at - good), good, cases[i].to,
                  at + strlen (cases[i].from));
        err[0] = '\0';
        m = tsg_manifest_parse (text, strlen (text), err, sizeof err);
        if (m)
            fail_msg ("accepted case %zu: %s", i, text);
        if (!strstr (err, cases[i].why))
            fail_msg ("case %zu: \"%s\" does not say %s", i, err, cases[i].why);
    }
    /* Listed twice. */
    snprintf (text, sizeof text,
              "{\"format\":\"tsunagu-backup\",\"format_version\":1,\"kind\":\"agency\","
              "\"source\":\"/x\",\"files\":[{\"path\":\"a\",\"size\":0,\"sha256\":\"%s\"},"
              "{\"path\":\"a\",\"size\":0,\"sha256\":\"%s\"}]}",
              sha, sha);
    assert_null (tsg_manifest_parse (text, strlen (text), err, sizeof err));
    assert_non_null (strstr (err, "twice"));
    assert_null (tsg_manifest_parse ("[1]", 3, err, sizeof err));
    assert_null (tsg_manifest_parse ("{\"format\":", 10, err, sizeof err));
    char dir[512];
    s_tmpdir (dir);
    assert_null (tsg_manifest_load (dir, err, sizeof err));
    assert_non_null (strstr (err, "absent"));
}

static void
test_backup_dir (void **state)
{
    (void) state;
    char base[512], dir[700], err[1024];
    s_tmpdir (base);
    snprintf (dir, sizeof dir, "%s/a/b/backup", base);
    mode_t old = umask (0);
    assert_int_equal (tsg_backup_dir_make (dir, err, sizeof err), TSG_OK);
    umask (old);
    struct stat st;
    assert_int_equal (stat (dir, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0700);
    /* Empty: taken again (and made 0700); with a file in it: refused. */
    chmod (dir, 0755);
    assert_int_equal (tsg_backup_dir_make (dir, err, sizeof err), TSG_OK);
    assert_int_equal (stat (dir, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0700);
    s_write (dir, "x", "x");
    assert_int_equal (tsg_backup_dir_make (dir, err, sizeof err), TSG_ERR_EXISTS);
    assert_non_null (strstr (err, "not empty"));
    char file[800];
    snprintf (file, sizeof file, "%s/x", dir);
    assert_int_equal (tsg_backup_dir_make (file, err, sizeof err), TSG_ERR_EXISTS);

    /* An exact-length copy, 0600; a source shorter than asked is an error that leaves
     * nothing. */
    char dest[800];
    snprintf (dest, sizeof dest, "%s/copy", dir);
    s_write (dir, "src", "0123456789");
    char src[800];
    snprintf (src, sizeof src, "%s/src", dir);
    assert_int_equal (tsg_backup_file_copy (src, dest, 4, err, sizeof err), TSG_OK);
    assert_int_equal (stat (dest, &st), 0);
    assert_int_equal (st.st_size, 4);
    assert_int_equal (st.st_mode & 0777, 0600);
    assert_int_equal (tsg_backup_file_copy (src, dest, 4, err, sizeof err), TSG_ERR_IO);
    unlink (dest);
    assert_int_equal (tsg_backup_file_copy (src, dest, 11, err, sizeof err), TSG_ERR_IO);
    assert_int_not_equal (stat (dest, &st), 0);
}

static void
test_store_copy (void **state)
{
    (void) state;
    char base[512], env_dir[700], copy[700], err[1024];
    s_tmpdir (base);
    snprintf (env_dir, sizeof env_dir, "%s/env", base);
    snprintf (copy, sizeof copy, "%s/data.mdb", base);
    static const char *const names[] = { "meta", "other" };
    tsg_store_t *store = NULL;
    assert_int_equal (tsg_store_open (env_dir, 1u << 20, names, 2, &store), TSG_OK);
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);
    uint8_t v[8];
    tsg_be64_put (v, 3);
    tsg_txn_put (&txn, tsg_store_db (store, 0), "schema.version", 14, v, 8);
    tsg_txn_put (&txn, tsg_store_db (store, 0), "key", 3, "value", 5);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    assert_false (tsg_backup_store_in_use (base)); /* no environment there */
    /* Another process with the environment open is seen (our own open is not). */
    int go[2], ready[2];
    assert_int_equal (pipe (go), 0);
    assert_int_equal (pipe (ready), 0);
    pid_t child = fork ();
    assert_true (child >= 0);
    if (child == 0) {
        tsg_store_t *other = NULL;
        char c = tsg_store_open (env_dir, 1u << 20, names, 2, &other) == TSG_OK ? 'y' : 'n';
        if (write (ready[1], &c, 1) != 1 || read (go[0], &c, 1) != 1)
            _exit (1);
        tsg_store_destroy (&other);
        _exit (0);
    }
    char c = 0;
    assert_int_equal (read (ready[0], &c, 1), 1);
    assert_int_equal (c, 'y');
    assert_true (tsg_backup_store_in_use (env_dir));
    assert_int_equal (write (go[1], "x", 1), 1);
    int status = 0;
    assert_int_equal (waitpid (child, &status, 0), child);
    assert_false (tsg_backup_store_in_use (env_dir));
    close (go[0]), close (go[1]), close (ready[0]), close (ready[1]);
    /* Copied while open, with a read transaction of ours in the way. */
    tsg_txn_begin (store, &txn, false);
    assert_int_equal (tsg_backup_store_copy (env_dir, copy, err, sizeof err), TSG_OK);
    tsg_txn_abort (&txn);
    assert_int_equal (tsg_backup_store_copy (env_dir, copy, err, sizeof err), TSG_ERR_IO);
    tsg_store_destroy (&store);
    struct stat st;
    assert_int_equal (stat (copy, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);

    char out[16];
    size_t len = 0;
    assert_int_equal (
        tsg_backup_store_read (copy, "meta", "key", out, sizeof out, &len, err, sizeof err),
        TSG_OK);
    assert_int_equal (len, 5);
    assert_memory_equal (out, "value", 5);
    assert_int_equal (
        tsg_backup_store_read (copy, "meta", "nope", out, sizeof out, &len, err, sizeof err),
        TSG_ERR_NOT_FOUND);
    assert_int_equal (tsg_backup_store_read (copy, "meta", "key", out, 2, &len, err, sizeof err),
                      TSG_ERR_TOO_LARGE);
    assert_int_equal (
        tsg_backup_store_read (copy, "nodb", "key", out, sizeof out, &len, err, sizeof err),
        TSG_ERR_NOT_FOUND);
    /* Reading the copy made no lock file and changed nothing. */
    char lock[800];
    snprintf (lock, sizeof lock, "%s/data.mdb-lock", base);
    assert_int_not_equal (stat (lock, &st), 0);
    /* A file that is not a store. */
    s_write (base, "junk", "not a store at all");
    char junk[800];
    snprintf (junk, sizeof junk, "%s/junk", base);
    assert_int_equal (
        tsg_backup_store_read (junk, "meta", "key", out, sizeof out, &len, err, sizeof err),
        TSG_ERR_STORE);
    char nowhere[800];
    snprintf (nowhere, sizeof nowhere, "%s/nowhere", base);
    assert_int_equal (tsg_backup_store_copy (nowhere, copy, err, sizeof err), TSG_ERR_NOT_FOUND);
    /* Install keeps the old file under its name. */
    char keep[800], staged[800];
    snprintf (keep, sizeof keep, "%s/junk.old", base);
    snprintf (staged, sizeof staged, "%s/staged", base);
    s_write (base, "staged", "new");
    assert_int_equal (tsg_backup_install (staged, junk, keep, err, sizeof err), TSG_OK);
    assert_int_equal (stat (keep, &st), 0);
    assert_int_equal (st.st_size, 18);
    assert_int_equal (stat (junk, &st), 0);
    assert_int_equal (st.st_size, 3);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_paths),          cmocka_unit_test (test_round_trip_and_changes),
        cmocka_unit_test (test_parse_refusals), cmocka_unit_test (test_backup_dir),
        cmocka_unit_test (test_store_copy),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
