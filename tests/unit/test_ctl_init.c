/* test_ctl_init.c — `tsunaguctl init` writes the coordinator's HTTP token (0600) and only its
 * hash into coordinator.conf, which the coordinator's loader accepts; `agency add` and
 * `agency set-due-days` keep the due days in the registry entry the directory publishes. */
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
#include "coordinator/daemon/conf.h"
#include "ctl.h"
#include "test_helpers.h"

/* A coordinator data directory made by cmd_init, and its options. */
typedef struct {
    char root[256];        /* temporary folder */
    char data[300];        /* root/data: the data directory */
    ctl_options_t options; /* what main.c would pass */
} s_site_t;

/* Runs a tsunaguctl subcommand in-process with the NULL-terminated arguments. */
static int
s_ctl (const s_site_t *site, int (*cmd) (const ctl_options_t *, int, char **), ...)
{
    char *argv[32];
    int argc = 0;
    va_list args;
    va_start (args, cmd);
    const char *arg;
    while ((arg = va_arg (args, const char *)) != NULL && argc < 31)
        argv[argc++] = (char *) arg;
    va_end (args);
    argv[argc] = NULL;
    fflush (stdout);
    return cmd (&site->options, argc, argv);
}

static void
s_site_init (s_site_t *site)
{
    memset (site, 0, sizeof *site);
    test_tmpdir (site->root, sizeof site->root, "ctl-init");
    snprintf (site->data, sizeof site->data, "%s/data", site->root);
    site->options.data_dir = site->data;
    assert_int_equal (s_ctl (site, cmd_init, "init", "--listen", "tcp://127.0.0.1:17700", "--http",
                             "127.0.0.1:17780", NULL),
                      CTL_EXIT_OK);
}

/* The whole of dir/name in a new string.  Not inlined: GCC 12 otherwise mistakes the
 * returned buffer for a pointer to the local that received it (-Wdangling-pointer). */
static __attribute__ ((noinline)) char *
s_read (const char *dir, const char *name, size_t *len)
{
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    char *text = NULL;
    size_t dummy;
    assert_int_equal (tsg_read_file (path, 1 << 20, &text, len ? len : &dummy), TSG_OK);
    return text;
}

static void
test_init_token (void **state)
{
    (void) state;
    s_site_t site;
    s_site_init (&site);
    char path[PATH_MAX];

    /* http.token: 64 hex characters and a newline, owner-only. */
    size_t len = 0;
    char *token = s_read (site.data, "http.token", &len);
    assert_int_equal (len, 65);
    assert_int_equal (token[64], '\n');
    token[64] = '\0';
    for (size_t i = 0; i < 64; i++)
        assert_non_null (strchr ("0123456789abcdef", token[i]));
    snprintf (path, sizeof path, "%s/http.token", site.data);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);

    /* coordinator.conf holds the hash of the token text under [http], never the token. */
    char *conf = s_read (site.data, "coordinator.conf", NULL);
    assert_null (strstr (conf, token));
    uint8_t digest[32];
    crypto_hash_sha256 (digest, (const unsigned char *) token, 64);
    char hex[65];
    tsg_hex_encode (digest, sizeof digest, hex);
    char line[128];
    snprintf (line, sizeof line, "token_sha256 = %s\n", hex);
    char *http = strstr (conf, "[http]\n");
    assert_non_null (http);
    assert_non_null (strstr (http, line));

    /* The coordinator's own loader takes the file as it is, token hash included. */
    snprintf (path, sizeof path, "%s/coordinator.conf", site.data);
    tsg_hub_conf_t *loaded = tsg_hub_conf_load (path, NULL, stderr);
    assert_non_null (loaded);
    assert_true (loaded->has_token);
    assert_memory_equal (loaded->token_sha256, digest, 32);
    assert_string_equal (loaded->http_listen, "127.0.0.1:17780");
    tsg_hub_conf_destroy (&loaded);

    /* And so does tsunaguctl's (which -n uses). */
    ctl_site_t *ctl_site = ctl_site_load (path);
    assert_non_null (ctl_site);
    assert_int_equal (ctl_site_errors (ctl_site), 0);
    ctl_site_destroy (&ctl_site);

    /* A second init changes nothing: the token stays what the dashboard's users have. */
    assert_int_equal (s_ctl (&site, cmd_init, "init", NULL), CTL_EXIT_FAIL);
    char *again = s_read (site.data, "http.token", NULL);
    assert_memory_equal (again, token, 64);
    free (again);

    /* Two sites get two different tokens. */
    s_site_t other;
    s_site_init (&other);
    again = s_read (other.data, "http.token", NULL);
    assert_memory_not_equal (again, token, 64);
    free (again);
    test_rmtree (other.root);

    free (conf);
    free (token);
    test_rmtree (site.root);
}

static void
test_site_token_check (void **state)
{
    (void) state;
    s_site_t site;
    s_site_init (&site);
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/coordinator.conf", site.data);
    char *conf = s_read (site.data, "coordinator.conf", NULL);
    char *hash = strstr (conf, "token_sha256 = ");
    assert_non_null (hash);
    hash[15] = 'x'; /* no longer hex */
    assert_int_equal (tsg_write_file (path, conf, strlen (conf), 0640), TSG_OK);
    ctl_site_t *ctl_site = ctl_site_load (path);
    assert_int_equal (ctl_site_errors (ctl_site), 1);
    ctl_site_destroy (&ctl_site);
    free (conf);
    test_rmtree (site.root);
}

static void
test_due_days_parse (void **state)
{
    (void) state;
    unsigned days = 99;
    assert_true (ctl_due_days_parse ("0", &days));
    assert_int_equal (days, 0);
    assert_true (ctl_due_days_parse ("14", &days));
    assert_int_equal (days, 14);
    assert_true (ctl_due_days_parse ("365", &days));
    assert_int_equal (days, 365);
    assert_false (ctl_due_days_parse ("366", &days));
    assert_false (ctl_due_days_parse ("-1", &days));
    assert_false (ctl_due_days_parse ("", &days));
    assert_false (ctl_due_days_parse ("7d", &days));
    assert_false (ctl_due_days_parse (" 7", &days));
    assert_false (ctl_due_days_parse ("0007", &days));
    assert_false (ctl_due_days_parse (NULL, &days));
    assert_int_equal (days, 365);
}

/* The registry entry of id (caller frees), and the registry generation. */
static Tsunagu__V1__AgencyEntry *
s_entry (const s_site_t *site, const char *id, uint64_t *generation)
{
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/coordinator.conf", site->data);
    ctl_site_t *ctl_site = ctl_site_load (path);
    tsg_store_t *store = NULL;
    assert_int_equal (ctl_site_store (ctl_site, &store), TSG_OK);
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    Tsunagu__V1__AgencyEntry *entry = tsg_registry_get (&txn, id);
    if (generation)
        *generation = tsg_registry_generation (&txn);
    tsg_txn_abort (&txn);
    ctl_site_destroy (&ctl_site);
    return entry;
}

/* [policy] response_due_days of the bundle in dir. */
static long
s_bundle_due_days (const char *dir)
{
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/agency.conf", dir);
    tsg_config_t *cfg = tsg_config_load (path);
    long days = tsg_config_int (cfg, "policy", "response_due_days", -1, 1, 365);
    assert_int_equal (tsg_config_errors (cfg), 0);
    tsg_config_destroy (&cfg);
    return days;
}

static void
test_due_days_in_registry (void **state)
{
    (void) state;
    s_site_t site;
    s_site_init (&site);
    char out[400];

    /* Both given: the registry entry holds them; the bundle's fallback follows. */
    snprintf (out, sizeof out, "%s/bundles/disability", site.root);
    assert_int_equal (s_ctl (&site, cmd_agency, "agency", "add", "--id", "disability-minami",
                             "--type", "disability", "--name", "つなぐ市南相談支援事業所", "--out",
                             out, "--http", "127.0.0.1:17782", "--due-days", "10",
                             "--receive-due-days", "2", NULL),
                      CTL_EXIT_OK);
    Tsunagu__V1__AgencyEntry *entry = s_entry (&site, "disability-minami", NULL);
    assert_non_null (entry);
    assert_int_equal (entry->response_due_days, 10);
    assert_int_equal (entry->receive_due_days, 2);
    tsunagu__v1__agency_entry__free_unpacked (entry, NULL);
    assert_int_equal (s_bundle_due_days (out), 10);

    /* Neither given: 0 in the registry (the defaults, wherever they go later); the bundle
     * has the type's default. */
    snprintf (out, sizeof out, "%s/bundles/eldercare", site.root);
    assert_int_equal (s_ctl (&site, cmd_agency, "agency", "add", "--id", "eldercare-chuo", "--type",
                             "eldercare", "--name", "つなぐ市中央地域包括支援センター", "--out",
                             out, "--http", "127.0.0.1:17781", NULL),
                      CTL_EXIT_OK);
    entry = s_entry (&site, "eldercare-chuo", NULL);
    assert_int_equal (entry->response_due_days, 0);
    assert_int_equal (entry->receive_due_days, 0);
    tsunagu__v1__agency_entry__free_unpacked (entry, NULL);
    assert_int_equal (s_bundle_due_days (out), 7);

    /* Out of range: refused, nothing registered, no bundle. */
    snprintf (out, sizeof out, "%s/bundles/child", site.root);
    assert_int_equal (s_ctl (&site, cmd_agency, "agency", "add", "--id", "child-higashi", "--type",
                             "child", "--name", "こども家庭センター", "--out", out, "--due-days",
                             "366", NULL),
                      CTL_EXIT_FAIL);
    assert_int_equal (s_ctl (&site, cmd_agency, "agency", "add", "--id", "child-higashi", "--type",
                             "child", "--name", "こども家庭センター", "--out", out,
                             "--receive-due-days", "one", NULL),
                      CTL_EXIT_FAIL);
    assert_null (s_entry (&site, "child-higashi", NULL));
    assert_int_not_equal (access (out, F_OK), 0);

    /* set-due-days changes what it is given, leaves the rest, and bumps the generation so a
     * running coordinator publishes a new directory. */
    uint64_t before = 0, after = 0;
    entry = s_entry (&site, "disability-minami", &before);
    tsunagu__v1__agency_entry__free_unpacked (entry, NULL);
    assert_int_equal (s_ctl (&site, cmd_agency, "agency", "set-due-days", "disability-minami",
                             "--due-days", "21", NULL),
                      CTL_EXIT_OK);
    entry = s_entry (&site, "disability-minami", &after);
    assert_int_equal (entry->response_due_days, 21);
    assert_int_equal (entry->receive_due_days, 2);
    assert_string_equal (entry->name, "つなぐ市南相談支援事業所");
    assert_int_equal (entry->status, TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE);
    tsunagu__v1__agency_entry__free_unpacked (entry, NULL);
    assert_true (after != before);

    /* The id may come after the options; 0 goes back to the default. */
    assert_int_equal (s_ctl (&site, cmd_agency, "agency", "set-due-days", "--receive-due-days", "0",
                             "disability-minami", NULL),
                      CTL_EXIT_OK);
    entry = s_entry (&site, "disability-minami", &before);
    assert_int_equal (entry->response_due_days, 21);
    assert_int_equal (entry->receive_due_days, 0);
    tsunagu__v1__agency_entry__free_unpacked (entry, NULL);

    /* The same values again: nothing written. */
    assert_int_equal (s_ctl (&site, cmd_agency, "agency", "set-due-days", "disability-minami",
                             "--due-days", "21", NULL),
                      CTL_EXIT_OK);
    entry = s_entry (&site, "disability-minami", &after);
    tsunagu__v1__agency_entry__free_unpacked (entry, NULL);
    assert_true (after == before);

    /* Refusals: nothing to set, a bad value, an unknown or revoked agency. */
    assert_int_equal (
        s_ctl (&site, cmd_agency, "agency", "set-due-days", "disability-minami", NULL),
        CTL_EXIT_USAGE);
    assert_int_equal (s_ctl (&site, cmd_agency, "agency", "set-due-days", "--due-days", "3", NULL),
                      CTL_EXIT_USAGE);
    assert_int_equal (s_ctl (&site, cmd_agency, "agency", "set-due-days", "disability-minami",
                             "--due-days", "400", NULL),
                      CTL_EXIT_FAIL);
    assert_int_equal (
        s_ctl (&site, cmd_agency, "agency", "set-due-days", "nobody-here", "--due-days", "3", NULL),
        CTL_EXIT_FAIL);
    assert_int_equal (s_ctl (&site, cmd_agency, "agency", "revoke", "eldercare-chuo", NULL),
                      CTL_EXIT_OK);
    assert_int_equal (s_ctl (&site, cmd_agency, "agency", "set-due-days", "eldercare-chuo",
                             "--due-days", "3", NULL),
                      CTL_EXIT_FAIL);
    entry = s_entry (&site, "disability-minami", NULL);
    assert_int_equal (entry->response_due_days, 21);
    tsunagu__v1__agency_entry__free_unpacked (entry, NULL);
    entry = s_entry (&site, "eldercare-chuo", NULL);
    assert_int_equal (entry->response_due_days, 0);
    tsunagu__v1__agency_entry__free_unpacked (entry, NULL);

    test_rmtree (site.root);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    log_init ("test_ctl_init", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_init_token),
        cmocka_unit_test (test_site_token_check),
        cmocka_unit_test (test_due_days_parse),
        cmocka_unit_test (test_due_days_in_registry),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
