/* test_keys.c — key files: round trip, permission refusal, malformed and mismatched files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "test_helpers.h"

static char s_dir[512];

static int
s_setup (void **state)
{
    (void) state;
    test_tmpdir (s_dir, sizeof s_dir, "keys");
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    test_rmtree (s_dir);
    return 0;
}

static void
test_round_trip (void **state)
{
    (void) state;
    char path[600], pub[600], err[256] = "";
    snprintf (path, sizeof path, "%s/a.key", s_dir);
    snprintf (pub, sizeof pub, "%s/a.pub", s_dir);
    tsg_keys_t *keys = tsg_keys_generate ("eldercare-chuo");
    assert_non_null (keys);
    assert_int_equal (tsg_keys_save_secret (keys, path), TSG_OK);
    assert_int_equal (tsg_keys_save_public (keys, pub), TSG_OK);

    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);

    tsg_keys_t *loaded = NULL;
    assert_int_equal (tsg_keys_load (path, &loaded, err, sizeof err), TSG_OK);
    assert_string_equal (tsg_keys_id (loaded), "eldercare-chuo");
    assert_memory_equal (tsg_keys_box_secret (loaded), tsg_keys_box_secret (keys), 32);
    assert_memory_equal (tsg_keys_sign_secret (loaded), tsg_keys_sign_secret (keys), 64);

    char id[33];
    uint8_t box[32], sign[32];
    assert_int_equal (tsg_keys_load_public (pub, id, box, sign, err, sizeof err), TSG_OK);
    assert_string_equal (id, "eldercare-chuo");
    assert_memory_equal (box, tsg_keys_box_public (keys), 32);
    assert_memory_equal (sign, tsg_keys_sign_public (keys), 32);

    tsg_keys_destroy (&keys);
    tsg_keys_destroy (&loaded);
    tsg_keys_destroy (&loaded); /* safe twice */
    assert_null (loaded);
}

static void
test_refuses_open_permissions (void **state)
{
    (void) state;
    char path[600], err[256] = "";
    snprintf (path, sizeof path, "%s/open.key", s_dir);
    tsg_keys_t *keys = tsg_keys_generate ("poverty-jiritsu");
    assert_int_equal (tsg_keys_save_secret (keys, path), TSG_OK);
    tsg_keys_destroy (&keys);
    const mode_t modes[] = { 0644, 0640, 0604, 0660, 0606 };
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        assert_int_equal (chmod (path, modes[i]), 0);
        tsg_keys_t *loaded = NULL;
        assert_int_equal (tsg_keys_load (path, &loaded, err, sizeof err), TSG_ERR_PERMISSION);
        assert_null (loaded);
        assert_non_null (strstr (err, "0600"));
    }
    assert_int_equal (chmod (path, 0600), 0);
    tsg_keys_t *loaded = NULL;
    assert_int_equal (tsg_keys_load (path, &loaded, err, sizeof err), TSG_OK);
    tsg_keys_destroy (&loaded);
}

static void
s_write (const char *path, const char *text)
{
    assert_int_equal (tsg_write_file (path, text, strlen (text), 0600), TSG_OK);
}

static void
test_refuses_malformed_and_mismatched (void **state)
{
    (void) state;
    char path[600], err[256];
    snprintf (path, sizeof path, "%s/bad.key", s_dir);
    tsg_keys_t *loaded = NULL;

    s_write (path, "id = x\nbox-secret = not-z85\n");
    assert_int_equal (tsg_keys_load (path, &loaded, err, sizeof err), TSG_ERR_BAD_INPUT);
    assert_null (loaded);

    s_write (path, "this line has no equals sign\n");
    assert_int_equal (tsg_keys_load (path, &loaded, err, sizeof err), TSG_ERR_BAD_INPUT);
    assert_non_null (strstr (err, ":1:"));

    /* The public half of one pair with the secret half of another. */
    tsg_keys_t *a = tsg_keys_generate ("a"), *b = tsg_keys_generate ("b");
    char a_path[600], b_path[600];
    snprintf (a_path, sizeof a_path, "%s/a2.key", s_dir);
    snprintf (b_path, sizeof b_path, "%s/b2.key", s_dir);
    tsg_keys_save_secret (a, a_path);
    tsg_keys_save_secret (b, b_path);
    char *a_text = NULL, *b_text = NULL;
    assert_int_equal (tsg_read_file (a_path, 4096, &a_text, NULL), TSG_OK);
    assert_int_equal (tsg_read_file (b_path, 4096, &b_text, NULL), TSG_OK);
    char mixed[4096];
    char *a_box_pub = strstr (a_text, "box-public");
    char *b_box_pub = strstr (b_text, "box-public");
    *strchr (a_box_pub, '\n') = '\0';
    snprintf (mixed, sizeof mixed, "id = a\n%s\n%s", a_box_pub, strchr (b_box_pub, '\n') + 1);
    s_write (path, mixed);
    assert_int_equal (tsg_keys_load (path, &loaded, err, sizeof err), TSG_ERR_BAD_INPUT);
    assert_non_null (strstr (err, "does not match"));
    free (a_text);
    free (b_text);
    tsg_keys_destroy (&a);
    tsg_keys_destroy (&b);

    assert_int_equal (tsg_keys_load ("/nonexistent/x.key", &loaded, err, sizeof err),
                      TSG_ERR_NOT_FOUND);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_round_trip),
        cmocka_unit_test (test_refuses_open_permissions),
        cmocka_unit_test (test_refuses_malformed_and_mismatched),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
