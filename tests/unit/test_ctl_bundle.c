/* test_ctl_bundle.c — tsunaguctl's bundle writer, token hashing, value checks and site loading:
 * a bundle it writes must load in the agency's configuration format, keys and all. */
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

#include "ctl.h"

/* A fresh temporary folder for one test; caller removes it with ctl_remove_tree. */
static char *
s_tempdir (void)
{
    const char *base = getenv ("TSUNAGU_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    tsg_mkdir_p (base, 0700);
    char *path = NULL;
    assert_true (asprintf (&path, "%s/ctl-bundle-XXXXXX", base) > 0);
    assert_non_null (mkdtemp (path));
    return path;
}

static unsigned
s_mode (const char *dir, const char *name)
{
    char path[2 * PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    return (unsigned) (st.st_mode & 0777);
}

static void
test_token (void **state)
{
    (void) state;
    char a[CTL_TOKEN_HEX], b[CTL_TOKEN_HEX];
    ctl_token_new (a);
    ctl_token_new (b);
    assert_int_equal (strlen (a), 64);
    assert_string_not_equal (a, b);
    for (size_t i = 0; i < 64; i++)
        assert_non_null (strchr ("0123456789abcdef", a[i]));

    /* FIPS 180-2 test vector: the hash is of the text exactly, no newline. */
    char hash[CTL_TOKEN_HEX];
    ctl_token_hash ("abc", hash);
    assert_string_equal (hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_names (void **state)
{
    (void) state;
    const char *why = NULL;
    assert_true (tsg_agency_name_ok ("つなぐ市中央地域包括支援センター", &why));
    assert_true (tsg_agency_name_ok ("Tsunagu City Support Centre (North)", NULL));
    assert_false (tsg_agency_name_ok ("", &why));
    assert_non_null (why);
    assert_false (tsg_agency_name_ok (NULL, NULL));
    assert_false (tsg_agency_name_ok (" leading", NULL));
    assert_false (tsg_agency_name_ok ("trailing ", NULL));
    assert_false (tsg_agency_name_ok ("two\nlines", NULL));
    assert_false (tsg_agency_name_ok ("tab\there", NULL));
    assert_false (tsg_agency_name_ok ("a ; comment", NULL));
    assert_false (tsg_agency_name_ok ("number #1", NULL));
    assert_false (tsg_agency_name_ok ("bad \xff byte", NULL));
    assert_false (tsg_agency_name_ok ("overlong \xc0\xaf", NULL));
    assert_false (tsg_agency_name_ok ("surrogate \xed\xa0\x80", NULL));
    assert_false (tsg_agency_name_ok ("cut \xe3\x81", NULL));

    char name[CTL_NAME_MAX + 2];
    memset (name, 'a', CTL_NAME_MAX);
    name[CTL_NAME_MAX] = '\0';
    assert_true (tsg_agency_name_ok (name, NULL));
    name[CTL_NAME_MAX] = 'a';
    name[CTL_NAME_MAX + 1] = '\0';
    assert_false (tsg_agency_name_ok (name, NULL));
}

static void
test_addresses (void **state)
{
    (void) state;
    assert_true (ctl_http_listen_valid ("127.0.0.1:7781"));
    assert_true (ctl_http_listen_valid ("[::1]:7781"));
    assert_false (ctl_http_listen_valid ("127.0.0.1"));
    assert_false (ctl_http_listen_valid ("127.0.0.1:0"));
    assert_false (ctl_http_listen_valid ("127.0.0.1:65536"));
    assert_false (ctl_http_listen_valid ("127.0.0.1:80x"));
    assert_false (ctl_http_listen_valid (":7781"));
    assert_false (ctl_http_listen_valid ("http://127.0.0.1:7781"));

    assert_true (ctl_zmq_endpoint_valid ("tcp://127.0.0.1:7700"));
    assert_true (ctl_zmq_endpoint_valid ("tcp://*:7700"));
    assert_true (ctl_zmq_endpoint_valid ("ipc:///run/tsunagu/hub"));
    assert_false (ctl_zmq_endpoint_valid ("tcp://127.0.0.1"));
    assert_false (ctl_zmq_endpoint_valid ("udp://127.0.0.1:7700"));
    assert_false (ctl_zmq_endpoint_valid ("ipc://"));

    assert_true (ctl_host_is_loopback ("127.0.0.1:7781"));
    assert_true (ctl_host_is_loopback ("tcp://127.0.0.1:7700"));
    assert_true (ctl_host_is_loopback ("[::1]:7781"));
    assert_false (ctl_host_is_loopback ("0.0.0.0:7781"));
    assert_false (ctl_host_is_loopback ("192.0.2.1:7781"));
}

static void
test_types (void **state)
{
    (void) state;
    assert_int_equal (ctl_type_due_days ("eldercare"), 7);
    assert_int_equal (ctl_type_due_days ("disability"), 14);
    assert_int_equal (ctl_type_due_days ("child"), 3);
    assert_int_equal (ctl_type_due_days ("poverty"), 7);
    assert_int_equal (ctl_type_due_days ("coordinator"), 0);
    assert_int_equal (ctl_type_due_days (NULL), 0);
    assert_string_equal (ctl_type_label ("eldercare"), "地域包括支援センター");
    assert_string_equal (ctl_type_label ("nothing"), "");
}

/* Writes a coordinator key pair into dir/keys and returns it. */
static tsg_keys_t *
s_coordinator (const char *dir)
{
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/keys", dir);
    assert_true (tsg_mkdir_p (path, 0700));
    tsg_keys_t *keys = tsg_keys_generate (TSG_COORDINATOR_ID);
    assert_non_null (keys);
    snprintf (path, sizeof path, "%s/keys/coordinator.key", dir);
    assert_int_equal (tsg_keys_save_secret (keys, path), TSG_OK);
    snprintf (path, sizeof path, "%s/keys/coordinator.pub", dir);
    assert_int_equal (tsg_keys_save_public (keys, path), TSG_OK);
    return keys;
}

/* Writes a bundle for an agency called name into a new folder under root, checks that
 * it loads as agency.conf says it must, and returns nothing: everything is asserted. */
static void
s_bundle_roundtrip (const char *root, const char *name)
{
    tsg_keys_t *coordinator = s_coordinator (root);
    char bundle_dir[PATH_MAX], path[2 * PATH_MAX];
    snprintf (bundle_dir, sizeof bundle_dir, "%s/bundle", root);
    assert_int_equal (mkdir (bundle_dir, 0700), 0);
    char public_path[PATH_MAX];
    snprintf (public_path, sizeof public_path, "%s/keys/coordinator.pub", root);

    tsg_keys_t *agency = tsg_keys_generate ("eldercare-chuo");
    assert_non_null (agency);
    ctl_bundle_t bundle = {
        .id = "eldercare-chuo",
        .type = "eldercare",
        .name = name,
        .http_listen = "127.0.0.1:17781",
        .due_days = 7,
        .coordinator_endpoint = "tcp://127.0.0.1:17700",
        .coordinator_box = tsg_keys_box_public (coordinator),
        .coordinator_sign = tsg_keys_sign_public (coordinator),
        .coordinator_public_path = public_path,
    };
    char token[CTL_TOKEN_HEX];
    char err[512] = "";
    assert_int_equal (ctl_bundle_write (bundle_dir, &bundle, agency, token, err, sizeof err),
                      TSG_OK);

    /* Secrets are owner-only. */
    assert_int_equal (s_mode (bundle_dir, "keys/agency.key"), 0600);
    assert_int_equal (s_mode (bundle_dir, "http.token"), 0600);
    assert_int_equal (s_mode (bundle_dir, "keys"), 0700);

    /* The token file is the 64 hex characters and a newline. */
    snprintf (path, sizeof path, "%s/http.token", bundle_dir);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal (tsg_read_file (path, 4096, &text, &len), TSG_OK);
    assert_int_equal (len, 65);
    assert_int_equal (text[64], '\n');
    assert_memory_equal (text, token, 64);
    free (text);

    /* agency.conf loads without a problem and holds what the daemon needs. */
    snprintf (path, sizeof path, "%s/agency.conf", bundle_dir);
    tsg_config_t *cfg = tsg_config_load (path);
    assert_non_null (cfg);
    static const char *const known[] = {
        "agency.id",
        "agency.type",
        "agency.name",
        "agency.keys",
        "agency.data_dir",
        "agency.map_size_mb",
        "coordinator.endpoint",
        "coordinator.box_public",
        "coordinator.sign_public",
        "http.listen",
        "http.token_sha256",
        "policy.response_due_days",
        NULL,
    };
    tsg_config_check_known (cfg, known);
    assert_string_equal (tsg_config_string (cfg, "agency", "id", NULL), "eldercare-chuo");
    assert_string_equal (tsg_config_string (cfg, "agency", "type", NULL), "eldercare");
    assert_string_equal (tsg_config_string (cfg, "agency", "name", NULL), name);
    assert_string_equal (tsg_config_string (cfg, "coordinator", "endpoint", NULL),
                         "tcp://127.0.0.1:17700");
    assert_string_equal (tsg_config_string (cfg, "http", "listen", NULL), "127.0.0.1:17781");
    assert_int_equal (tsg_config_int (cfg, "policy", "response_due_days", 0, 1, 365), 7);
    uint8_t key[32];
    assert_true (tsg_config_key (cfg, "coordinator", "box_public", key));
    assert_memory_equal (key, tsg_keys_box_public (coordinator), 32);
    assert_true (tsg_config_key (cfg, "coordinator", "sign_public", key));
    assert_memory_equal (key, tsg_keys_sign_public (coordinator), 32);
    uint8_t digest[32], expected[32];
    assert_true (tsg_config_hex32 (cfg, "http", "token_sha256", digest));
    crypto_hash_sha256 (expected, (const unsigned char *) token, 64);
    assert_memory_equal (digest, expected, 32);
    if (tsg_config_errors (cfg) > 0)
        tsg_config_report (cfg, stderr);
    assert_int_equal (tsg_config_errors (cfg), 0);

    /* The key file it names loads and is the agency's. */
    char *key_path = tsg_config_resolve_path (cfg, tsg_config_string (cfg, "agency", "keys", NULL));
    assert_non_null (key_path);
    tsg_keys_t *loaded = NULL;
    assert_int_equal (tsg_keys_load (key_path, &loaded, err, sizeof err), TSG_OK);
    assert_string_equal (tsg_keys_id (loaded), "eldercare-chuo");
    assert_memory_equal (tsg_keys_box_public (loaded), tsg_keys_box_public (agency), 32);
    assert_memory_equal (tsg_keys_sign_public (loaded), tsg_keys_sign_public (agency), 32);
    tsg_keys_destroy (&loaded);
    free (key_path);
    tsg_config_destroy (&cfg);

    /* The coordinator's public keys travel with the bundle. */
    snprintf (path, sizeof path, "%s/keys/coordinator.pub", bundle_dir);
    char id[33];
    uint8_t box[32], sign[32];
    assert_int_equal (tsg_keys_load_public (path, id, box, sign, err, sizeof err), TSG_OK);
    assert_string_equal (id, TSG_COORDINATOR_ID);
    assert_memory_equal (box, tsg_keys_box_public (coordinator), 32);

    tsg_keys_destroy (&agency);
    tsg_keys_destroy (&coordinator);
}

static void
test_bundle (void **state)
{
    (void) state;
    char *root = s_tempdir ();
    s_bundle_roundtrip (root, "つなぐ市中央地域包括支援センター");
    assert_int_equal (ctl_remove_tree (root), 0);
    assert_int_not_equal (access (root, F_OK), 0);
    free (root);
}

/* The longest name tsunaguctl accepts must survive the configuration file. */
static void
test_bundle_long_name (void **state)
{
    (void) state;
    char name[CTL_NAME_MAX + 1] = "";
    while (strlen (name) + 3 <= CTL_NAME_MAX)
        strcat (name, "あ");
    assert_true (tsg_agency_name_ok (name, NULL));
    char *root = s_tempdir ();
    s_bundle_roundtrip (root, name);
    assert_int_equal (ctl_remove_tree (root), 0);
    free (root);
}

static void
test_bundle_refuses_used_folder (void **state)
{
    (void) state;
    char *root = s_tempdir ();
    tsg_keys_t *coordinator = s_coordinator (root);
    tsg_keys_t *agency = tsg_keys_generate ("child-center");
    char public_path[PATH_MAX];
    snprintf (public_path, sizeof public_path, "%s/keys/coordinator.pub", root);
    ctl_bundle_t bundle = {
        .id = "child-center",
        .type = "child",
        .name = "つなぐ市こども家庭センター",
        .http_listen = "127.0.0.1:17783",
        .due_days = 3,
        .coordinator_endpoint = "tcp://127.0.0.1:17700",
        .coordinator_box = tsg_keys_box_public (coordinator),
        .coordinator_sign = tsg_keys_sign_public (coordinator),
        .coordinator_public_path = public_path,
    };
    char err[512] = "";
    /* root already has keys/: the writer must not mix its files into another bundle. */
    assert_int_not_equal (ctl_bundle_write (root, &bundle, agency, NULL, err, sizeof err), TSG_OK);
    assert_true (strlen (err) > 0);

    /* A missing coordinator.pub is an error, not an empty file. */
    char dir[PATH_MAX];
    snprintf (dir, sizeof dir, "%s/other", root);
    assert_int_equal (mkdir (dir, 0700), 0);
    bundle.coordinator_public_path = "/nonexistent/coordinator.pub";
    err[0] = '\0';
    assert_int_not_equal (ctl_bundle_write (dir, &bundle, agency, NULL, err, sizeof err), TSG_OK);
    assert_non_null (strstr (err, "/nonexistent/coordinator.pub"));

    tsg_keys_destroy (&agency);
    tsg_keys_destroy (&coordinator);
    assert_int_equal (ctl_remove_tree (root), 0);
    free (root);
}

/* Writes text to dir/coordinator.conf. */
static void
s_write_conf (const char *dir, const char *text)
{
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/coordinator.conf", dir);
    assert_int_equal (tsg_write_file (path, text, strlen (text), 0640), TSG_OK);
}

static void
test_site (void **state)
{
    (void) state;
    char *root = s_tempdir ();
    tsg_keys_t *coordinator = s_coordinator (root);
    s_write_conf (root, "[coordinator]\n"
                        "data_dir = .\n"
                        "keys = keys/coordinator.key\n"
                        "listen = tcp://127.0.0.1:17700\n"
                        "public_endpoint = tcp://127.0.0.1:17700\n"
                        "map_size_mb = 64\n"
                        "[http]\n"
                        "listen = 127.0.0.1:17780\n");
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/coordinator.conf", root);
    ctl_site_t *site = ctl_site_load (path);
    assert_non_null (site);
    if (ctl_site_errors (site) > 0)
        ctl_site_report (site, stderr);
    assert_int_equal (ctl_site_errors (site), 0);
    assert_string_equal (ctl_site_public_endpoint (site), "tcp://127.0.0.1:17700");
    assert_memory_equal (ctl_site_box_public (site), tsg_keys_box_public (coordinator), 32);
    assert_memory_equal (ctl_site_sign_public (site), tsg_keys_sign_public (coordinator), 32);
    assert_non_null (strstr (ctl_site_public_path (site), "keys/coordinator.pub"));
    tsg_store_t *store = NULL;
    assert_int_equal (ctl_site_store (site, &store), TSG_OK);
    assert_non_null (store);
    ctl_site_destroy (&site);
    assert_null (site);
    ctl_site_destroy (&site);

    /* Every problem is found, not only the first. */
    s_write_conf (root, "[coordinator]\n"
                        "keys = keys/missing.key\n"
                        "listen = 127.0.0.1:17700\n"
                        "[http]\n"
                        "listen = nowhere\n");
    site = ctl_site_load (path);
    assert_non_null (site);
    assert_true (ctl_site_errors (site) >= 4);
    assert_int_not_equal (ctl_site_store (site, &store), TSG_OK);
    ctl_site_destroy (&site);

    tsg_keys_destroy (&coordinator);
    assert_int_equal (ctl_remove_tree (root), 0);
    free (root);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    log_init ("test_ctl_bundle", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_token),
        cmocka_unit_test (test_names),
        cmocka_unit_test (test_addresses),
        cmocka_unit_test (test_types),
        cmocka_unit_test (test_bundle),
        cmocka_unit_test (test_bundle_long_name),
        cmocka_unit_test (test_bundle_refuses_used_folder),
        cmocka_unit_test (test_site),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
