/* test_hub_retention.c — the retention soak: 40 simulated days of referrals and their
 * receipts through the coordinator's intake with an injected clock, the sweep running every
 * simulated hour, as the hub runs it every second.  What the coordinator keeps only to move
 * letters (message ids, mailboxes) levels off: the same at day 10 as at day 40.  (The case,
 * referral and timeline records are the municipality's records and are kept.) */
#include "test_hub_fixture.h"

#include "coordinator/model/store.h"

#define DAYS_FIRST 10
#define DAYS_LAST  40
#define PER_DAY    120 /* referrals a day, spread over its hours */
#define DEDUP_DAYS 7   /* the window for the soak; the default is 30 (limits.h) */
#define CASES      12  /* referrals go to these cases in turn */

static hub_fixture_t *s_f;

static int
s_setup (void **state)
{
    (void) state;
    s_f = hub_fixture_new ("hub-retention");
    tsg_hub_limits_t limits = tsg_hub_limits_default ();
    limits.dedup_ms = (uint64_t) DEDUP_DAYS * DAY_MS;
    tsg_hub_intake_set_limits (s_f->intake, &limits);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    hub_fixture_destroy (&s_f);
    return 0;
}

/* A DELIVERED receipt from `from` about letter id, addressed to its sender `to`. */
static tsg_hub_answer_t
s_ack (hub_fixture_t *f, int from, const char *to, const uint8_t id[16])
{
    tsg_letter_t letter;
    uint8_t mid[16];
    uint8_t about[16];
    memcpy (about, id, 16);
    Tsunagu__V1__Receipt receipt = TSUNAGU__V1__RECEIPT__INIT;
    tsg_letter_prepare (&letter, NULL, mid, TSUNAGU__V1__KIND__KIND_RECEIPT,
                        tsg_keys_id (f->keys[from]), to);
    receipt.type = TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED;
    receipt.about_message_id.data = about;
    receipt.about_message_id.len = 16;
    letter.receipt = &receipt;
    uint8_t *frame = NULL;
    size_t len = 0;
    assert_int_equal (tsg_envelope_seal (&letter, f->keys[from], &frame, &len), TSG_OK);
    tsg_hub_answer_t answer = hub_batch (f, from, frame, len);
    free (frame);
    return answer;
}

/* Collects the ids in agency's mailbox. */
typedef struct {
    uint8_t ids[64][16]; /* message ids of the entries */
    size_t count;        /* how many */
} s_ids_t;

static bool
s_collect (void *arg, uint64_t seq, const uint8_t *envelope, size_t len)
{
    (void) seq;
    s_ids_t *out = arg;
    tsg_envelope_t env = { 0 };
    if (out->count < 64 && tsg_envelope_decode (envelope, len, &env, NULL) == TSG_OK) {
        memcpy (out->ids[out->count++], env.letter->message_id.data, 16);
        tsg_envelope_clear (&env);
    }
    return true;
}

/* Acknowledges everything in agency's mailbox (what its daemon does when it takes its mail),
 * its receipts going back to sender. */
static void
s_drain (hub_fixture_t *f, int agency, const char *sender)
{
    s_ids_t ids = { .count = 0 };
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    tsg_hub_mailbox_scan (&txn, tsg_keys_id (f->keys[agency]), 0, s_collect, &ids);
    tsg_txn_abort (&txn);
    for (size_t i = 0; i < ids.count; i++)
        s_ack (f, agency, sender, ids.ids[i]);
}

/* Entries and bytes (pages in use) of the tables retention governs. */
typedef struct {
    size_t messages; /* MESSAGES records */
    size_t mailbox;  /* MAILBOX entries */
    size_t bytes;    /* pages of both, in bytes */
} s_size_t;

static s_size_t
s_size (hub_fixture_t *f)
{
    s_size_t out = { 0, 0, 0 };
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    int dbs[2] = { TSG_HUB_DB_MESSAGES, TSG_HUB_DB_MAILBOX };
    for (int i = 0; i < 2; i++) {
        MDB_stat st;
        assert_int_equal (mdb_stat (txn.txn, tsg_store_db (f->store, dbs[i]), &st), 0);
        out.bytes += (st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages) * st.ms_psize;
        if (i == 0)
            out.messages = st.ms_entries;
        else
            out.mailbox = st.ms_entries;
    }
    tsg_txn_abort (&txn);
    return out;
}

/* One simulated day: PER_DAY referrals spread over 24 hours, each delivered (acknowledged)
 * within the hour, its receipt taken by the sender, and a sweep pass every hour. */
static void
s_day (hub_fixture_t *f, char cases[CASES][TSG_UUID_TEXT_SIZE], unsigned *next)
{
    for (int hour = 0; hour < 24; hour++) {
        for (int i = 0; i < PER_DAY / 24 + (hour < PER_DAY % 24); i++) {
            char referral[TSG_UUID_TEXT_SIZE] = "";
            tsg_hub_answer_t a =
                hub_referral (f, F_ELDER, POVERTY, cases[(*next)++ % CASES],
                              TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, referral);
            hub_expect_stored (&a);
        }
        s_drain (f, F_POVERTY, ELDER);
        s_drain (f, F_ELDER, POVERTY); /* the relayed receipts */
        hub_now += HOUR_MS;
        while (tsg_hub_intake_prune (f->intake, f->store) > 0)
            ;
    }
}

static void
test_store_levels_off (void **state)
{
    (void) state;
    hub_fixture_t *f = s_f;
    char cases[CASES][TSG_UUID_TEXT_SIZE];
    for (int i = 0; i < CASES; i++)
        tsg_uuid_new (cases[i]);
    unsigned next = 0;
    s_size_t at_first = { 0, 0, 0 };
    for (int day = 1; day <= DAYS_LAST; day++) {
        s_day (f, cases, &next);
        if (day == DAYS_FIRST)
            at_first = s_size (f);
    }
    s_size_t at_last = s_size (f);
    fprintf (stderr,
             "retention soak: day %d: %zu message records, %zu mailbox entries, %zu bytes; "
             "day %d: %zu, %zu, %zu bytes; %llu pruned in all\n",
             DAYS_FIRST, at_first.messages, at_first.mailbox, at_first.bytes, DAYS_LAST,
             at_last.messages, at_last.mailbox, at_last.bytes,
             (unsigned long long) hub_stat (f, "retention.pruned"));
    /* Everything was delivered: mailboxes are empty. */
    assert_int_equal (at_first.mailbox, 0);
    assert_int_equal (at_last.mailbox, 0);
    /* Each referral leaves two message records (the referral, its relayed receipt) for the
     * dedup window, and no more: the same number at day 10 as at day 40. */
    assert_int_equal (at_last.messages, at_first.messages);
    assert_true (at_last.messages <= 2 * PER_DAY * (DEDUP_DAYS + 1));
    assert_true (at_last.messages >= 2 * PER_DAY * DEDUP_DAYS);
    /* The pages they take level off too, within the give of a B-tree whose random keys come
     * and go (pages half full after deletes): far from the fourfold growth without pruning. */
    size_t low = at_first.bytes < at_last.bytes ? at_first.bytes : at_last.bytes;
    size_t high = at_first.bytes < at_last.bytes ? at_last.bytes : at_first.bytes;
    assert_true (high - low <= low / 4 + 4 * 4096);
    /* Without pruning the records would have grown fourfold. */
    assert_true (hub_stat (f, "retention.pruned") >= 2 * PER_DAY * (DAYS_LAST - DEDUP_DAYS - 1));
}

/* A letter older than the window is refused (its id may have been forgotten), and a record of
 * a letter still waiting in a mailbox is never pruned, however old. */
static void
test_window_and_waiting_mail (void **state)
{
    (void) state;
    hub_fixture_t *f = s_f;
    char case_id[TSG_UUID_TEXT_SIZE], referral[TSG_UUID_TEXT_SIZE] = "";
    tsg_uuid_new (case_id);
    tsg_hub_answer_t a = hub_referral (f, F_ELDER, POVERTY, case_id,
                                       TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, referral);
    hub_expect_stored (&a);
    uint8_t waiting[16];
    memcpy (waiting, a.about, 16);
    hub_now += (uint64_t) (DEDUP_DAYS + 3) * DAY_MS;
    while (tsg_hub_intake_prune (f->intake, f->store) > 0)
        ;
    tsg_hub_message_t msg;
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    assert_true (tsg_hub_message_get (&txn, waiting, &msg));
    assert_int_equal (msg.state, TSG_HUB_MSG_STORED);
    tsg_txn_abort (&txn);
    /* Delivered now: its record goes once the window has passed again. */
    s_drain (f, F_POVERTY, ELDER);
    hub_now += (uint64_t) (DEDUP_DAYS + 1) * DAY_MS;
    while (tsg_hub_intake_prune (f->intake, f->store) > 0)
        ;
    tsg_txn_begin (f->store, &txn, false);
    assert_false (tsg_hub_message_get (&txn, waiting, &msg));
    tsg_txn_abort (&txn);

    /* A letter written before the window began is refused: clock_skew, final. */
    uint64_t now = hub_now;
    hub_now = now - (uint64_t) (DEDUP_DAYS + 1) * DAY_MS;
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16];
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_REFERRAL, ELDER, POVERTY);
    hub_now = now;
    char old_referral[TSG_UUID_TEXT_SIZE];
    tsg_uuid_new (old_referral);
    header.referral_id = old_referral;
    header.case_id = case_id;
    header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    a = hub_send (f, F_ELDER, &letter);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_CLOCK_SKEW);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_store_levels_off, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_window_and_waiting_mail, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
