/* test_config.c — config files: every error reported with its line; typed getters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "test_helpers.h"

static char s_dir[512];

static int
s_setup (void **state)
{
    (void) state;
    test_tmpdir (s_dir, sizeof s_dir, "config");
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    test_rmtree (s_dir);
    return 0;
}

static tsg_config_t *
s_load (const char *name, const char *text)
{
    char path[700];
    snprintf (path, sizeof path, "%s/%s", s_dir, name);
    assert_int_equal (tsg_write_file (path, text, strlen (text), 0644), TSG_OK);
    tsg_config_t *cfg = tsg_config_load (path);
    assert_non_null (cfg);
    return cfg;
}

/* Everything tsg_config_report prints, as one string (caller frees). */
static char *
s_report (tsg_config_t *cfg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&text, &len);
    tsg_config_report (cfg, f);
    fclose (f);
    return text;
}

static const char *const s_known[] = {
    "agency.id", "agency.name", "agency.keys", "policy.response_due_days", "coordinator.box_public",
    NULL
};

static void
test_good_file (void **state)
{
    (void) state;
    tsg_config_t *cfg = s_load ("good.conf", "; comment\n[agency]\nid = eldercare-chuo\n"
                                             "name = つなぐ市中央地域包括支援センター\n"
                                             "keys = keys/agency.key\n[policy]\n"
                                             "response_due_days = 7 ; inline comment\n");
    assert_string_equal (tsg_config_string (cfg, "agency", "id", NULL), "eldercare-chuo");
    assert_string_equal (tsg_config_string (cfg, "agency", "name", NULL),
                         "つなぐ市中央地域包括支援センター");
    assert_int_equal (tsg_config_int (cfg, "policy", "response_due_days", 3, 1, 365), 7);
    assert_string_equal (tsg_config_string (cfg, "agency", "data_dir", "data"), "data");
    tsg_config_check_known (cfg, s_known);
    assert_int_equal (tsg_config_errors (cfg), 0);
    char *keys = tsg_config_resolve_path (cfg, tsg_config_string (cfg, "agency", "keys", NULL));
    char expect[700];
    snprintf (expect, sizeof expect, "%s/keys/agency.key", s_dir);
    assert_string_equal (keys, expect);
    free (keys);
    tsg_config_destroy (&cfg);
    tsg_config_destroy (&cfg);
}

static void
test_every_error_with_its_line (void **state)
{
    (void) state;
    tsg_config_t *cfg = s_load ("bad.conf", "[agency]\n"                 /* 1 */
                                            "id = eldercare-chuo\n"      /* 2 */
                                            "nmae = typo\n"              /* 3 */
                                            "[policy]\n"                 /* 4 */
                                            "response_due_days = soon\n" /* 5 */
                                            "[coordinator]\n"            /* 6 */
                                            "box_public = short\n");     /* 7 */
    tsg_config_string (cfg, "agency", "name", NULL);                     /* required, missing */
    tsg_config_int (cfg, "policy", "response_due_days", 7, 1, 365);      /* not a number */
    uint8_t key[32];
    assert_false (tsg_config_key (cfg, "coordinator", "box_public", key));
    tsg_config_check_known (cfg, s_known);
    assert_int_equal (tsg_config_errors (cfg), 4);
    char *report = s_report (cfg);
    assert_non_null (strstr (report, "bad.conf:1: agency.name is required"));
    assert_non_null (
        strstr (report, "bad.conf:5: policy.response_due_days must be a whole number"));
    assert_non_null (
        strstr (report, "bad.conf:7: coordinator.box_public: not a 40-character Z85 key"));
    assert_non_null (strstr (report, "bad.conf:3: unknown setting agency.nmae"));
    free (report);
    tsg_config_destroy (&cfg);
}

static void
test_syntax_and_missing_file (void **state)
{
    (void) state;
    tsg_config_t *cfg = s_load ("syntax.conf", "[agency]\nid = x\nthis is not ini\n");
    char *report = s_report (cfg);
    assert_non_null (strstr (report, "syntax.conf:3: syntax error"));
    free (report);
    tsg_config_destroy (&cfg);

    cfg = s_load ("dup.conf", "[agency]\nid = a\nid = b\n");
    report = s_report (cfg);
    assert_non_null (strstr (report, "dup.conf:3: agency.id is set twice (first on line 2)"));
    free (report);
    tsg_config_destroy (&cfg);

    cfg = s_load ("nosection.conf", "[http]\nlisten = 127.0.0.1:7781\n");
    tsg_config_string (cfg, "agency", "id", NULL);
    report = s_report (cfg);
    assert_non_null (strstr (
        report, "nosection.conf: agency.id is required (the file has no [agency] section)"));
    free (report);
    tsg_config_destroy (&cfg);

    cfg = tsg_config_load ("/nonexistent/tsunagu.conf");
    assert_int_equal (tsg_config_errors (cfg), 1);
    report = s_report (cfg);
    assert_non_null (strstr (report, "/nonexistent/tsunagu.conf: cannot read"));
    free (report);
    tsg_config_destroy (&cfg);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_good_file),
        cmocka_unit_test (test_every_error_with_its_line),
        cmocka_unit_test (test_syntax_and_missing_file),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
