/* test_hub_consent.c — the coordinator's consent register through whole batches: a grant is
 * checked, registered and fanned out; letters under a consent pass only when it covers the
 * recipient and every category; a revocation withholds at once every letter still waiting in
 * a mailbox under that consent (the entry removed, its record refused, a durable ERROR letter
 * in the sender's mailbox, the copy of a fan-out letter too), leaves delivered ones alone,
 * fans the revocation out, and every step is in the audit log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_hub_fixture.h"
#include "tsunagu/tsg_text.h"

/* The cases and consents these tests name. */
#define CASE_A    "2f7c6e5a-3d4b-4c8f-a01e-9b3c4d5e6f70"
#define CASE_B    "8a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d"
#define CONSENT_1 "c1000000-0000-4000-8000-000000000001"
#define CONSENT_2 "c2000000-0000-4000-8000-000000000002"

static int
s_setup (void **state)
{
    *state = hub_fixture_new ("hub-consent");
    return 0;
}

static int
s_teardown (void **state)
{
    hub_fixture_t *f = *state;
    tsg_hub_audit_t *audit = tsg_hub_intake_audit (f->intake);
    tsg_hub_intake_set_audit (f->intake, NULL);
    tsg_hub_audit_destroy (&audit);
    hub_fixture_destroy (&f);
    return 0;
}

/* Opens CASE_A with a referral (no personal data) from eldercare to each agency given. */
static void
s_open_case (hub_fixture_t *f, const char *to1, const char *to2)
{
    char rid[TSG_UUID_TEXT_SIZE] = "";
    tsg_hub_answer_t a =
        hub_referral (f, F_ELDER, to1, CASE_A, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, rid);
    hub_expect_stored (&a);
    if (to2) {
        rid[0] = '\0';
        a = hub_referral (f, F_ELDER, to2, CASE_A, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, rid);
        hub_expect_stored (&a);
    }
}

static void
s_expect_refusal (const tsg_hub_answer_t *a, Tsunagu__V1__ErrorCode code, const char *words)
{
    hub_expect_error (a, code);
    if (!strstr (a->detail, words))
        fail_msg ("detail \"%s\" does not say \"%s\"", a->detail, words);
}

/* A sealed body stand-in for agency. */
static Tsunagu__V1__SealedBody
s_body (const char *agency, uint8_t box[40])
{
    Tsunagu__V1__SealedBody body = TSUNAGU__V1__SEALED_BODY__INIT;
    memset (box, 0x77, 40);
    body.recipient = (char *) agency;
    body.box.data = box;
    body.box.len = 40;
    return body;
}

static const kit_basis_t s_under_1 = { .basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT,
                                       .consent_id = CONSENT_1,
                                       .categories = { "identity", "finances" } };

static void
test_grant_registers_and_fans_out (void **state)
{
    hub_fixture_t *f = *state;
    tsg_hub_audit_t *audit = kit_audit_open (f);
    s_open_case (f, POVERTY, NULL);
    uint8_t box[40], id[16];
    Tsunagu__V1__SealedBody body = s_body (POVERTY, box);
    Tsunagu__V1__SealedBody *bodies[1] = { &body };
    hub_grant_t g = { .case_id = CASE_A,
                      .consent_id = CONSENT_1,
                      .agencies = { POVERTY },
                      .types = { "child" },
                      .categories = { "identity", "finances" },
                      .valid_until = "2026-11-30",
                      .basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT,
                      .basis_consent = CONSENT_1,
                      .data_categories = { "identity" },
                      .bodies = bodies,
                      .n_bodies = 1 };
    tsg_hub_answer_t a = hub_consent_grant (f, F_ELDER, &g, id);
    hub_expect_stored (&a);

    tsg_hub_consent_t c = kit_consent (f, CONSENT_1);
    assert_int_equal (c.state, TSG_HUB_CONSENT_ACTIVE);
    assert_string_equal (c.case_id, CASE_A);
    assert_string_equal (c.granted_by, ELDER);
    assert_string_equal (c.obtained_by, ELDER);
    assert_string_equal (c.subject, "H001-1");
    assert_int_equal (c.n_agencies, 1);
    assert_string_equal (c.types[0], "child");
    assert_int_equal (c.categories, TSG_HUB_CAT_IDENTITY | TSG_HUB_CAT_FINANCES);
    uint64_t end = 0;
    assert_true (tsg_date_start_ms ("2026-12-01", &end));
    assert_int_equal (c.until_ms, end);
    assert_int_equal (c.granted_at_ms, T0);
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    assert_int_equal (tsg_hub_consents_next_end (&txn), end);
    tsg_txn_abort (&txn);
    assert_int_equal (hub_stat (f, "consents.state.active"), 1);

    /* Passed on, unchanged, to the other agency on the case; its receipt goes to eldercare. */
    assert_int_equal (kit_count (f, POVERTY, TSUNAGU__V1__KIND__KIND_CONSENT_GRANT, NULL), 1);
    assert_int_equal (kit_count (f, ELDER, TSUNAGU__V1__KIND__KIND_CONSENT_GRANT, NULL), 0);
    tsg_envelope_t env = kit_newest (f, POVERTY, TSUNAGU__V1__KIND__KIND_CONSENT_GRANT, NULL,
                                     tsg_keys_sign_public (f->keys[F_ELDER]));
    assert_string_equal (env.letter->header->consent->consent_id, CONSENT_1);
    tsg_envelope_clear (&env);
    assert_string_equal (kit_message (f, id, NULL).recipient, TSG_COORDINATOR_ID);
    assert_int_equal (kit_message (f, id, POVERTY).state, TSG_HUB_MSG_STORED);
    a = kit_ack (f, F_POVERTY, ELDER, id);
    assert_int_equal (a.type, TSG_HUB_ANSWER_NONE);
    assert_int_equal (kit_count (f, ELDER, TSUNAGU__V1__KIND__KIND_RECEIPT, NULL), 1);

    /* The read side: the case's consents, status and cover; no personal data to show. */
    json_t *list = kit_get (f, "/v1/consents", CASE_A);
    json_t *one = json_array_get (json_object_get (list, "consents"), 0);
    assert_string_equal (json_string_value (json_object_get (one, "status")), "active");
    assert_string_equal (json_string_value (json_object_get (one, "valid_until")), "2026-11-30");
    assert_int_equal (json_array_size (json_object_get (one, "categories")), 2);
    json_decref (list);
    json_t *view = kit_get (f, "/v1/cases/" CASE_A, NULL);
    assert_int_equal (json_array_size (json_object_get (view, "consents")), 1);
    json_decref (view);

    char *log = kit_audit_text (f, audit);
    assert_int_equal (kit_occurs (log, "\"event\":\"consent-granted\""), 1);
    assert_true (strstr (log, "\"consent_id\":\"" CONSENT_1 "\"") != NULL);
    assert_null (strstr (log, "H001-1")); /* the subject stays out of the audit */
    free (log);
}

static void
test_grant_refusals (void **state)
{
    hub_fixture_t *f = *state;
    s_open_case (f, POVERTY, DISABILITY);
    hub_grant_t g = { .case_id = CASE_A,
                      .consent_id = CONSENT_1,
                      .agencies = { POVERTY },
                      .categories = { "identity" } };
    /* A subject that is a name, or a romanized name with a birth date: personal data. */
    g.subject = "山田ハナ";
    s_expect_refusal ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_ELDER, &g, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_PERSONAL_DATA, "consent.subject looks like");
    g.subject = "yamada-hana-19430412";
    s_expect_refusal ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_ELDER, &g, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_PERSONAL_DATA, "consent.subject looks like");
    /* One that is no id at all. */
    g.subject = "H001 1";
    s_expect_refusal ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_ELDER, &g, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, "pseudonymous");
    g.subject = NULL;
    /* Cover, categories, dates, codes. */
    g.agencies[0] = "nobody-here";
    s_expect_refusal ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_ELDER, &g, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, "nobody-here");
    g.agencies[0] = NULL;
    s_expect_refusal ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_ELDER, &g, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, "at least one agency");
    g.agencies[0] = POVERTY;
    g.types[0] = "housing";
    s_expect_refusal ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_ELDER, &g, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, "cover_types");
    g.types[0] = NULL;
    g.categories[0] = NULL;
    s_expect_refusal ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_ELDER, &g, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, "data categories");
    g.categories[0] = "address";
    s_expect_refusal ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_ELDER, &g, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, "categories");
    g.categories[0] = "identity";
    g.valid_until = "2026-11-22"; /* yesterday in Japan */
    s_expect_refusal ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_ELDER, &g, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, "has already passed");
    g.valid_from = "2027-01-01";
    g.valid_until = "2026-12-31";
    s_expect_refusal ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_ELDER, &g, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, "is after");
    g.valid_from = g.valid_until = NULL;
    g.consent_id = "C1";
    s_expect_refusal ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_ELDER, &g, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, "consent_id");
    g.consent_id = CONSENT_1;
    /* Only an agency on the case registers its consents. */
    s_expect_refusal ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_CHILD, &g, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_NOT_CASE_MEMBER, "is not on case");
    /* Sealed bodies: only to agencies on the case, and only to those the basis covers. */
    uint8_t box_c[40], box_d[40];
    Tsunagu__V1__SealedBody to_child = s_body (CHILD, box_c);
    Tsunagu__V1__SealedBody to_disability = s_body (DISABILITY, box_d);
    Tsunagu__V1__SealedBody *bodies[1] = { &to_child };
    g.bodies = bodies;
    g.n_bodies = 1;
    g.basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT;
    g.basis_consent = CONSENT_1;
    g.data_categories[0] = "identity";
    s_expect_refusal ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_ELDER, &g, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, "not another agency");
    bodies[0] = &to_disability;
    s_expect_refusal ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_ELDER, &g, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
                      "consent " CONSENT_1 " does not cover " DISABILITY);
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    tsg_hub_consent_t c;
    assert_false (tsg_hub_consent_get (&txn, CONSENT_1, &c));
    tsg_txn_abort (&txn);

    /* Fine without the body; a second grant of the same id is refused. */
    g.n_bodies = 0;
    g.basis = 0;
    g.basis_consent = NULL;
    g.data_categories[0] = NULL;
    hub_expect_stored ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_ELDER, &g, NULL) });
    s_expect_refusal ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_ELDER, &g, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, "already exists");
    /* Consent is often given before the first referral: a case not opened yet is fine. */
    g.case_id = CASE_B;
    g.consent_id = CONSENT_2;
    hub_expect_stored ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_CHILD, &g, NULL) });
    assert_int_equal (kit_consent (f, CONSENT_2).state, TSG_HUB_CONSENT_ACTIVE);
    /* Consent letters go to the coordinator. */
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16];
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, ELDER,
                        POVERTY);
    header.consent_id = (char *) CONSENT_1;
    s_expect_refusal ((tsg_hub_answer_t[]){ hub_send (f, F_ELDER, &letter) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, "go to the coordinator");
}

static void
test_letters_under_consent (void **state)
{
    hub_fixture_t *f = *state;
    s_open_case (f, POVERTY, DISABILITY);
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_grant (f, F_ELDER, CASE_A, CONSENT_1, POVERTY, NULL, "child", NULL) });
    uint8_t id[16];
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_ELDER, POVERTY, CASE_A, &s_under_1, NULL, id, NULL, NULL) });
    assert_int_equal (kit_message (f, id, NULL).state, TSG_HUB_MSG_STORED);
    /* By type. */
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_ELDER, CHILD, CASE_A, &s_under_1, NULL, NULL, NULL, NULL) });
    /* Not the recipient, not the category, not the case, no consent. */
    s_expect_refusal ((tsg_hub_answer_t[]){ kit_referral (f, F_ELDER, DISABILITY, CASE_A,
                                                          &s_under_1, NULL, id, NULL, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
                      "consent " CONSENT_1 " does not cover " DISABILITY);
    tsg_hub_message_t msg = kit_message (f, id, NULL);
    assert_int_equal (msg.state, TSG_HUB_MSG_REFUSED);
    assert_int_equal (msg.error_code, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS);
    kit_basis_t health = s_under_1;
    health.categories[1] = "health";
    s_expect_refusal ((tsg_hub_answer_t[]){ kit_referral (f, F_ELDER, POVERTY, CASE_A, &health,
                                                          NULL, NULL, NULL, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
                      "does not cover category health");
    s_expect_refusal ((tsg_hub_answer_t[]){ kit_referral (f, F_ELDER, POVERTY, CASE_B, &s_under_1,
                                                          NULL, NULL, NULL, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
                      "belongs to case " CASE_A);
    kit_basis_t unnamed = s_under_1;
    unnamed.consent_id = NULL;
    s_expect_refusal ((tsg_hub_answer_t[]){ kit_referral (f, F_ELDER, POVERTY, CASE_A, &unnamed,
                                                          NULL, NULL, NULL, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
                      "no active consent named");
    /* A refused letter takes its number: the next one goes through. */
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_ELDER, POVERTY, CASE_A, &s_under_1, NULL, NULL, NULL, NULL) });
    assert_int_equal (kit_count (f, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, NULL), 3);
}

/* Mail waiting for an offline agency is withheld the moment the consent
 * it relies on is revoked, and its sender hears of it durably. */
static void
test_revoke_withholds_waiting_mail (void **state)
{
    hub_fixture_t *f = *state;
    tsg_hub_audit_t *audit = kit_audit_open (f);
    s_open_case (f, POVERTY, NULL);
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_grant (f, F_ELDER, CASE_A, CONSENT_1, POVERTY, NULL, NULL, NULL) });
    /* r1 is delivered; r2 waits; r3 waits too but needs no consent. */
    uint8_t r1[16], r2[16], r3[16];
    char rid2[TSG_UUID_TEXT_SIZE];
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_ELDER, POVERTY, CASE_A, &s_under_1, NULL, r1, NULL, NULL) });
    assert_int_equal (kit_ack (f, F_POVERTY, ELDER, r1).type, TSG_HUB_ANSWER_NONE);
    uint8_t *frame2 = NULL;
    size_t len2 = 0;
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_ELDER, POVERTY, CASE_A, &s_under_1, rid2, r2, &frame2, &len2) });
    kit_basis_t none = { 0 };
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_ELDER, POVERTY, CASE_A, &none, NULL, r3, NULL, NULL) });
    uint64_t entry2 = kit_message (f, r2, NULL).mailbox_seq;
    /* Waiting: the referral that opened the case, r2 and r3. */
    assert_int_equal (kit_count (f, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, NULL), 3);

    /* eldercare revokes (the person withdrew consent). */
    uint8_t revoke_id[16];
    tsg_hub_answer_t a = hub_consent_revoke (f, F_ELDER, CONSENT_1, CASE_A, NULL, 0, revoke_id);
    hub_expect_stored (&a);
    /* r2 is gone from poverty's mailbox; r3 stays; the revocation is there. */
    assert_int_equal (kit_count (f, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, NULL), 2);
    assert_int_equal (kit_message (f, r3, NULL).state, TSG_HUB_MSG_STORED);
    assert_int_equal (kit_count (f, POVERTY, TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, NULL), 1);
    tsg_hub_message_t msg = kit_message (f, r2, NULL);
    assert_int_equal (msg.state, TSG_HUB_MSG_REFUSED);
    assert_int_equal (msg.error_code, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS);
    assert_string_equal (msg.detail, "withheld: consent " CONSENT_1 " revoked");
    assert_int_equal (kit_message (f, r1, NULL).state, TSG_HUB_MSG_DELIVERED);
    /* The session forgets the withheld entry as if it had been acknowledged. */
    bool noted = false;
    for (size_t i = 0; i < tsg_hub_intake_acked_count (f->intake); i++) {
        uint64_t seq = 0;
        const char *who = tsg_hub_intake_acked (f->intake, i, &seq);
        noted |= strcmp (who, POVERTY) == 0 && seq == entry2;
    }
    assert_true (noted);

    /* eldercare is told, durably: a coordinator-signed ERROR in its mailbox, about r2 only. */
    assert_int_equal (kit_count (f, ELDER, TSUNAGU__V1__KIND__KIND_ERROR, r1), 0);
    assert_int_equal (kit_count (f, ELDER, TSUNAGU__V1__KIND__KIND_ERROR, NULL), 1);
    tsg_envelope_t env = kit_newest (f, ELDER, TSUNAGU__V1__KIND__KIND_ERROR, r2,
                                     tsg_keys_sign_public (f->coordinator));
    const Tsunagu__V1__ErrorReport *error = env.letter->error;
    assert_int_equal (error->code, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS);
    assert_true (error->final);
    assert_string_equal (error->detail, "withheld: consent " CONSENT_1 " revoked");
    assert_string_equal (env.letter->sender, TSG_COORDINATOR_ID);
    assert_string_equal (env.letter->recipient, ELDER);
    assert_string_equal (env.letter->header->consent_id, CONSENT_1);
    assert_string_equal (env.letter->header->case_id, CASE_A);
    uint8_t error_id[16];
    memcpy (error_id, env.letter->message_id.data, 16);
    tsg_envelope_clear (&env);
    assert_int_equal (hub_stat (f, "letters.withheld"), 1);

    /* A resend of r2 is answered as it now stands. */
    a = hub_batch (f, F_ELDER, frame2, len2);
    s_expect_refusal (&a, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
                      "withheld: consent " CONSENT_1 " revoked");
    free (frame2);
    /* poverty's late receipt for r2 (it had it before it went offline) changes nothing. */
    assert_int_equal (kit_ack (f, F_POVERTY, ELDER, r2).type, TSG_HUB_ANSWER_NONE);
    assert_int_equal (kit_count (f, ELDER, TSUNAGU__V1__KIND__KIND_RECEIPT, NULL), 1);
    /* eldercare acknowledges the news: gone, nothing relayed. */
    assert_int_equal (kit_ack (f, F_ELDER, TSG_COORDINATOR_ID, error_id).type, TSG_HUB_ANSWER_NONE);
    assert_int_equal (kit_count (f, ELDER, TSUNAGU__V1__KIND__KIND_ERROR, NULL), 0);

    /* From now on the consent is no basis; a second revocation is refused. */
    tsg_hub_consent_t c = kit_consent (f, CONSENT_1);
    assert_int_equal (c.state, TSG_HUB_CONSENT_REVOKED);
    assert_string_equal (c.ended_by, ELDER);
    s_expect_refusal ((tsg_hub_answer_t[]){ kit_referral (f, F_ELDER, POVERTY, CASE_A, &s_under_1,
                                                          NULL, NULL, NULL, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
                      "consent " CONSENT_1 " was revoked at 2026-11-23T03:00:00.000Z");
    s_expect_refusal (
        (tsg_hub_answer_t[]){ hub_consent_revoke (f, F_ELDER, CONSENT_1, NULL, NULL, 0, NULL) },
        TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, "already revoked");
    assert_int_equal (hub_stat (f, "consents.state.active"), 0);
    assert_int_equal (hub_stat (f, "consents.state.revoked"), 1);
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    assert_int_equal (tsg_hub_consents_next_end (&txn), UINT64_MAX);
    tsg_txn_abort (&txn);

    /* Every decision is in the audit log, chained. */
    char *log = kit_audit_text (f, audit);
    assert_int_equal (kit_occurs (log, "\"event\":\"consent-granted\""), 1);
    assert_int_equal (kit_occurs (log, "\"event\":\"consent-revoked\""), 1);
    assert_int_equal (kit_occurs (log, "\"event\":\"withheld\""), 1);
    assert_true (kit_occurs (log, "\"event\":\"allowed\"") >= 5);
    assert_true (strstr (log, "\"basis\":\"consent\"") != NULL);
    assert_true (kit_occurs (log, "\"event\":\"refused\"") >= 2);
    assert_true (strstr (log, "\"code\":\"missing_legal_basis\"") != NULL);
    free (log);
}

/* A case event's copy under a consent is withheld too, and only the copies that carry a body;
 * a fan-out naming an agency the consent does not cover is refused whole. */
static void
test_revoke_withholds_fan_out_copies (void **state)
{
    hub_fixture_t *f = *state;
    s_open_case (f, POVERTY, DISABILITY);
    char rid[TSG_UUID_TEXT_SIZE] = "";
    hub_expect_stored ((tsg_hub_answer_t[]){ hub_referral (
        f, F_ELDER, CHILD, CASE_A, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, rid) });
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_grant (f, F_ELDER, CASE_A, CONSENT_1, POVERTY, DISABILITY, NULL, NULL) });
    tsg_hub_case_t *c = hub_get_case (f, CASE_A);
    uint64_t version = c->version;
    free (c);
    uint8_t box_p[40], box_d[40], box_c[40];
    Tsunagu__V1__SealedBody to_p = s_body (POVERTY, box_p), to_d = s_body (DISABILITY, box_d),
                            to_c = s_body (CHILD, box_c);
    Tsunagu__V1__Note note = TSUNAGU__V1__NOTE__INIT;
    note.category = (char *) "visit";
    note.written_on = (char *) "2026-11-23";
    Tsunagu__V1__CaseEvent ev = TSUNAGU__V1__CASE_EVENT__INIT;
    ev.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_NOTE;
    ev.note = &note;
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16];
    char event_id[TSG_UUID_TEXT_SIZE];
    tsg_uuid_new (event_id);
    ev.event_id = event_id;
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_CASE_EVENT, ELDER,
                        TSG_COORDINATOR_ID);
    header.case_id = (char *) CASE_A;
    header.base_version = version;
    header.case_event = &ev;
    kit_basis (&header, &s_under_1);
    /* child is on the case but not covered: the whole event is refused, naming it. */
    Tsunagu__V1__SealedBody *three[3] = { &to_p, &to_d, &to_c };
    letter.sealed_bodies = three;
    letter.n_sealed_bodies = 3;
    s_expect_refusal ((tsg_hub_answer_t[]){ hub_send (f, F_ELDER, &letter) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "does not cover " CHILD);
    /* Sealed to the covered ones only: child gets the event without a body. */
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_CASE_EVENT, ELDER,
                        TSG_COORDINATOR_ID);
    header.case_id = (char *) CASE_A;
    header.base_version = version;
    header.case_event = &ev;
    kit_basis (&header, &s_under_1);
    letter.sealed_bodies = three;
    letter.n_sealed_bodies = 2;
    hub_expect_stored ((tsg_hub_answer_t[]){ hub_send (f, F_ELDER, &letter) });
    /* disability takes its copy at once; poverty and child are offline. */
    assert_int_equal (kit_ack (f, F_DISABILITY, ELDER, id).type, TSG_HUB_ANSWER_NONE);

    hub_expect_stored ((tsg_hub_answer_t[]){
        hub_consent_revoke (f, F_POVERTY, CONSENT_1, CASE_A, NULL, 0, NULL) });
    /* poverty's copy (with a body) is withheld; child's (without) still waits. */
    assert_int_equal (kit_count (f, POVERTY, TSUNAGU__V1__KIND__KIND_CASE_EVENT, NULL), 0);
    assert_int_equal (kit_count (f, CHILD, TSUNAGU__V1__KIND__KIND_CASE_EVENT, NULL), 1);
    tsg_hub_message_t copy = kit_message (f, id, POVERTY);
    assert_int_equal (copy.state, TSG_HUB_MSG_REFUSED);
    assert_int_equal (kit_message (f, id, DISABILITY).state, TSG_HUB_MSG_DELIVERED);
    tsg_envelope_t env = kit_newest (f, ELDER, TSUNAGU__V1__KIND__KIND_ERROR, id,
                                     tsg_keys_sign_public (f->coordinator));
    assert_string_equal (env.letter->error->detail,
                         "withheld: consent " CONSENT_1 " revoked (the copy for " POVERTY ")");
    tsg_envelope_clear (&env);
    /* Everyone else on the case (the granter included) gets the revocation; not its sender. */
    assert_int_equal (kit_count (f, ELDER, TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, NULL), 1);
    assert_int_equal (kit_count (f, DISABILITY, TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, NULL), 1);
    assert_int_equal (kit_count (f, CHILD, TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, NULL), 1);
    assert_int_equal (kit_count (f, POVERTY, TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, NULL), 0);
    assert_int_equal (kit_consent (f, CONSENT_1).state, TSG_HUB_CONSENT_REVOKED);
}

static void
test_revoke_permissions (void **state)
{
    hub_fixture_t *f = *state;
    s_open_case (f, POVERTY, NULL);
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_grant (f, F_ELDER, CASE_A, CONSENT_1, POVERTY, NULL, NULL, NULL) });
    /* Neither its granter nor on its case. */
    s_expect_refusal (
        (tsg_hub_answer_t[]){ hub_consent_revoke (f, F_CHILD, CONSENT_1, NULL, NULL, 0, NULL) },
        TSUNAGU__V1__ERROR_CODE__ERROR_NOT_CASE_MEMBER, "neither granted");
    s_expect_refusal (
        (tsg_hub_answer_t[]){ hub_consent_revoke (f, F_ELDER, CONSENT_2, NULL, NULL, 0, NULL) },
        TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, "not in the register");
    s_expect_refusal (
        (tsg_hub_answer_t[]){ hub_consent_revoke (f, F_ELDER, CONSENT_1, CASE_B, NULL, 0, NULL) },
        TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, "belongs to case");
    s_expect_refusal (
        (tsg_hub_answer_t[]){ hub_consent_revoke (f, F_ELDER, "c1", NULL, NULL, 0, NULL) },
        TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, "consent_id");
    /* Any agency on its case may pass the person's withdrawal on. */
    hub_expect_stored ((tsg_hub_answer_t[]){
        hub_consent_revoke (f, F_POVERTY, CONSENT_1, CASE_A, NULL, 0, NULL) });
    /* The granter of a consent for a case not opened yet may end it. */
    hub_grant_t g = { .case_id = CASE_B,
                      .consent_id = CONSENT_2,
                      .types = { "poverty" },
                      .categories = { "identity" } };
    hub_expect_stored ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_CHILD, &g, NULL) });
    hub_expect_stored (
        (tsg_hub_answer_t[]){ hub_consent_revoke (f, F_CHILD, CONSENT_2, NULL, NULL, 0, NULL) });
}

/* A revocation's own reason may travel to the agencies the consent covered. */
static void
test_revoke_with_reason (void **state)
{
    hub_fixture_t *f = *state;
    s_open_case (f, POVERTY, DISABILITY);
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_grant (f, F_ELDER, CASE_A, CONSENT_1, POVERTY, NULL, NULL, NULL) });
    uint8_t box_p[40], box_d[40];
    Tsunagu__V1__SealedBody to_p = s_body (POVERTY, box_p), to_d = s_body (DISABILITY, box_d);
    Tsunagu__V1__SealedBody *bodies[2] = { &to_p, &to_d };
    /* Not to disability, which the consent never covered. */
    s_expect_refusal (
        (tsg_hub_answer_t[]){ hub_consent_revoke (f, F_ELDER, CONSENT_1, CASE_A, bodies, 2, NULL) },
        TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "does not cover " DISABILITY);
    hub_expect_stored ((tsg_hub_answer_t[]){
        hub_consent_revoke (f, F_ELDER, CONSENT_1, CASE_A, bodies, 1, NULL) });
    tsg_envelope_t env = kit_newest (f, POVERTY, TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, NULL,
                                     tsg_keys_sign_public (f->keys[F_ELDER]));
    assert_int_equal (env.letter->n_sealed_bodies, 1);
    tsg_envelope_clear (&env);
}

int
main (void)
{
    log_init ("test_hub_consent", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_grant_registers_and_fans_out, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_grant_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_letters_under_consent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_revoke_withholds_waiting_mail, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_revoke_withholds_fan_out_copies, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_revoke_permissions, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_revoke_with_reason, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
