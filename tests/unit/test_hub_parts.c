/* test_hub_parts.c — the coordinator's session windows, ZAP decisions, directory copy and config
 * checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "coordinator/model/store.h"
#include "coordinator/daemon/conf.h"
#include "coordinator/model/directory.h"
#include "coordinator/daemon/sessions.h"
#include "coordinator/daemon/zap.h"
#include "hub_fixture.h"
#include "tsunagu/tsunagu.h"

/* A temporary directory under $TSUNAGU_TEST_TMP (or /tmp), and its removal (hub_fixture.h). */
static void
s_tmpdir (char *dir, size_t size, const char *name)
{
    hub_temp_dir (name, dir, size);
}

static void
s_rmdir (const char *dir)
{
    hub_remove_dir (dir);
}

/* A new session is started once per connection; another connection replaces it only with a
 * HELLO, so letters still queued on an old connection do not flip the session back. */
static void
test_sessions_touch (void **state)
{
    (void) state;
    tsg_hub_sessions_t *sessions = tsg_hub_sessions_new ();
    bool started = false;
    tsg_hub_session_t *a = tsg_hub_sessions_touch (sessions, "eldercare-a", (const uint8_t *) "r1",
                                                   2, 1000, false, &started);
    assert_non_null (a);
    assert_true (started);
    assert_true (tsg_hub_session_directory_due (a));
    assert_true (tsg_hub_session_wants (a, 1000));
    assert_ptr_equal (tsg_hub_sessions_touch (sessions, "eldercare-a", (const uint8_t *) "r1", 2,
                                              2000, false, &started),
                      a);
    assert_false (started);
    /* A letter (not a HELLO) from a second connection leaves the session where it is. */
    assert_ptr_equal (tsg_hub_sessions_touch (sessions, "eldercare-a", (const uint8_t *) "r2", 2,
                                              2500, false, &started),
                      a);
    assert_false (started);
    size_t len;
    assert_memory_equal (tsg_hub_session_rid (a, &len), "r1", 2);
    tsg_hub_session_t *b = tsg_hub_sessions_touch (sessions, "eldercare-a", (const uint8_t *) "r2",
                                                   2, 3000, true, &started);
    assert_true (started);
    assert_int_equal (tsg_hub_sessions_size (sessions), 1);
    assert_memory_equal (tsg_hub_session_rid (b, &len), "r2", 2);
    tsg_hub_sessions_touch (sessions, "poverty-b", (const uint8_t *) "r3", 2, 10000, false,
                            &started);
    assert_int_equal (tsg_hub_sessions_size (sessions), 2);

    /* eldercare-a last spoke at 3000: gone at 18000; poverty-b stays. */
    assert_int_equal (tsg_hub_sessions_expire (sessions, 18000, 15000), 1);
    assert_null (tsg_hub_sessions_find (sessions, "eldercare-a"));
    assert_non_null (tsg_hub_sessions_find (sessions, "poverty-b"));
    tsg_hub_sessions_drop (sessions, "poverty-b", "test");
    assert_int_equal (tsg_hub_sessions_size (sessions), 0);
    tsg_hub_sessions_destroy (&sessions);
    tsg_hub_sessions_destroy (&sessions);
}

/* At most TSG_HUB_WINDOW unacknowledged; acks open it; a stall rewinds to the oldest. */
static void
test_session_window (void **state)
{
    (void) state;
    tsg_hub_sessions_t *sessions = tsg_hub_sessions_new ();
    bool started;
    tsg_hub_session_t *s =
        tsg_hub_sessions_touch (sessions, "child-c", (const uint8_t *) "x", 1, 0, false, &started);
    assert_int_equal (tsg_hub_session_next_seq (s), 0);
    for (uint64_t seq = 10; seq < 10 + TSG_HUB_WINDOW; seq++)
        tsg_hub_session_sent (s, seq, 100);
    assert_false (tsg_hub_session_window_open (s));
    assert_int_equal (tsg_hub_session_room (s), 0);
    assert_int_equal (tsg_hub_session_outstanding (s), TSG_HUB_WINDOW);
    assert_int_equal (tsg_hub_session_next_seq (s), 10 + TSG_HUB_WINDOW);

    /* An ack in the middle does not open the window; the oldest does, for both. */
    tsg_hub_session_acked (s, 11, 200);
    assert_int_equal (tsg_hub_session_outstanding (s), TSG_HUB_WINDOW - 1);
    assert_false (tsg_hub_session_window_open (s));
    tsg_hub_session_acked (s, 10, 300);
    assert_int_equal (tsg_hub_session_room (s), 2);
    tsg_hub_session_acked (s, 10, 300); /* twice: nothing */
    tsg_hub_session_acked (s, 5, 300);  /* never sent: nothing */
    assert_int_equal (tsg_hub_session_outstanding (s), TSG_HUB_WINDOW - 2);

    /* Wraps around the ring. */
    tsg_hub_session_sent (s, 5000, 400);
    tsg_hub_session_sent (s, 5001, 400);
    assert_false (tsg_hub_session_window_open (s));
    tsg_hub_session_acked (s, 5001, 500);
    for (uint64_t seq = 12; seq < 10 + TSG_HUB_WINDOW; seq++)
        tsg_hub_session_acked (s, seq, 600);
    /* 5001 is acknowledged but kept behind 5000, the oldest still out. */
    assert_int_equal (tsg_hub_session_outstanding (s), 1);
    assert_int_equal (tsg_hub_session_room (s), TSG_HUB_WINDOW - 2);

    /* 5000 stays unacknowledged: no rewind before 5 s, a rewind after. */
    tsg_hub_session_want (s, false, 0);
    assert_false (tsg_hub_session_check_stall (s, 5500, 5000));
    assert_true (tsg_hub_session_check_stall (s, 5600, 5000));
    assert_int_equal (tsg_hub_session_next_seq (s), 0);
    assert_int_equal (tsg_hub_session_outstanding (s), 0);
    assert_true (tsg_hub_session_window_open (s));
    assert_true (tsg_hub_session_wants (s, 5600));
    assert_false (tsg_hub_session_check_stall (s, 20000, 5000));

    tsg_hub_session_want (s, true, 7000);
    assert_false (tsg_hub_session_wants (s, 6999));
    assert_true (tsg_hub_session_wants (s, 7000));
    tsg_hub_sessions_destroy (&sessions);
}

/* A store with one active and one suspended agency, loaded into a directory. */
typedef struct {
    char dir[256];
    tsg_store_t *store;
    tsg_keys_t *coordinator, *active, *suspended;
    tsg_hub_directory_t *directory;
} registry_t;

static void
s_put (tsg_store_t *store, const tsg_keys_t *keys, Tsunagu__V1__AgencyStatus status, size_t key_len)
{
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);
    Tsunagu__V1__AgencyEntry entry = TSUNAGU__V1__AGENCY_ENTRY__INIT;
    entry.id = (char *) tsg_keys_id (keys);
    entry.type = (char *) "disability";
    entry.name = (char *) "つなぐ市相談支援事業所";
    entry.box_public.data = (uint8_t *) tsg_keys_box_public (keys);
    entry.box_public.len = key_len;
    entry.sign_public.data = (uint8_t *) tsg_keys_sign_public (keys);
    entry.sign_public.len = 32;
    entry.status = status;
    tsg_registry_put (&txn, &entry);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
}

static void
s_registry_new (registry_t *r)
{
    s_tmpdir (r->dir, sizeof r->dir, "hub-parts");
    assert_int_equal (tsg_hub_store_open (r->dir, 0, &r->store), TSG_OK);
    r->coordinator = tsg_keys_generate ("coordinator");
    r->active = tsg_keys_generate ("disability-a");
    r->suspended = tsg_keys_generate ("disability-s");
    s_put (r->store, r->active, TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE, 32);
    s_put (r->store, r->suspended, TSUNAGU__V1__AGENCY_STATUS__AGENCY_SUSPENDED, 32);
    r->directory = tsg_hub_directory_new (r->coordinator);
    tsg_txn_t txn;
    tsg_txn_begin (r->store, &txn, false);
    assert_int_equal (tsg_hub_directory_load (r->directory, &txn), TSG_OK);
    tsg_txn_abort (&txn);
}

static void
s_registry_destroy (registry_t *r)
{
    tsg_hub_directory_destroy (&r->directory);
    tsg_store_destroy (&r->store);
    tsg_keys_destroy (&r->coordinator);
    tsg_keys_destroy (&r->active);
    tsg_keys_destroy (&r->suspended);
    s_rmdir (r->dir);
}

/* ZAP admits only CURVE keys of active agencies, in the tsunagu domain. */
/* An agency whose store failed asks for its mailbox again: the session starts again from the
 * oldest mail, but not more than once a second, however often it asks. */
static void
test_session_rewind (void **state)
{
    (void) state;
    tsg_hub_sessions_t *sessions = tsg_hub_sessions_new ();
    bool started;
    tsg_hub_session_t *s =
        tsg_hub_sessions_touch (sessions, "child-c", (const uint8_t *) "x", 1, 0, false, &started);
    for (uint64_t seq = 1; seq <= 20; seq++)
        tsg_hub_session_sent (s, seq, 100);
    tsg_hub_session_want (s, false, 0);
    assert_true (tsg_hub_session_rewind (s, 2000));
    assert_int_equal (tsg_hub_session_next_seq (s), 0);
    assert_int_equal (tsg_hub_session_outstanding (s), 0);
    assert_true (tsg_hub_session_wants (s, 2000));
    for (uint64_t seq = 1; seq <= 20; seq++)
        tsg_hub_session_sent (s, seq, 2100);
    /* Asked again within the second: nothing changes. */
    assert_false (tsg_hub_session_rewind (s, 2000 + TSG_HUB_REWIND_MIN_MS - 1));
    assert_int_equal (tsg_hub_session_outstanding (s), 20);
    assert_int_equal (tsg_hub_session_next_seq (s), 21);
    assert_true (tsg_hub_session_rewind (s, 2000 + TSG_HUB_REWIND_MIN_MS));
    assert_int_equal (tsg_hub_session_next_seq (s), 0);
    tsg_hub_sessions_destroy (&sessions);
}

static void
test_zap_decide (void **state)
{
    (void) state;
    registry_t r;
    s_registry_new (&r);
    const uint8_t *key = tsg_keys_box_public (r.active);
    assert_string_equal (tsg_hub_zap_decide (r.directory, "tsunagu", "CURVE", key, 32),
                         "disability-a");
    assert_null (tsg_hub_zap_decide (r.directory, "tsunagu", "CURVE",
                                     tsg_keys_box_public (r.suspended), 32));
    assert_null (tsg_hub_zap_decide (r.directory, "tsunagu", "CURVE",
                                     tsg_keys_box_public (r.coordinator), 32));
    assert_null (tsg_hub_zap_decide (r.directory, "tsunagu", "PLAIN", key, 32));
    assert_null (tsg_hub_zap_decide (r.directory, "tsunagu", "NULL", NULL, 0));
    assert_null (tsg_hub_zap_decide (r.directory, "other", "CURVE", key, 32));
    assert_null (tsg_hub_zap_decide (r.directory, "", "CURVE", key, 32));
    assert_null (tsg_hub_zap_decide (r.directory, "tsunagu", "CURVE", key, 31));
    s_registry_destroy (&r);
}

/* The directory copy: lookups, reload on change, unusable entries skipped, signed letter. */
static void
test_directory (void **state)
{
    (void) state;
    registry_t r;
    s_registry_new (&r);
    assert_int_equal (tsg_hub_directory_size (r.directory), 2);
    assert_int_equal (tsg_hub_directory_serial (r.directory), 2);
    assert_true (tsg_hub_directory_active (r.directory, "disability-a"));
    assert_false (tsg_hub_directory_active (r.directory, "disability-s"));
    assert_false (tsg_hub_directory_active (r.directory, "nobody"));
    assert_null (tsg_hub_directory_find (r.directory, "disability-b"));
    assert_non_null (tsg_hub_directory_find_key (r.directory, tsg_keys_box_public (r.suspended)));

    /* An entry with a short key is kept out. */
    tsg_keys_t *broken = tsg_keys_generate ("disability-broken");
    s_put (r.store, broken, TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE, 16);
    tsg_txn_t txn;
    tsg_txn_begin (r.store, &txn, false);
    assert_int_equal (tsg_hub_directory_load (r.directory, &txn), TSG_OK);
    tsg_txn_abort (&txn);
    assert_int_equal (tsg_hub_directory_serial (r.directory), 3);
    assert_int_equal (tsg_hub_directory_size (r.directory), 2);
    assert_null (tsg_hub_directory_find (r.directory, "disability-broken"));
    tsg_keys_destroy (&broken);

    uint64_t before = tsg_now_ms ();
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal (tsg_hub_directory_seal (r.directory, "disability-a", &out, &len), TSG_OK);
    tsg_envelope_t env;
    assert_int_equal (tsg_envelope_decode (out, len, &env, NULL), TSG_OK);
    assert_true (tsg_envelope_verify (&env, tsg_keys_sign_public (r.coordinator)));
    assert_false (tsg_envelope_verify (&env, tsg_keys_sign_public (r.active)));
    const tsg_letter_t *letter = env.letter;
    assert_int_equal (letter->kind, TSUNAGU__V1__KIND__KIND_DIRECTORY);
    assert_string_equal (letter->sender, "coordinator");
    assert_string_equal (letter->recipient, "disability-a");
    assert_int_equal (letter->sequence, 0);
    const Tsunagu__V1__Directory *d = letter->directory;
    assert_int_equal (d->serial, 3);
    assert_int_equal (d->n_agencies, 2);
    assert_true (d->valid_from_ms <= before);
    assert_true (d->valid_until_ms >= before + 7ULL * 24 * 3600 * 1000 - 6 * 60 * 1000);
    assert_string_equal (d->agencies[1]->id, "disability-s");
    assert_int_equal (d->agencies[1]->status, TSUNAGU__V1__AGENCY_STATUS__AGENCY_SUSPENDED);
    assert_string_equal (d->agencies[0]->name, "つなぐ市相談支援事業所");
    assert_memory_equal (d->agencies[0]->sign_public.data, tsg_keys_sign_public (r.active), 32);
    tsg_envelope_clear (&env);
    free (out);
    s_registry_destroy (&r);
}

/* Writes text to dir/name. */
static void
s_write (const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
}

/* Loads dir/coordinator.conf, capturing the report. */
static tsg_hub_conf_t *
s_load (const char *dir, tsg_keys_t **keys, char *report, size_t size)
{
    char path[512];
    snprintf (path, sizeof path, "%s/coordinator.conf", dir);
    FILE *out = fmemopen (report, size, "w");
    assert_non_null (out);
    tsg_hub_conf_t *conf = tsg_hub_conf_load (path, keys, out);
    fclose (out);
    return conf;
}

/* coordinator.conf: a good file loads; each problem is reported with its line. */
/* A directory is sent again once half its validity is gone, never before, never to an agency
 * that has none from us. */
static void
test_directory_stale (void **state)
{
    (void) state;
    uint64_t now = 1800000000000ULL;
    uint64_t fresh = now + TSG_HUB_DIRECTORY_VALID_MS;
    assert_false (tsg_hub_directory_stale (0, now));
    assert_false (tsg_hub_directory_stale (fresh, now));
    assert_false (tsg_hub_directory_stale (fresh, now + TSG_HUB_DIRECTORY_VALID_MS / 2 - 1));
    assert_true (tsg_hub_directory_stale (fresh, now + TSG_HUB_DIRECTORY_VALID_MS / 2));
    assert_true (tsg_hub_directory_stale (fresh, fresh + 1)); /* expired already */
}

static void
test_conf (void **state)
{
    (void) state;
    char dir[256], path[512];
    s_tmpdir (dir, sizeof dir, "hub-conf");
    snprintf (path, sizeof path, "%s/keys", dir);
    assert_true (tsg_mkdir_p (path, 0700));
    tsg_keys_t *coordinator = tsg_keys_generate ("coordinator");
    snprintf (path, sizeof path, "%s/keys/coordinator.key", dir);
    assert_int_equal (tsg_keys_save_secret (coordinator, path), TSG_OK);
    tsg_keys_destroy (&coordinator);

    s_write (dir, "coordinator.conf",
             "[coordinator]\n"
             "data_dir = .\n"
             "keys = keys/coordinator.key\n"
             "listen = tcp://127.0.0.1:7700\n"
             "public_endpoint = tcp://127.0.0.1:7700\n"
             "map_size_mb = 64\n"
             "\n[http]\nlisten = 127.0.0.1:7780\n");
    char report[2048] = "";
    tsg_keys_t *keys = NULL;
    tsg_hub_conf_t *conf = s_load (dir, &keys, report, sizeof report);
    assert_non_null (conf);
    assert_non_null (keys);
    assert_string_equal (tsg_keys_id (keys), "coordinator");
    assert_int_equal (conf->map_size, 64UL * 1024 * 1024);
    assert_string_equal (conf->listen, "tcp://127.0.0.1:7700");
    char expected[512];
    snprintf (expected, sizeof expected, "%s/./", dir);
    assert_true (strncmp (conf->data_dir, dir, strlen (dir)) == 0);
    tsg_hub_conf_destroy (&conf);
    tsg_hub_conf_destroy (&conf);
    tsg_keys_destroy (&keys);

    /* An unknown key, a missing listen and a bad number: all three reported, with lines. */
    s_write (dir, "coordinator.conf",
             "[coordinator]\n"
             "data_dir = .\n"
             "keys = keys/coordinator.key\n"
             "map_size_mb = lots\n"
             "listn = tcp://127.0.0.1:7700\n");
    memset (report, 0, sizeof report);
    conf = s_load (dir, &keys, report, sizeof report);
    assert_null (conf);
    assert_null (keys);
    assert_non_null (strstr (report, "coordinator.conf:5: unknown setting coordinator.listn"));
    assert_non_null (strstr (report, "coordinator.conf:4: coordinator.map_size_mb"));
    assert_non_null (strstr (report, "coordinator.listen is required"));

    /* A key file others may read is refused. */
    s_write (dir, "coordinator.conf",
             "[coordinator]\ndata_dir = .\nkeys = keys/coordinator.key\nlisten = "
             "tcp://127.0.0.1:7700\n");
    assert_int_equal (chmod (path, 0644), 0);
    memset (report, 0, sizeof report);
    conf = s_load (dir, &keys, report, sizeof report);
    assert_null (conf);
    assert_non_null (strstr (report, "coordinator.conf:3: coordinator.keys"));

    /* -n without loading keys still checks the rest; a bad endpoint is reported. */
    s_write (dir, "coordinator.conf",
             "[coordinator]\ndata_dir = nowhere\nkeys = keys/coordinator.key\nlisten = 7700\n");
    memset (report, 0, sizeof report);
    conf = s_load (dir, NULL, report, sizeof report);
    assert_null (conf);
    assert_non_null (strstr (report, ":2: coordinator.data_dir"));
    assert_non_null (strstr (report, ":4: coordinator.listen"));
    s_rmdir (dir);
}

int
main (void)
{
    log_init ("test_hub_parts", getenv ("TSUNAGU_TEST_VERBOSE") != NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_sessions_touch), cmocka_unit_test (test_session_window),
        cmocka_unit_test (test_session_rewind), cmocka_unit_test (test_zap_decide),
        cmocka_unit_test (test_directory),      cmocka_unit_test (test_directory_stale),
        cmocka_unit_test (test_conf),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
