/* The coordinator's own keys through a rotation, on disk and in the store
 * (coordinator/daemon/own_keys.h, model/rotation.h): the announcement writes KEYS.next (0600)
 * and the record and moves the registry generation; a second is refused while one is under
 * way, unless its KEYS.next is lost; the switch keeps KEYS.previous, writes KEYS and its
 * public file and records it; a switch cut short after KEYS was written completes; the record's
 * layout and when a rotation is due. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <sys/stat.h>

#include "coordinator/daemon/own_keys.h"
#include "coordinator/model/rotation.h"
#include "coordinator/model/store.h"
#include "test_helpers.h"

typedef struct {
    char dir[512];      /* the data directory */
    char keys[600];     /* DIR/coordinator.key */
    tsg_store_t *store; /* DIR/store */
    tsg_keys_t *first;  /* the keys of init */
} s_site_t;

static int
s_setup (void **state)
{
    s_site_t *s = calloc (1, sizeof *s);
    test_tmpdir (s->dir, sizeof s->dir, "own-keys");
    snprintf (s->keys, sizeof s->keys, "%s/coordinator.key", s->dir);
    s->first = tsg_keys_generate (TSG_COORDINATOR_ID);
    assert_int_equal (tsg_keys_save_secret (s->first, s->keys), TSG_OK);
    assert_int_equal (tsg_hub_store_open (s->dir, 0, &s->store), TSG_OK);
    *state = s;
    return 0;
}

static int
s_teardown (void **state)
{
    s_site_t *s = *state;
    tsg_store_destroy (&s->store);
    tsg_keys_destroy (&s->first);
    test_rmtree (s->dir);
    free (s);
    return 0;
}

/* Announces in a transaction of its own; the rc, *out the record. */
static int
s_announce (s_site_t *s, tsg_hub_rotation_t *out)
{
    tsg_txn_t txn;
    tsg_txn_begin (s->store, &txn, true);
    char why[512] = "";
    int rc = tsg_hub_own_keys_announce (s->keys, &txn, tsg_now_ms () + 86400000ULL, out, why,
                                        sizeof why);
    if (rc == TSG_OK)
        assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    else
        tsg_txn_abort (&txn);
    return rc;
}

static tsg_hub_rotation_t
s_record (s_site_t *s, uint64_t *generation)
{
    tsg_txn_t txn;
    tsg_txn_begin (s->store, &txn, false);
    tsg_hub_rotation_t r;
    assert_true (tsg_hub_rotation_get (&txn, &r));
    if (generation)
        *generation = tsg_registry_generation (&txn);
    tsg_txn_abort (&txn);
    return r;
}

static void
test_announce (void **state)
{
    s_site_t *s = *state;
    assert_int_equal (s_record (s, NULL).state, TSG_HUB_ROTATION_NONE);
    tsg_hub_rotation_t r;
    assert_int_equal (s_announce (s, &r), TSG_OK);
    uint64_t generation = 0;
    tsg_hub_rotation_t stored = s_record (s, &generation);
    assert_int_equal (stored.state, TSG_HUB_ROTATION_ANNOUNCED);
    assert_memory_equal (stored.next_sign, r.next_sign, 32);
    assert_true (generation > 0);

    char next_path[700];
    snprintf (next_path, sizeof next_path, "%s.next", s->keys);
    struct stat st;
    assert_int_equal (stat (next_path, &st), 0);
    assert_int_equal (st.st_mode & 0077, 0);
    tsg_keys_t *next = NULL;
    assert_int_equal (tsg_hub_own_keys_load_next (s->keys, &stored, &next, NULL, 0), TSG_OK);
    assert_memory_equal (tsg_keys_sign_public (next), r.next_sign, 32);
    tsg_keys_destroy (&next);

    /* A second while this one is under way: refused, nothing changed. */
    tsg_hub_rotation_t again;
    assert_int_equal (s_announce (s, &again), TSG_ERR_EXISTS);
    assert_memory_equal (s_record (s, NULL).next_sign, r.next_sign, 32);

    /* KEYS.next holding other keys is not taken for the recorded ones. */
    tsg_keys_t *other = tsg_keys_generate (TSG_COORDINATOR_ID);
    assert_int_equal (tsg_keys_save_secret (other, next_path), TSG_OK);
    assert_int_equal (tsg_hub_own_keys_load_next (s->keys, &stored, &next, NULL, 0),
                      TSG_ERR_BAD_INPUT);
    tsg_keys_destroy (&other);
    /* ... and, lost, the rotation is replaced by the next announcement. */
    unlink (next_path);
    assert_int_equal (s_announce (s, &again), TSG_OK);
    assert_memory_not_equal (again.next_sign, r.next_sign, 32);
}

static void
test_switch (void **state)
{
    s_site_t *s = *state;
    char why[512] = "";
    assert_int_equal (
        tsg_hub_own_keys_switch (s->keys, s->store, NULL, "admin", "test", "x", why, sizeof why),
        TSG_ERR_NOT_FOUND);
    tsg_hub_rotation_t r;
    assert_int_equal (s_announce (s, &r), TSG_OK);
    assert_int_equal (
        tsg_hub_own_keys_switch (s->keys, s->store, NULL, "admin", "test", "x", why, sizeof why),
        TSG_OK);
    tsg_hub_rotation_t done = s_record (s, NULL);
    assert_int_equal (done.state, TSG_HUB_ROTATION_SWITCHED);
    assert_memory_equal (done.next_sign, r.next_sign, 32);
    assert_memory_equal (done.previous_sign, tsg_keys_sign_public (s->first), 32);
    assert_true (done.switched_at_ms > 0);

    tsg_keys_t *now = NULL, *previous = NULL;
    char path[700], err[256];
    assert_int_equal (tsg_keys_load (s->keys, &now, err, sizeof err), TSG_OK);
    assert_memory_equal (tsg_keys_sign_public (now), r.next_sign, 32);
    snprintf (path, sizeof path, "%s.previous", s->keys);
    assert_int_equal (tsg_keys_load (path, &previous, err, sizeof err), TSG_OK);
    assert_memory_equal (tsg_keys_sign_public (previous), tsg_keys_sign_public (s->first), 32);
    snprintf (path, sizeof path, "%s.next", s->keys);
    assert_int_not_equal (access (path, F_OK), 0);
    char id[33];
    uint8_t box[32], sign[32];
    snprintf (path, sizeof path, "%s/coordinator.pub", s->dir);
    assert_int_equal (tsg_keys_load_public (path, id, box, sign, err, sizeof err), TSG_OK);
    assert_memory_equal (sign, r.next_sign, 32);
    assert_memory_equal (box, r.next_box, 32);
    tsg_keys_destroy (&now);
    tsg_keys_destroy (&previous);
}

static void
test_switch_cut_short_completes (void **state)
{
    s_site_t *s = *state;
    tsg_hub_rotation_t r;
    assert_int_equal (s_announce (s, &r), TSG_OK);
    /* As a kill -9 after the switch wrote KEYS.previous and KEYS, before the record. */
    tsg_keys_t *next = NULL;
    assert_int_equal (tsg_hub_own_keys_load_next (s->keys, &r, &next, NULL, 0), TSG_OK);
    char path[700], why[512] = "";
    snprintf (path, sizeof path, "%s.previous", s->keys);
    assert_int_equal (tsg_keys_save_secret (s->first, path), TSG_OK);
    assert_int_equal (tsg_keys_save_secret (next, s->keys), TSG_OK);
    tsg_keys_destroy (&next);
    assert_int_equal (s_record (s, NULL).state, TSG_HUB_ROTATION_ANNOUNCED);
    assert_int_equal (tsg_hub_own_keys_switch (s->keys, s->store, NULL, "coordinator", "start",
                                               "a switch cut short", why, sizeof why),
                      TSG_OK);
    tsg_hub_rotation_t done = s_record (s, NULL);
    assert_int_equal (done.state, TSG_HUB_ROTATION_SWITCHED);
    assert_memory_equal (done.previous_sign, tsg_keys_sign_public (s->first), 32);
    assert_memory_equal (done.next_sign, r.next_sign, 32);
}

static void
test_record_layout_and_due (void **state)
{
    (void) state;
    tsg_hub_rotation_t r = { .state = TSG_HUB_ROTATION_ANNOUNCED,
                             .announced_at_ms = 1,
                             .switch_by_ms = 5000,
                             .switched_at_ms = 0 };
    randombytes_buf (r.next_box, 32);
    randombytes_buf (r.next_sign, 32);
    uint8_t bytes[TSG_HUB_ROTATION_SIZE];
    tsg_hub_rotation_encode (&r, bytes);
    tsg_hub_rotation_t back;
    assert_true (tsg_hub_rotation_decode (bytes, sizeof bytes, &back));
    assert_memory_equal (&back, &r, sizeof r);
    assert_false (tsg_hub_rotation_decode (bytes, sizeof bytes - 1, &back));
    bytes[0] = 9;
    assert_false (tsg_hub_rotation_decode (bytes, sizeof bytes, &back));
    bytes[0] = 1;
    bytes[1] = 7;
    assert_false (tsg_hub_rotation_decode (bytes, sizeof bytes, &back));

    assert_false (tsg_hub_rotation_due (&r, false, 4999));
    assert_true (tsg_hub_rotation_due (&r, true, 10));
    assert_true (tsg_hub_rotation_due (&r, false, 5000));
    r.state = TSG_HUB_ROTATION_SWITCHED;
    assert_false (tsg_hub_rotation_due (&r, true, 9999));
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_announce, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_switch, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_switch_cut_short_completes, s_setup, s_teardown),
        cmocka_unit_test (test_record_layout_and_due),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
