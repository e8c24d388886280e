/* test_store.c — the LMDB wrapper: straight-line transactions, error mapping, store full,
 * iteration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "test_helpers.h"

static const char *const s_names[] = { "alpha", "beta" };

static void
test_commit_and_reopen (void **state)
{
    (void) state;
    char dir[512];
    test_tmpdir (dir, sizeof dir, "store");
    tsg_store_t *store = NULL;
    assert_int_equal (tsg_store_open (dir, 16 << 20, s_names, 2, &store), TSG_OK);
    MDB_dbi alpha = tsg_store_db (store, 0);
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);
    for (uint64_t i = 1; i <= 300; i++) {
        uint8_t key[8];
        tsg_be64_put (key, i * 1000);
        tsg_txn_put (&txn, alpha, key, 8, &i, sizeof i);
    }
    tsg_txn_del (&txn, alpha, "missing", 7); /* deleting what is not there is fine */
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    tsg_store_destroy (&store);
    tsg_store_destroy (&store);

    assert_int_equal (tsg_store_open (dir, 16 << 20, s_names, 2, &store), TSG_OK);
    alpha = tsg_store_db (store, 0);
    tsg_txn_begin (store, &txn, false);
    assert_int_equal (tsg_txn_count (&txn, alpha), 300);
    /* Big-endian keys iterate in numeric order, starting at the first key >= start. */
    uint8_t start[8];
    tsg_be64_put (start, 150500);
    tsg_iter_t it;
    uint64_t expect = 151, seen = 0;
    for (tsg_iter_begin (&txn, alpha, &it, start, 8); it.valid; tsg_iter_next (&it)) {
        assert_int_equal (tsg_be64_get (it.key.mv_data), expect * 1000);
        expect++;
        seen++;
    }
    tsg_iter_end (&it);
    assert_int_equal (seen, 150);
    MDB_val val;
    assert_false (tsg_txn_get (&txn, alpha, "nope", 4, &val));
    assert_int_equal (txn.rc, TSG_OK); /* not found is not an error */
    tsg_txn_abort (&txn);
    tsg_txn_abort (&txn);
    tsg_store_destroy (&store);
    test_rmtree (dir);
}

static void
test_first_error_sticks (void **state)
{
    (void) state;
    char dir[512];
    test_tmpdir (dir, sizeof dir, "store");
    tsg_store_t *store = NULL;
    assert_int_equal (tsg_store_open (dir, 16 << 20, s_names, 2, &store), TSG_OK);
    MDB_dbi beta = tsg_store_db (store, 1);
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);
    tsg_txn_put (&txn, beta, "kept-out", 8, "v", 1);
    tsg_txn_put (&txn, beta, "", 0, "v", 1); /* LMDB refuses an empty key */
    assert_int_not_equal (txn.rc, TSG_OK);
    int first = txn.rc;
    tsg_txn_put (&txn, beta, "after", 5, "v", 1); /* a no-op now */
    assert_int_equal (txn.rc, first);
    assert_int_equal (tsg_txn_commit (&txn), first);

    /* Nothing of the failed transaction is there. */
    tsg_txn_begin (store, &txn, false);
    MDB_val val;
    assert_false (tsg_txn_get (&txn, beta, "kept-out", 8, &val));
    assert_false (tsg_txn_get (&txn, beta, "after", 5, &val));
    tsg_txn_abort (&txn);
    tsg_store_destroy (&store);
    test_rmtree (dir);
}

static void
test_store_full (void **state)
{
    (void) state;
    char dir[512];
    test_tmpdir (dir, sizeof dir, "store");
    tsg_store_t *store = NULL;
    assert_int_equal (tsg_store_open (dir, 256 * 1024, s_names, 2, &store), TSG_OK);
    MDB_dbi alpha = tsg_store_db (store, 0);
    uint8_t value[4096] = { 0 };
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);
    for (uint64_t i = 0; i < 1000 && txn.rc == TSG_OK; i++) {
        uint8_t key[8];
        tsg_be64_put (key, i);
        tsg_txn_put (&txn, alpha, key, 8, value, sizeof value);
    }
    assert_int_equal (txn.rc, TSG_ERR_STORE_FULL);
    assert_int_equal (tsg_txn_commit (&txn), TSG_ERR_STORE_FULL);
    assert_string_equal (tsg_strerror (TSG_ERR_STORE_FULL), "store full (raise map_size_mb)");

    tsg_txn_begin (store, &txn, false);
    assert_int_equal (tsg_txn_count (&txn, alpha), 0);
    tsg_txn_abort (&txn);
    tsg_store_destroy (&store);
    test_rmtree (dir);
}

static void
test_error_mapping (void **state)
{
    (void) state;
    assert_int_equal (tsg_store_error (MDB_SUCCESS), TSG_OK);
    assert_int_equal (tsg_store_error (MDB_NOTFOUND), TSG_ERR_NOT_FOUND);
    assert_int_equal (tsg_store_error (MDB_MAP_FULL), TSG_ERR_STORE_FULL);
    assert_int_equal (tsg_store_error (MDB_KEYEXIST), TSG_ERR_EXISTS);
    assert_int_equal (tsg_store_error (MDB_CORRUPTED), TSG_ERR_STORE);
    tsg_store_t *store = NULL;
    assert_int_equal (tsg_store_open ("/proc/tsunagu-cannot-exist", 1 << 20, s_names, 2, &store),
                      TSG_ERR_IO);
    assert_null (store);
}

int
main (void)
{
    log_init ("test_store", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_commit_and_reopen),
        cmocka_unit_test (test_first_error_sticks),
        cmocka_unit_test (test_store_full),
        cmocka_unit_test (test_error_mapping),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
