/* The policy table of the four agency types, and agency.conf checks (type, keys, listen). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_agency.h"
#include "agency_world.h"

static void
s_tags_are (const tsg_agency_policy_t *policy, const char *const expected[])
{
    size_t n = 0;
    while (expected[n])
        n++;
    assert_int_equal (tsg_agency_policy_tag_count (policy), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal (policy->tags[i], expected[i]);
}

static void
test_each_type (void **state)
{
    (void) state;
    const tsg_agency_policy_t *p;

    p = tsg_agency_policy_find ("eldercare");
    assert_non_null (p);
    assert_string_equal (p->name_ja, "地域包括支援センター");
    assert_int_equal (p->response_due_days, 7);
    s_tags_are (p, (const char *const[]){ "介護", "認知症", "8050", "虐待", "孤立", NULL });

    p = tsg_agency_policy_find ("disability");
    assert_non_null (p);
    assert_string_equal (p->name_ja, "相談支援事業所");
    assert_int_equal (p->response_due_days, 14);
    s_tags_are (p, (const char *const[]){ "障害", "精神保健", "ひきこもり", "就労", NULL });

    p = tsg_agency_policy_find ("child");
    assert_non_null (p);
    assert_string_equal (p->name_ja, "こども家庭センター");
    assert_int_equal (p->response_due_days, 3);
    s_tags_are (p,
                (const char *const[]){ "子育て", "不登校", "ヤングケアラー", "虐待", "DV", NULL });

    p = tsg_agency_policy_find ("poverty");
    assert_non_null (p);
    assert_string_equal (p->name_ja, "自立相談支援機関");
    assert_int_equal (p->response_due_days, 7);
    s_tags_are (p, (const char *const[]){ "生活困窮", "就労", "住まい", "債務", "家計", NULL });
    assert_null (p->mandatory_report);
}

static void
test_table_and_unknown (void **state)
{
    (void) state;
    size_t count = 0;
    const tsg_agency_policy_t *table = tsg_agency_policy_table (&count);
    assert_int_equal (count, 4);
    for (size_t i = 0; i < count; i++) {
        assert_ptr_equal (tsg_agency_policy_find (table[i].type), &table[i]);
        assert_true (tsg_agency_type_valid (table[i].type));
    }
    assert_null (tsg_agency_policy_find ("housing"));
    assert_null (tsg_agency_policy_find ("coordinator"));
    assert_null (tsg_agency_policy_find (""));
    assert_null (tsg_agency_policy_find ("Eldercare"));
    assert_null (tsg_agency_policy_find (NULL));
}

/* A bundle folder with keys and an agency.conf built from the given lines. */
typedef struct {
    agency_world_t *world; /* owns the folder */
    char dir[600];         /* the bundle */
    char conf[700];        /* its agency.conf */
} s_bundle_t;

static void
s_bundle (s_bundle_t *b, const char *id, const char *type, const char *extra, const char *listen,
          unsigned key_mode)
{
    b->world = agency_world_new ();
    assert_non_null (b->world);
    snprintf (b->dir, sizeof b->dir, "%s/bundle", agency_world_dir (b->world));
    char keys_dir[700], key_path[760];
    snprintf (keys_dir, sizeof keys_dir, "%s/keys", b->dir);
    assert_true (tsg_mkdir_p (keys_dir, 0700));
    snprintf (key_path, sizeof key_path, "%s/agency.key", keys_dir);
    tsg_keys_t *keys = tsg_keys_generate (id);
    tsg_keys_t *coordinator = tsg_keys_generate ("coordinator");
    assert_int_equal (tsg_keys_save_secret (keys, key_path), TSG_OK);
    assert_int_equal (chmod (key_path, key_mode), 0);
    char box[41], sign[41];
    tsg_key_to_z85 (tsg_keys_box_public (coordinator), box);
    tsg_key_to_z85 (tsg_keys_sign_public (coordinator), sign);
    snprintf (b->conf, sizeof b->conf, "%s/agency.conf", b->dir);
    FILE *f = fopen (b->conf, "w");
    assert_non_null (f);
    fprintf (f,
             "[agency]\nid = %s\ntype = %s\nname = つなぐ市テスト機関\nkeys = keys/agency.key\n"
             "data_dir = data\nmap_size_mb = 16\n%s"
             "[coordinator]\nendpoint = tcp://127.0.0.1:7700\nbox_public = %s\nsign_public = %s\n"
             "[http]\nlisten = %s\n"
             "token_sha256 = 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
             id, type, extra, box, sign, listen);
    fclose (f);
    tsg_keys_destroy (&keys);
    tsg_keys_destroy (&coordinator);
}

static void
s_bundle_done (s_bundle_t *b)
{
    agency_world_destroy (&b->world);
}

static void
test_config_good (void **state)
{
    (void) state;
    s_bundle_t b;
    s_bundle (&b, "eldercare-chuo", "eldercare", "", "127.0.0.1:7781", 0600);
    tsg_agency_config_t *config = tsg_agency_config_load (b.conf, "eldercare");
    assert_non_null (config);
    if (config->errors)
        fprintf (stderr, "%s", config->report);
    assert_int_equal (config->errors, 0);
    assert_string_equal (config->id, "eldercare-chuo");
    assert_string_equal (config->http_host, "127.0.0.1");
    assert_int_equal (config->http_port, 7781);
    assert_int_equal (config->response_due_days, 7); /* the type's default */
    assert_int_equal (config->map_size, 16u * 1024 * 1024);
    assert_non_null (config->keys);
    assert_non_null (strstr (config->data_dir, "/bundle/data"));
    tsg_agency_config_destroy (&config);
    tsg_agency_config_destroy (&config); /* twice is fine */
    s_bundle_done (&b);
}

static void
test_config_other_type_refused (void **state)
{
    (void) state;
    s_bundle_t b;
    s_bundle (&b, "eldercare-chuo", "eldercare", "", "127.0.0.1:7781", 0600);
    tsg_agency_config_t *config = tsg_agency_config_load (b.conf, "poverty");
    assert_int_equal (config->errors, 1);
    assert_non_null (strstr (config->report, "agency.conf:3:"));
    assert_non_null (strstr (config->report, "this daemon serves type poverty"));
    tsg_agency_config_destroy (&config);
    s_bundle_done (&b);
}

static void
test_config_unknown_type_refused (void **state)
{
    (void) state;
    s_bundle_t b;
    s_bundle (&b, "housing-a", "housing", "", "127.0.0.1:7781", 0600);
    tsg_agency_config_t *config = tsg_agency_config_load (b.conf, "eldercare");
    assert_int_equal (config->errors, 1);
    assert_non_null (strstr (config->report, "unknown agency type 'housing'"));
    tsg_agency_config_destroy (&config);
    s_bundle_done (&b);
}

static void
test_config_every_problem_reported (void **state)
{
    (void) state;
    s_bundle_t b;
    /* Key readable by others, a typo'd key, a due date out of range, a public address. */
    s_bundle (&b, "child-kita", "child", "[policy]\nresponse_due_days = 0\nrespons_due_days = 3\n",
              "0.0.0.0:7781", 0644);
    tsg_agency_config_t *config = tsg_agency_config_load (b.conf, "child");
    assert_int_equal (config->errors, 4);
    assert_non_null (strstr (config->report, "agency.key"));
    assert_non_null (strstr (config->report, "respons_due_days"));
    assert_non_null (strstr (config->report, "response_due_days"));
    assert_non_null (strstr (config->report, "loopback"));
    tsg_agency_config_destroy (&config);
    s_bundle_done (&b);
}

static void
test_config_due_days_override (void **state)
{
    (void) state;
    s_bundle_t b;
    s_bundle (&b, "dis-minami", "disability", "[policy]\nresponse_due_days = 10\n", "[::1]:7790",
              0600);
    tsg_agency_config_t *config = tsg_agency_config_load (b.conf, "disability");
    assert_int_equal (config->errors, 0);
    assert_int_equal (config->response_due_days, 10);
    assert_string_equal (config->http_host, "::1");
    assert_int_equal (config->http_port, 7790);
    tsg_agency_config_destroy (&config);
    s_bundle_done (&b);
}

static void
test_config_missing_file (void **state)
{
    (void) state;
    tsg_agency_config_t *config = tsg_agency_config_load ("/nonexistent/agency.conf", "poverty");
    assert_non_null (config);
    assert_true (config->errors > 0);
    assert_non_null (config->report);
    tsg_agency_config_destroy (&config);
}

static void
test_options (void **state)
{
    (void) state;
    tsg_agency_options_t opts;
    char *a1[] = { "tsunagu-child", "-n", "-c", "x.conf", NULL };
    assert_int_equal (tsg_agency_options (4, a1, "child", &opts), -1);
    assert_true (opts.check_only);
    assert_string_equal (opts.config_path, "x.conf");
    char *a2[] = { "tsunagu-child", "--bogus", NULL };
    assert_int_equal (tsg_agency_options (2, a2, "child", &opts), 1);
    char *a3[] = { "tsunagu-child", NULL };
    assert_int_equal (tsg_agency_options (1, a3, "child", &opts), -1);
    assert_string_equal (opts.config_path, "/etc/tsunagu/child/agency.conf");
}

int
main (void)
{
    log_init ("test_agency_policy", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_each_type),
        cmocka_unit_test (test_table_and_unknown),
        cmocka_unit_test (test_config_good),
        cmocka_unit_test (test_config_other_type_refused),
        cmocka_unit_test (test_config_unknown_type_refused),
        cmocka_unit_test (test_config_every_problem_reported),
        cmocka_unit_test (test_config_due_days_override),
        cmocka_unit_test (test_config_missing_file),
        cmocka_unit_test (test_options),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
