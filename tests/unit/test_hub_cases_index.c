/* test_hub_cases_index.c — case listings at scale (CASE_ORDER, CASE_DUE): every filter and
 * sort against a brute-force reading of the same cases, cursor paging without duplicates or
 * gaps (also while a case changes between pages), the budget's partial pages, a withheld
 * referral (not overdue, counted on its case, shown with why), plan review dates, and the
 * rebuild of a store written before the indices existed. */
#include "test_hub_fixture.h"

#include <jansson.h>

#include "coordinator/model/layout.h"
#include "coordinator/model/store.h"
#include "coordinator/model/views.h"

#define CASES 240

static int
s_setup (void **state)
{
    *state = hub_fixture_new ("hub-cases-index");
    return 0;
}

static int
s_teardown (void **state)
{
    hub_fixture_t *f = *state;
    hub_fixture_destroy (&f);
    return 0;
}

static const char *const s_agencies[] = { ELDER, DISABILITY, POVERTY, CHILD };
static const char *const s_tags[] = { "8050", "介護", "孤立", "就労", "不登校" };

/* The id of synthetic case i. */
static void
s_id (int i, char out[TSG_UUID_TEXT_SIZE])
{
    snprintf (out, TSG_UUID_TEXT_SIZE, "%08x-0000-4000-8000-%012x", (unsigned) (i * 2654435761u),
              (unsigned) i);
}

/* Synthetic case i: a state, 1 to 4 agencies, tags, dates spread over two years. */
static void
s_make (int i, tsg_hub_case_t *c)
{
    memset (c, 0, sizeof *c);
    s_id (i, c->id);
    c->state = (tsg_case_state_t) (i % TSG_CASE_STATE_COUNT);
    c->version = 1;
    c->created_at_ms = T0 - (uint64_t) ((i * 7919) % 730) * DAY_MS;
    c->updated_at_ms = c->created_at_ms + (uint64_t) ((i * 31) % 97) * DAY_MS;
    if (c->updated_at_ms > T0)
        c->updated_at_ms = T0;
    for (int k = 0; k <= i % 4; k++)
        tsg_hub_case_add_agency (c, s_agencies[(i + k) % 4]);
    snprintf (c->opened_by, sizeof c->opened_by, "%s", c->agencies[0]);
    tsg_hub_case_add_tag (c, s_tags[i % 5]);
    if (i % 3 == 0)
        tsg_hub_case_add_tag (c, s_tags[(i + 2) % 5]);
    c->reopened = i % 17 == 0;
    c->withheld = i % 13 == 0;
    if (c->state == TSG_CASE_CLOSED)
        c->closed_at_ms = c->updated_at_ms;
}

static void
s_load (hub_fixture_t *f)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, true);
    tsg_hub_case_t c;
    for (int i = 0; i < CASES; i++) {
        s_make (i, &c);
        tsg_hub_case_put (&txn, NULL, &c);
    }
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
}

/* True when c passes filter by reading the record itself. */
static bool
s_expected (const tsg_hub_case_t *c, const tsg_hub_case_filter_t *f)
{
    if (f->state && strcmp (tsg_case_state_name (c->state), f->state) != 0)
        return false;
    if (f->agency && !tsg_hub_case_has_agency (c, f->agency))
        return false;
    if (f->tag && !tsg_hub_rows_contain (c->tags[0], sizeof c->tags[0], c->n_tags, f->tag))
        return false;
    if (f->agency_type) {
        bool found = false;
        for (size_t i = 0; i < c->n_agencies; i++)
            found |= strncmp (c->agencies[i], f->agency_type, strlen (f->agency_type)) == 0;
        if (!found)
            return false;
    }
    if (f->withheld && !c->withheld)
        return false;
    if (f->stuck_days
        && (c->state == TSG_CASE_CLOSED
            || c->updated_at_ms + (uint64_t) f->stuck_days * DAY_MS > f->now_ms))
        return false;
    if (f->candidate && !tsg_hub_case_candidate (c, f->now_ms))
        return false;
    return true;
}

/* What a listing collected: the ids in order. */
typedef struct {
    char ids[CASES * 2][TSG_UUID_TEXT_SIZE]; /* listed, in order */
    size_t n;                                /* in use */
    uint64_t keys[CASES * 2];                /* the sort key of each */
    tsg_hub_case_sort_t sort;                /* the order asked */
} s_seen_t;

static bool
s_collect (void *arg, const tsg_hub_case_t *c, bool overdue)
{
    (void) overdue;
    s_seen_t *seen = arg;
    assert_true (seen->n < CASES * 2);
    memcpy (seen->ids[seen->n], c->id, TSG_UUID_TEXT_SIZE);
    seen->keys[seen->n++] =
        seen->sort == TSG_HUB_CASE_SORT_CREATED_DESC ? c->created_at_ms : c->updated_at_ms;
    return true;
}

/* Pages through filter with pages of limit, returning every id listed in order. */
static void
s_page_all (hub_fixture_t *f, tsg_hub_case_filter_t filter, size_t limit, s_seen_t *seen)
{
    char cursor[TSG_HUB_CASE_CURSOR_SIZE] = "";
    seen->n = 0;
    seen->sort = filter.sort;
    filter.limit = limit;
    for (int pages = 0; pages < CASES + 2; pages++) {
        filter.cursor = cursor[0] ? cursor : NULL;
        tsg_txn_t txn;
        tsg_txn_begin (f->store, &txn, false);
        tsg_hub_case_page_t page;
        tsg_hub_cases_page (&txn, &filter, s_collect, seen, &page);
        assert_int_equal (txn.rc, TSG_OK);
        tsg_txn_abort (&txn);
        assert_true (page.listed <= limit);
        if (!page.more)
            return;
        assert_true (page.cursor[0] != '\0');
        memcpy (cursor, page.cursor, sizeof cursor);
    }
    fail_msg ("paging did not end");
}

/* Every filter in every order: the pages hold exactly the cases that pass, each once, in
 * order. */
static void
test_filters_and_sorts (void **state)
{
    hub_fixture_t *f = *state;
    s_load (f);
    const tsg_hub_case_filter_t filters[] = {
        { .now_ms = T0 },
        { .state = "support", .now_ms = T0 },
        { .agency = POVERTY, .now_ms = T0 },
        { .tag = "8050", .now_ms = T0 },
        { .agency_type = "child", .now_ms = T0 },
        { .withheld = true, .now_ms = T0 },
        { .stuck_days = 30, .now_ms = T0 },
        { .stuck_days = 400, .now_ms = T0 },
        { .candidate = true, .now_ms = T0 },
        { .agency = ELDER, .state = "closed", .now_ms = T0 },
        { .agency = ELDER, .tag = "介護", .agency_type = "poverty", .now_ms = T0 },
        { .candidate = true, .stuck_days = 60, .agency_type = "disability", .now_ms = T0 },
        { .withheld = true, .tag = "孤立", .now_ms = T0 },
    };
    const tsg_hub_case_sort_t sorts[] = { TSG_HUB_CASE_SORT_ID, TSG_HUB_CASE_SORT_UPDATED_DESC,
                                          TSG_HUB_CASE_SORT_UPDATED_ASC,
                                          TSG_HUB_CASE_SORT_CREATED_DESC };
    s_seen_t *seen = malloc (sizeof *seen);
    assert_non_null (seen);
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        size_t expected = 0;
        tsg_hub_case_t c;
        for (int k = 0; k < CASES; k++) {
            s_make (k, &c);
            expected += s_expected (&c, &filters[i]);
        }
        for (size_t s = 0; s < sizeof sorts / sizeof sorts[0]; s++) {
            tsg_hub_case_filter_t filter = filters[i];
            filter.sort = sorts[s];
            s_page_all (f, filter, 7, seen);
            assert_int_equal (seen->n, expected);
            for (size_t k = 0; k < seen->n; k++) {
                for (size_t m = 0; m < k; m++)
                    assert_string_not_equal (seen->ids[k], seen->ids[m]);
                if (k == 0)
                    continue;
                if (sorts[s] == TSG_HUB_CASE_SORT_ID)
                    assert_true (strcmp (seen->ids[k - 1], seen->ids[k]) < 0);
                else if (sorts[s] == TSG_HUB_CASE_SORT_UPDATED_ASC)
                    assert_true (seen->keys[k - 1] <= seen->keys[k]);
                else
                    assert_true (seen->keys[k - 1] >= seen->keys[k]);
            }
        }
    }
    free (seen);
}

/* A case that changes between two pages is listed once (in id and created order it keeps
 * its place; by updated, it is not listed again after it moved), and no other case is
 * missed. */
static void
test_cursor_while_changing (void **state)
{
    hub_fixture_t *f = *state;
    s_load (f);
    const tsg_hub_case_sort_t sorts[] = { TSG_HUB_CASE_SORT_ID, TSG_HUB_CASE_SORT_UPDATED_DESC,
                                          TSG_HUB_CASE_SORT_UPDATED_ASC,
                                          TSG_HUB_CASE_SORT_CREATED_DESC };
    s_seen_t *seen = malloc (sizeof *seen);
    assert_non_null (seen);
    for (size_t s = 0; s < sizeof sorts / sizeof sorts[0]; s++) {
        tsg_hub_case_filter_t filter = { .now_ms = T0, .limit = 10, .sort = sorts[s] };
        seen->n = 0;
        seen->sort = sorts[s];
        tsg_txn_t txn;
        tsg_txn_begin (f->store, &txn, false);
        tsg_hub_case_page_t page;
        tsg_hub_cases_page (&txn, &filter, s_collect, seen, &page);
        tsg_txn_abort (&txn);
        assert_true (page.more);
        /* Change one listed case and one not yet listed. */
        char changed[2][TSG_UUID_TEXT_SIZE];
        memcpy (changed[0], seen->ids[3], TSG_UUID_TEXT_SIZE);
        tsg_txn_begin (f->store, &txn, true);
        tsg_hub_case_t old, now;
        int later = -1;
        for (int i = 0; i < CASES && later < 0; i++) {
            char id[TSG_UUID_TEXT_SIZE];
            s_id (i, id);
            bool listed = false;
            for (size_t k = 0; k < seen->n; k++)
                listed |= strcmp (seen->ids[k], id) == 0;
            if (!listed)
                later = i;
        }
        s_id (later, changed[1]);
        for (int k = 0; k < 2; k++) {
            assert_true (tsg_hub_case_get (&txn, changed[k], &old));
            now = old;
            now.version++;
            now.updated_at_ms = T0 + HOUR_MS;
            tsg_hub_case_put (&txn, &old, &now);
        }
        assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
        char cursor[TSG_HUB_CASE_CURSOR_SIZE];
        memcpy (cursor, page.cursor, sizeof cursor);
        filter.now_ms = T0 + 2 * HOUR_MS;
        for (int pages = 0; page.more && pages < CASES; pages++) {
            filter.cursor = cursor;
            tsg_txn_begin (f->store, &txn, false);
            tsg_hub_cases_page (&txn, &filter, s_collect, seen, &page);
            tsg_txn_abort (&txn);
            memcpy (cursor, page.cursor, sizeof cursor);
        }
        /* No duplicates; every case not changed is there. */
        for (size_t k = 0; k < seen->n; k++)
            for (size_t m = 0; m < k; m++)
                assert_string_not_equal (seen->ids[k], seen->ids[m]);
        size_t unchanged = 0, found_later = 0;
        for (size_t k = 0; k < seen->n; k++) {
            unchanged +=
                strcmp (seen->ids[k], changed[0]) != 0 && strcmp (seen->ids[k], changed[1]) != 0;
            found_later += strcmp (seen->ids[k], changed[1]) == 0;
        }
        assert_int_equal (unchanged, CASES - 2);
        if (sorts[s] == TSG_HUB_CASE_SORT_ID || sorts[s] == TSG_HUB_CASE_SORT_CREATED_DESC)
            assert_int_equal (found_later, 1);
        /* Put them back for the next order. */
        tsg_txn_begin (f->store, &txn, true);
        for (int k = 0; k < 2; k++) {
            assert_true (tsg_hub_case_get (&txn, changed[k], &old));
            now = old;
            int i = -1;
            for (int m = 0; m < CASES && i < 0; m++) {
                char id[TSG_UUID_TEXT_SIZE];
                s_id (m, id);
                if (strcmp (id, changed[k]) == 0)
                    i = m;
            }
            s_make (i, &now);
            tsg_hub_case_put (&txn, &old, &now);
        }
        assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    }
    free (seen);
}

/* Cursors are checked: another order's, or made up, are refused with a reason. */
static void
test_cursor_checks (void **state)
{
    hub_fixture_t *f = *state;
    s_load (f);
    tsg_hub_case_filter_t filter = { .now_ms = T0,
                                     .limit = 5,
                                     .sort = TSG_HUB_CASE_SORT_UPDATED_DESC };
    s_seen_t *seen = malloc (sizeof *seen);
    seen->n = 0;
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    tsg_hub_case_page_t page;
    tsg_hub_cases_page (&txn, &filter, s_collect, seen, &page);
    tsg_txn_abort (&txn);
    const char *why = NULL;
    assert_true (tsg_hub_case_cursor_ok (page.cursor, TSG_HUB_CASE_SORT_UPDATED_DESC, &why));
    assert_false (tsg_hub_case_cursor_ok (page.cursor, TSG_HUB_CASE_SORT_ID, &why));
    assert_non_null (strstr (why, "another order"));
    assert_false (tsg_hub_case_cursor_ok ("nonsense", TSG_HUB_CASE_SORT_ID, &why));
    char bad[TSG_HUB_CASE_CURSOR_SIZE];
    memcpy (bad, page.cursor, sizeof bad);
    bad[5] = 'z';
    assert_false (tsg_hub_case_cursor_ok (bad, TSG_HUB_CASE_SORT_UPDATED_DESC, &why));
    tsg_hub_case_sort_t sort;
    assert_true (tsg_hub_case_sort_parse ("-created", &sort));
    assert_int_equal (sort, TSG_HUB_CASE_SORT_CREATED_DESC);
    assert_false (tsg_hub_case_sort_parse ("created", &sort));
    free (seen);
}

/* A referral withheld: no longer overdue (its DUE entries gone), counted on its case, shown
 * with why in the referral's and the case's views; the withheld filter finds the case. */
static void
test_withheld_referral (void **state)
{
    hub_fixture_t *f = *state;
    const char *case_id = "6d1e0c9b-7a8f-4b0c-a45d-3f7a8b9cadb4";
    char rid[TSG_UUID_TEXT_SIZE] = "";
    tsg_hub_answer_t a = hub_referral (f, F_ELDER, POVERTY, case_id,
                                       TSUNAGU__V1__URGENCY__URGENCY_NORMAL, "8050", rid);
    hub_expect_stored (&a);
    uint64_t later = T0 + 30 * DAY_MS;
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    assert_true (tsg_hub_case_overdue (&txn, case_id, later));
    assert_int_equal (tsg_hub_due_count (&txn, TSG_HUB_DUE_RECEIVED, later), 1);
    tsg_txn_abort (&txn);

    tsg_txn_begin (f->store, &txn, true);
    assert_true (tsg_hub_referral_withhold (&txn, rid, "revoked", case_id, T0 + HOUR_MS));
    assert_false (tsg_hub_referral_withhold (&txn, rid, "revoked", case_id, T0 + HOUR_MS));
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);

    tsg_txn_begin (f->store, &txn, false);
    assert_false (tsg_hub_case_overdue (&txn, case_id, later));
    assert_int_equal (tsg_hub_due_count (&txn, TSG_HUB_DUE_RECEIVED, later), 0);
    assert_int_equal (tsg_hub_due_count (&txn, TSG_HUB_DUE_ACCEPTED, later), 0);
    tsg_hub_case_t c;
    assert_true (tsg_hub_case_get (&txn, case_id, &c));
    assert_int_equal (c.withheld, 1);
    tsg_hub_referral_t ref;
    assert_true (tsg_hub_referral_get (&txn, rid, &ref));
    json_t *view = tsg_hub_view_referral (&ref, later);
    json_t *w = json_object_get (view, "withheld");
    assert_string_equal (json_string_value (json_object_get (w, "reason")), "revoked");
    assert_true (json_is_null (json_object_get (view, "overdue")));
    json_decref (view);
    view = tsg_hub_view_case (&txn, case_id, later);
    assert_int_equal (json_integer_value (json_object_get (view, "withheld")), 1);
    assert_int_equal (json_array_size (json_object_get (view, "withheld_referrals")), 1);
    assert_false (json_is_true (json_object_get (view, "overdue")));
    json_decref (view);
    tsg_hub_case_filter_t filter = { .withheld = true, .limit = 10, .now_ms = later };
    view = tsg_hub_view_cases (&txn, &filter);
    assert_int_equal (json_integer_value (json_object_get (view, "count")), 1);
    json_t *first = json_array_get (json_object_get (view, "cases"), 0);
    assert_int_equal (json_integer_value (json_object_get (first, "withheld")), 1);
    assert_non_null (json_object_get (first, "agency_types"));
    json_decref (view);
    filter = (tsg_hub_case_filter_t){ .overdue = true, .limit = 10, .now_ms = later };
    view = tsg_hub_view_cases (&txn, &filter);
    assert_int_equal (json_integer_value (json_object_get (view, "count")), 0);
    json_decref (view);
    tsg_txn_abort (&txn);
}

/* The summary's derived fields: stuck_days, candidate and why, review_overdue (Japan time). */
static void
test_summary_fields (void **state)
{
    (void) state;
    tsg_hub_case_t c;
    s_make (0, &c);
    c.state = TSG_CASE_SUPPORT;
    c.n_agencies = 3;
    c.reopened = 0;
    c.updated_at_ms = T0 - 31 * DAY_MS;
    snprintf (c.next_review_on, sizeof c.next_review_on, "2026-11-22");
    json_t *o = tsg_hub_view_case_summary (&c, false, T0);
    assert_int_equal (json_integer_value (json_object_get (o, "stuck_days")), 31);
    assert_true (json_is_true (json_object_get (o, "candidate")));
    assert_int_equal (json_array_size (json_object_get (o, "candidate_why")), 2);
    assert_true (json_is_true (json_object_get (o, "review_overdue")));
    json_decref (o);
    /* Today (Japan time) is not before today; a closed case's review is moot. */
    snprintf (c.next_review_on, sizeof c.next_review_on, "2026-11-23");
    assert_false (tsg_hub_case_review_overdue (&c, T0));
    snprintf (c.next_review_on, sizeof c.next_review_on, "2026-11-22");
    c.state = TSG_CASE_CLOSED;
    assert_false (tsg_hub_case_review_overdue (&c, T0));
    c.n_agencies = 1;
    assert_int_equal (tsg_hub_case_candidate (&c, T0), 0);
    c.reopened = 1;
    assert_int_equal (tsg_hub_case_candidate (&c, T0), TSG_HUB_CANDIDATE_REOPENED_BIT);
}

/* A store written before CASE_ORDER existed: its cases are listed after the rebuild, once. */
static void
test_rebuild_older_store (void **state)
{
    hub_fixture_t *f = *state;
    s_load (f);
    /* Make it an older store: no CASE_ORDER, no CASE_DUE, no version. */
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, true);
    assert_int_equal (mdb_drop (txn.txn, tsg_store_db (f->store, TSG_HUB_DB_CASE_ORDER), 0), 0);
    tsg_txn_del (&txn, tsg_store_db (f->store, TSG_HUB_DB_META), TSG_HUB_CASE_ORDER_META,
                 strlen (TSG_HUB_CASE_ORDER_META));
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    tsg_hub_case_filter_t filter = { .now_ms = T0, .limit = 500 };
    tsg_txn_begin (f->store, &txn, false);
    json_t *view = tsg_hub_view_cases (&txn, &filter);
    assert_int_equal (json_integer_value (json_object_get (view, "count")), 0);
    json_decref (view);
    tsg_txn_abort (&txn);
    size_t rebuilt = 0;
    assert_int_equal (tsg_hub_case_index_upgrade (f->store, &rebuilt), TSG_OK);
    assert_int_equal (rebuilt, CASES);
    assert_int_equal (tsg_hub_case_index_upgrade (f->store, &rebuilt), TSG_OK);
    assert_int_equal (rebuilt, 0);
    tsg_txn_begin (f->store, &txn, false);
    view = tsg_hub_view_cases (&txn, &filter);
    assert_int_equal (json_integer_value (json_object_get (view, "count")), CASES);
    json_decref (view);
    filter.agency_type = "child";
    filter.sort = TSG_HUB_CASE_SORT_UPDATED_DESC;
    view = tsg_hub_view_cases (&txn, &filter);
    assert_true (json_integer_value (json_object_get (view, "count")) > 0);
    json_decref (view);
    tsg_txn_abort (&txn);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_filters_and_sorts, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_cursor_while_changing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_cursor_checks, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_withheld_referral, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_summary_fields, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rebuild_older_store, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
