/* test_hub_due_upgrade.c — a DUE entry names its referral's recipient beside the case, so the
 * overview counts overdue letters by recipient from the index alone; and a store written
 * before (entries of the case id only) gets the recipients once, at start, with the overview's
 * counts the same before and after. */
#include "test_hub_fixture.h"

#include "coordinator/model/layout.h"
#include "coordinator/model/overview.h"
#include "coordinator/model/referrals.h"
#include "coordinator/model/store.h"

#define CASE_A "0a000000-0000-4000-8000-00000000000a"
#define CASE_B "0b000000-0000-4000-8000-00000000000b"

static int
s_setup (void **state)
{
    *state = hub_fixture_new ("hub-due-upgrade");
    return 0;
}

static int
s_teardown (void **state)
{
    hub_fixture_t *f = *state;
    hub_fixture_destroy (&f);
    return 0;
}

/* Every DUE value as it is stored, in key order, into values (n of them). */
static size_t
s_values (hub_fixture_t *f, char values[][80], size_t max)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    tsg_iter_t it;
    size_t n = 0;
    for (tsg_iter_begin (&txn, tsg_store_db (f->store, TSG_HUB_DB_DUE), &it, NULL, 0);
         it.valid && n < max; tsg_iter_next (&it)) {
        assert_true (it.val.mv_size < 80);
        memcpy (values[n], it.val.mv_data, it.val.mv_size);
        values[n++][it.val.mv_size] = '\0';
    }
    tsg_iter_end (&it);
    tsg_txn_abort (&txn);
    return n;
}

/* Cuts every DUE value back to the case id alone, as stores before the recipient wrote them,
 * and forgets that the upgrade ran. */
static void
s_make_old (hub_fixture_t *f)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, true);
    MDB_dbi due = tsg_store_db (f->store, TSG_HUB_DB_DUE);
    uint8_t keys[16][TSG_HUB_DUE_KEY_LEN], cases[16][36];
    size_t n = 0;
    tsg_iter_t it;
    for (tsg_iter_begin (&txn, due, &it, NULL, 0); it.valid && n < 16; tsg_iter_next (&it)) {
        memcpy (keys[n], it.key.mv_data, TSG_HUB_DUE_KEY_LEN);
        memcpy (cases[n++], it.val.mv_data, 36);
    }
    tsg_iter_end (&it);
    for (size_t i = 0; i < n; i++)
        tsg_txn_put (&txn, due, keys[i], TSG_HUB_DUE_KEY_LEN, cases[i], 36);
    tsg_txn_del (&txn, tsg_store_db (f->store, TSG_HUB_DB_META), "due.recipients", 14);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
}

/* The overview's overdue count of kind ("received", "accepted") for agency. */
static json_int_t
s_overdue (hub_fixture_t *f, const char *kind, const char *agency)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    json_t *o = tsg_hub_view_overview (&txn, hub_now);
    tsg_txn_abort (&txn);
    assert_non_null (o);
    json_int_t count = 0;
    size_t i;
    json_t *row;
    json_array_foreach (json_object_get (json_object_get (o, "overdue"), kind), i, row)
    {
        if (strcmp (json_string_value (json_object_get (row, "agency")), agency) == 0)
            count = json_integer_value (json_object_get (row, "count"));
    }
    json_decref (o);
    return count;
}

static void
test_values_and_upgrade (void **state)
{
    hub_fixture_t *f = *state;
    char rid_a[TSG_UUID_TEXT_SIZE] = "", rid_b[TSG_UUID_TEXT_SIZE] = "";
    hub_expect_stored ((tsg_hub_answer_t[]){ hub_referral (
        f, F_ELDER, POVERTY, CASE_A, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, rid_a) });
    hub_expect_stored ((tsg_hub_answer_t[]){ hub_referral (
        f, F_ELDER, CHILD, CASE_B, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, rid_b) });

    /* Each referral awaits receipt and an answer: four entries, each "case id + recipient". */
    char values[16][80];
    size_t n = s_values (f, values, 16);
    assert_int_equal (n, 4);
    for (size_t i = 0; i < n; i++)
        assert_true (strcmp (values[i], CASE_A POVERTY) == 0
                     || strcmp (values[i], CASE_B CHILD) == 0);

    /* A month on, everything is overdue, counted by recipient. */
    hub_now += 30 * DAY_MS;
    assert_int_equal (s_overdue (f, "received", POVERTY), 1);
    assert_int_equal (s_overdue (f, "accepted", CHILD), 1);

    /* An older store: the same counts from the referral records, then from the index again
     * once the upgrade has named the recipients; a second run changes nothing. */
    s_make_old (f);
    n = s_values (f, values, 16);
    for (size_t i = 0; i < n; i++)
        assert_int_equal (strlen (values[i]), 36);
    assert_int_equal (s_overdue (f, "received", POVERTY), 1);
    size_t rewritten = 0;
    assert_int_equal (tsg_hub_due_upgrade (f->store, &rewritten), TSG_OK);
    assert_int_equal (rewritten, 4);
    n = s_values (f, values, 16);
    for (size_t i = 0; i < n; i++)
        assert_true (strcmp (values[i], CASE_A POVERTY) == 0
                     || strcmp (values[i], CASE_B CHILD) == 0);
    assert_int_equal (s_overdue (f, "received", POVERTY), 1);
    assert_int_equal (s_overdue (f, "accepted", CHILD), 1);
    assert_int_equal (tsg_hub_due_upgrade (f->store, &rewritten), TSG_OK);
    assert_int_equal (rewritten, 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_values_and_upgrade, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
