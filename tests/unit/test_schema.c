/* test_schema.c — the migration table (tsg_schema.h): a new store is stamped at once; an
 * older one is copied (0700/0600) and then migrated in order, each migration in one
 * transaction with its version bump, so a failing one leaves the version before it and runs
 * again (idempotently) next time; a newer store is refused with its sentence, unchanged; the
 * coordinator's and the agency's tables are well formed, and the coordinator's migrations
 * rebuild what a store of schema 1 lacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "test_helpers.h"
#include "tsunagu/tsg_schema.h"
#include "agency/records/schema.h"
#include "coordinator/model/schema.h"
#include "coordinator/model/store.h"

enum { DB_META, DB_DATA, DB_COUNT };
static const char *const s_names[DB_COUNT] = { "meta", "data" };

static int s_runs[8]; /* how often each migration (by its to) ran */
static int s_fail_at; /* the migration that fails (0: none) */

/* Each migration appends its number to the "log" record (idempotent: once per number). */
static void
s_step (tsg_txn_t *txn, unsigned to, size_t *changed)
{
    s_runs[to]++;
    if ((int) to == s_fail_at) {
        tsg_txn_put (txn, tsg_store_db (txn->store, DB_DATA), "half", 4, "x", 1);
        txn->rc = TSG_ERR_STORE;
        return;
    }
    char key[16];
    snprintf (key, sizeof key, "done.%u", to);
    tsg_txn_put (txn, tsg_store_db (txn->store, DB_DATA), key, strlen (key), "1", 1);
    (*changed)++;
}
static void
s_to2 (tsg_txn_t *txn, size_t *changed)
{
    s_step (txn, 2, changed);
}
static void
s_to3 (tsg_txn_t *txn, size_t *changed)
{
    s_step (txn, 3, changed);
}

static const tsg_migration_t s_migrations[] = { { 2, "two", s_to2 }, { 3, "three", s_to3 } };
static const tsg_schema_t s_schema = { .name = "test",
                                       .current = 3,
                                       .migrations = s_migrations,
                                       .count = 2,
                                       .meta_db = DB_META,
                                       .db_count = DB_COUNT };

typedef struct {
    char dir[4096];   /* the temp dir (the backup parent) */
    char store[4200]; /* dir/store */
    tsg_store_t *env; /* the store */
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *f = calloc (1, sizeof *f);
    test_tmpdir (f->dir, sizeof f->dir, "schema");
    snprintf (f->store, sizeof f->store, "%s/store", f->dir);
    assert_int_equal (tsg_store_open (f->store, 16u << 20, s_names, DB_COUNT, &f->env), TSG_OK);
    memset (s_runs, 0, sizeof s_runs);
    s_fail_at = 0;
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *f = *state;
    tsg_store_destroy (&f->env);
    test_rmtree (f->dir);
    free (f);
    return 0;
}

static void
s_put (tsg_store_t *store, int db, const char *key, const void *val, size_t len)
{
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);
    tsg_txn_put (&txn, tsg_store_db (store, db), key, strlen (key), val, len);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
}

static void
s_set_version (tsg_store_t *store, uint64_t v)
{
    uint8_t be[8];
    tsg_be64_put (be, v);
    s_put (store, DB_META, TSG_SCHEMA_KEY, be, 8);
}

static bool
s_has (tsg_store_t *store, int db, const char *key)
{
    tsg_txn_t txn;
    MDB_val val;
    tsg_txn_begin (store, &txn, false);
    bool found = tsg_txn_get (&txn, tsg_store_db (store, db), key, strlen (key), &val);
    tsg_txn_abort (&txn);
    return found;
}

static unsigned
s_version (tsg_store_t *store)
{
    unsigned v = 99;
    assert_int_equal (tsg_schema_read (store, &s_schema, &v), TSG_OK);
    return v;
}

static void
test_tables_valid (void **state)
{
    (void) state;
    assert_true (tsg_schema_table_valid (&s_schema));
    assert_true (tsg_schema_table_valid (&tsg_hub_schema));
    assert_int_equal (tsg_hub_schema.current, TSG_HUB_SCHEMA);
    assert_true (tsg_schema_table_valid (&agency_schema));
    tsg_schema_t bad = s_schema;
    bad.count = 1;
    assert_false (tsg_schema_table_valid (&bad));
    const tsg_migration_t swapped[] = { { 3, "three", s_to3 }, { 2, "two", s_to2 } };
    bad = s_schema;
    bad.migrations = swapped;
    assert_false (tsg_schema_table_valid (&bad));
    bad = s_schema;
    bad.current = 0;
    bad.count = 0;
    assert_false (tsg_schema_table_valid (&bad));
}

static void
test_new_store_stamped (void **state)
{
    s_fixture_t *f = *state;
    assert_int_equal (s_version (f->env), 0);
    unsigned from = 99;
    char err[256] = "";
    assert_int_equal (tsg_schema_migrate (f->env, &s_schema, f->dir, &from, err, sizeof err),
                      TSG_OK);
    assert_int_equal (from, 0);
    assert_int_equal (s_version (f->env), 3);
    assert_int_equal (s_runs[2] + s_runs[3], 0);
    char backup[4300];
    snprintf (backup, sizeof backup, "%s/" TSG_SCHEMA_BACKUP_PREFIX "2", f->dir);
    struct stat st;
    assert_int_not_equal (stat (backup, &st), 0); /* nothing to keep of a new store */
}

static void
test_old_store_copied_then_migrated (void **state)
{
    s_fixture_t *f = *state;
    s_put (f->env, DB_DATA, "record", "old", 3); /* data, no version: schema 1 */
    assert_int_equal (s_version (f->env), 1);
    unsigned from = 0;
    char err[256] = "";
    assert_int_equal (tsg_schema_migrate (f->env, &s_schema, f->dir, &from, err, sizeof err),
                      TSG_OK);
    assert_int_equal (from, 1);
    assert_int_equal (s_version (f->env), 3);
    assert_int_equal (s_runs[2], 1);
    assert_int_equal (s_runs[3], 1);
    assert_true (s_has (f->env, DB_DATA, "done.2") && s_has (f->env, DB_DATA, "done.3"));
    /* The copy: owner-only, and the store as it was (no version, no migration's work). */
    char backup[4300], file[4400];
    snprintf (backup, sizeof backup, "%s/" TSG_SCHEMA_BACKUP_PREFIX "2", f->dir);
    snprintf (file, sizeof file, "%s/data.mdb", backup);
    struct stat st;
    assert_int_equal (stat (backup, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0700);
    assert_int_equal (stat (file, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    tsg_store_t *copy = NULL;
    assert_int_equal (tsg_store_open (backup, 16u << 20, s_names, DB_COUNT, &copy), TSG_OK);
    assert_true (s_has (copy, DB_DATA, "record"));
    assert_false (s_has (copy, DB_DATA, "done.2"));
    assert_int_equal (s_version (copy), 1);
    tsg_store_destroy (&copy);
    /* A second start changes nothing. */
    assert_int_equal (tsg_schema_migrate (f->env, &s_schema, f->dir, NULL, err, sizeof err),
                      TSG_OK);
    assert_int_equal (s_runs[2] + s_runs[3], 2);
}

static void
test_failed_migration_runs_again (void **state)
{
    s_fixture_t *f = *state;
    s_put (f->env, DB_DATA, "record", "old", 3);
    s_fail_at = 3;
    char err[256] = "";
    int rc = tsg_schema_migrate (f->env, &s_schema, f->dir, NULL, err, sizeof err);
    assert_int_not_equal (rc, TSG_OK);
    assert_non_null (strstr (err, "schema 3"));
    /* Migration 2 committed with its bump; 3's half-done work went with its transaction. */
    assert_int_equal (s_version (f->env), 2);
    assert_true (s_has (f->env, DB_DATA, "done.2"));
    assert_false (s_has (f->env, DB_DATA, "half"));
    s_fail_at = 0;
    assert_int_equal (tsg_schema_migrate (f->env, &s_schema, f->dir, NULL, err, sizeof err),
                      TSG_OK);
    assert_int_equal (s_version (f->env), 3);
    assert_int_equal (s_runs[2], 1); /* not again: the version said it was done */
    assert_int_equal (s_runs[3], 2);
    /* The first copy (schema 1, before 2) stays; the retry copied the schema-2 store apart. */
    tsg_store_t *copy = NULL;
    char backup[4300];
    snprintf (backup, sizeof backup, "%s/" TSG_SCHEMA_BACKUP_PREFIX "2", f->dir);
    assert_int_equal (tsg_store_open (backup, 16u << 20, s_names, DB_COUNT, &copy), TSG_OK);
    assert_int_equal (s_version (copy), 1);
    tsg_store_destroy (&copy);
    snprintf (backup, sizeof backup, "%s/" TSG_SCHEMA_BACKUP_PREFIX "3", f->dir);
    assert_int_equal (tsg_store_open (backup, 16u << 20, s_names, DB_COUNT, &copy), TSG_OK);
    assert_int_equal (s_version (copy), 2);
    tsg_store_destroy (&copy);
}

/* A migration that fills the map: refused as store full, the store left at its version. */
static void
s_fill (tsg_txn_t *txn, size_t *changed)
{
    static uint8_t big[16384];
    for (unsigned i = 0; i < 2000 && txn->rc == TSG_OK; i++) {
        char key[16];
        snprintf (key, sizeof key, "big.%u", i);
        tsg_txn_put (txn, tsg_store_db (txn->store, DB_DATA), key, strlen (key), big, sizeof big);
        (*changed)++;
    }
}

static void
test_full_store_left_as_was (void **state)
{
    s_fixture_t *f = *state;
    s_put (f->env, DB_DATA, "record", "old", 3);
    static const tsg_migration_t fill[] = { { 2, "fill", s_fill } };
    const tsg_schema_t schema = { .name = "test",
                                  .current = 2,
                                  .migrations = fill,
                                  .count = 1,
                                  .meta_db = DB_META,
                                  .db_count = DB_COUNT };
    char err[512] = "";
    assert_int_equal (tsg_schema_migrate (f->env, &schema, f->dir, NULL, err, sizeof err),
                      TSG_ERR_STORE_FULL);
    assert_non_null (strstr (err, "raise map_size_mb"));
    assert_non_null (strstr (err, "left at schema 1"));
    assert_int_equal (s_version (f->env), 1);
    assert_false (s_has (f->env, DB_DATA, "big.0"));
}

static void
test_newer_store_refused (void **state)
{
    s_fixture_t *f = *state;
    s_put (f->env, DB_DATA, "record", "new", 3);
    s_set_version (f->env, 4);
    char err[256] = "";
    unsigned from = 0;
    assert_int_equal (tsg_schema_migrate (f->env, &s_schema, f->dir, &from, err, sizeof err),
                      TSG_ERR_EXISTS);
    assert_int_equal (from, 4);
    assert_string_equal (err, "this store was written by a newer tsunagu (schema 4); this binary "
                              "knows schema 3: install the newer version or restore a backup");
    assert_int_equal (s_version (f->env), 4);
    assert_int_equal (s_runs[2] + s_runs[3], 0);
    assert_false (tsg_schema_supported (&s_schema, 4, err, sizeof err));
    assert_true (tsg_schema_supported (&s_schema, 3, err, sizeof err));
    /* A malformed key is an error, not a version. */
    s_put (f->env, DB_META, TSG_SCHEMA_KEY, "x", 1);
    unsigned v;
    assert_int_equal (tsg_schema_read (f->env, &s_schema, &v), TSG_ERR_BAD_INPUT);
    assert_int_equal (tsg_schema_migrate (f->env, &s_schema, f->dir, NULL, err, sizeof err),
                      TSG_ERR_BAD_INPUT);
    assert_non_null (strstr (err, "malformed"));
}

/* The coordinator's store of schema 1 without the META marks of the old one-off upgrades
 * (a store older than both): opening it at the current schema marks both as done, and the
 * copy keeps the old version; one of the future schema is refused. */
static void
test_coordinator_store (void **state)
{
    s_fixture_t *f = *state;
    tsg_store_t *hub = NULL;
    assert_int_equal (tsg_hub_store_open (f->dir, 16u << 20, &hub), TSG_OK);
    s_put (hub, TSG_HUB_DB_STATS, "anything", "1", 1);
    tsg_store_destroy (&hub);
    char err[512] = "";
    assert_int_equal (tsg_hub_store_open_current (f->dir, 16u << 20, &hub, err, sizeof err),
                      TSG_OK);
    unsigned v = 0;
    assert_true (tsg_hub_schema_usable (hub, &v, err, sizeof err));
    assert_int_equal (v, TSG_HUB_SCHEMA);
    assert_true (s_has (hub, TSG_HUB_DB_META, "case_order.version"));
    assert_true (s_has (hub, TSG_HUB_DB_META, "due.recipients"));
    s_set_version (hub, TSG_HUB_SCHEMA + 1);
    assert_false (tsg_hub_schema_usable (hub, &v, err, sizeof err));
    assert_non_null (strstr (err, "written by a newer tsunagu"));
    tsg_store_destroy (&hub);
    assert_int_equal (tsg_hub_store_open_current (f->dir, 16u << 20, &hub, err, sizeof err),
                      TSG_ERR_EXISTS);
    assert_null (hub);
}

int
main (void)
{
    log_init ("test_schema", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_tables_valid),
        cmocka_unit_test_setup_teardown (test_new_store_stamped, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_old_store_copied_then_migrated, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_failed_migration_runs_again, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_full_store_left_as_was, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_newer_store_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_coordinator_store, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
