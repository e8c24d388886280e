/* test_hub_succession.c — agency succession (組織改編) at the coordinator.  In the model, apart
 * from storage: the successor takes the previous agency's place on a case and its plan roles,
 * the meeting rosters stay as held, nothing changes for a case the previous agency is not on; a
 * consent needs renewal exactly when it names the previous agency by id and does not cover the
 * successor (by id or type), and never once it has ended.  Through the control request on a
 * hub fixture: an agency cannot send a succession event; "agency-succeed" moves the case, flags
 * the consent, withholds the previous agency's mailbox (its senders get ERRORs, its successor
 * nothing of it) and revokes it; an illegal one changes nothing. */
#include "test_hub_fixture.h"

#include "coordinator/daemon/control.h"
#include "coordinator/model/cases.h"
#include "coordinator/model/consents.h"
#include "coordinator/model/store.h"

#define OLD "poverty-chuo"
#define NEW "poverty-minami"

static void
s_case (tsg_hub_case_t *c, const char *const agencies[], size_t n)
{
    memset (c, 0, sizeof *c);
    snprintf (c->id, sizeof c->id, "2f7c6e5a-3d4b-4c8f-a01e-9b3c4d5e6f70");
    c->version = 3;
    for (size_t i = 0; i < n; i++)
        snprintf (c->agencies[i], sizeof c->agencies[i], "%s", agencies[i]);
    c->n_agencies = n;
}

/* The successor takes the previous agency's place in the list, and its roles. */
static void
test_successor_takes_place_and_roles (void **state)
{
    (void) state;
    const char *const agencies[] = { "eldercare-chuo", OLD, "child-chuo" };
    tsg_hub_case_t c;
    s_case (&c, agencies, 3);
    snprintf (c.roles[0].agency, sizeof c.roles[0].agency, "eldercare-chuo");
    snprintf (c.roles[0].role, sizeof c.roles[0].role, "見守り");
    snprintf (c.roles[1].agency, sizeof c.roles[1].agency, OLD);
    snprintf (c.roles[1].role, sizeof c.roles[1].role, "家計改善");
    c.n_roles = 2;
    snprintf (c.roster[0], sizeof c.roster[0], OLD);
    c.n_roster = 1;
    assert_true (tsg_hub_case_succeed (&c, OLD, NEW));
    assert_int_equal (c.n_agencies, 3);
    assert_string_equal (c.agencies[0], "eldercare-chuo");
    assert_string_equal (c.agencies[1], NEW);
    assert_string_equal (c.agencies[2], "child-chuo");
    assert_false (tsg_hub_case_has_agency (&c, OLD));
    assert_string_equal (c.roles[0].agency, "eldercare-chuo");
    assert_string_equal (c.roles[1].agency, NEW);
    assert_string_equal (c.roles[1].role, "家計改善");
    /* The roster records who attended: NEW did not. */
    assert_int_equal (c.n_roster, 1);
    assert_string_equal (c.roster[0], OLD);
    assert_int_equal (c.version, 3); /* the version is the caller's */
}

/* A successor on the case already: the previous agency's entry goes, the order stays. */
static void
test_successor_already_on_case (void **state)
{
    (void) state;
    const char *const agencies[] = { NEW, "eldercare-chuo", OLD, "child-chuo" };
    tsg_hub_case_t c;
    s_case (&c, agencies, 4);
    assert_true (tsg_hub_case_succeed (&c, OLD, NEW));
    assert_int_equal (c.n_agencies, 3);
    assert_string_equal (c.agencies[0], NEW);
    assert_string_equal (c.agencies[1], "eldercare-chuo");
    assert_string_equal (c.agencies[2], "child-chuo");
}

/* Not on the case, or the same agency: false, nothing changed. */
static void
test_nothing_to_succeed (void **state)
{
    (void) state;
    const char *const agencies[] = { "eldercare-chuo", OLD };
    tsg_hub_case_t c, before;
    s_case (&c, agencies, 2);
    before = c;
    assert_false (tsg_hub_case_succeed (&c, "disability-chuo", NEW));
    assert_false (tsg_hub_case_succeed (&c, OLD, OLD));
    assert_memory_equal (&c, &before, sizeof c);
}

static void
s_consent (tsg_hub_consent_t *c, const char *const agencies[], size_t n, const char *type)
{
    memset (c, 0, sizeof *c);
    c->state = TSG_HUB_CONSENT_ACTIVE;
    for (size_t i = 0; i < n; i++)
        snprintf (c->agencies[i], sizeof c->agencies[i], "%s", agencies[i]);
    c->n_agencies = n;
    if (type) {
        snprintf (c->types[0], sizeof c->types[0], "%s", type);
        c->n_types = 1;
    }
}

/* Renewal: named by id and NEW not covered; by type NEW is covered as OLD was. */
static void
test_consent_renewal (void **state)
{
    (void) state;
    tsg_hub_consent_t c;
    const char *const by_id[] = { "eldercare-chuo", OLD };
    s_consent (&c, by_id, 2, NULL);
    assert_true (tsg_hub_consent_needs_renewal (&c, OLD, NEW, "poverty"));
    s_consent (&c, by_id, 2, "poverty"); /* ... and by type: NEW is covered */
    assert_false (tsg_hub_consent_needs_renewal (&c, OLD, NEW, "poverty"));
    s_consent (&c, by_id, 2, "disability"); /* another type covers nothing of NEW */
    assert_true (tsg_hub_consent_needs_renewal (&c, OLD, NEW, "poverty"));
    const char *const both[] = { OLD, NEW };
    s_consent (&c, both, 2, NULL); /* names NEW already */
    assert_false (tsg_hub_consent_needs_renewal (&c, OLD, NEW, "poverty"));
    const char *const other[] = { "eldercare-chuo" };
    s_consent (&c, other, 1, "poverty"); /* OLD only by type: unaffected */
    assert_false (tsg_hub_consent_needs_renewal (&c, OLD, NEW, "poverty"));
    s_consent (&c, by_id, 2, NULL);
    c.state = TSG_HUB_CONSENT_REVOKED; /* ended: nothing to renew */
    assert_false (tsg_hub_consent_needs_renewal (&c, OLD, NEW, "poverty"));
    c.state = TSG_HUB_CONSENT_EXPIRED;
    assert_false (tsg_hub_consent_needs_renewal (&c, OLD, NEW, "poverty"));
}

#define NEW_ID  "poverty-minami"
#define CASE_A  "2f7c6e5a-3d4b-4c8f-a01e-9b3c4d5e6f70"
#define CONSENT "7d1e2f30-4a5b-4c6d-8e7f-901a2b3c4d5e"

enum { S_ELDER, S_OLD, S_NEW, S_DISABILITY };

static int
s_setup (void **state)
{
    static const hub_agency_t agencies[] = {
        { ELDER, "eldercare", 0, 0 },
        { POVERTY, "poverty", 0, 0 },
        { NEW_ID, "poverty", 0, 0 },
        { DISABILITY, "disability", 0, 0 },
    };
    hub_fixture_options_t options = { .name = "hub-succession",
                                      .agencies = agencies,
                                      .n_agencies = 4 };
    *state = hub_fixture_new_with (&options);
    return 0;
}

static int
s_teardown (void **state)
{
    hub_fixture_t *f = *state;
    hub_fixture_destroy (&f);
    return 0;
}

static json_t *
s_control (hub_fixture_t *f, const char *request)
{
    tsg_hub_control_env_t env = {
        .store = f->store, .intake = f->intake, .keys = f->coordinator, .directory = f->directory
    };
    char *reply = tsg_hub_control_answer (&env, request, strlen (request));
    assert_non_null (reply);
    json_t *root = json_loads (reply, 0, NULL);
    assert_non_null (root);
    free (reply);
    return root;
}

static Tsunagu__V1__AgencyStatus
s_status (hub_fixture_t *f, const char *id, char *successor, size_t size)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    Tsunagu__V1__AgencyEntry *e = tsg_registry_get (&txn, id);
    tsg_txn_abort (&txn);
    assert_non_null (e);
    Tsunagu__V1__AgencyStatus status = e->status;
    snprintf (successor, size, "%s", e->succeeded_by ? e->succeeded_by : "");
    tsunagu__v1__agency_entry__free_unpacked (e, NULL);
    return status;
}

/* The case of ELDER and OLD with a consent naming OLD by id, and two referrals waiting in
 * OLD's mailbox; returns the second referral's id in rid. */
static void
s_world (hub_fixture_t *f, char rid[TSG_UUID_TEXT_SIZE])
{
    char first[TSG_UUID_TEXT_SIZE] = "";
    tsg_hub_answer_t a = hub_referral (f, S_ELDER, POVERTY, CASE_A,
                                       TSUNAGU__V1__URGENCY__URGENCY_NORMAL, "8050", first);
    hub_expect_stored (&a);
    hub_grant_t grant = { .case_id = CASE_A,
                          .consent_id = CONSENT,
                          .agencies = { ELDER, POVERTY },
                          .categories = { "identity", "family" } };
    a = hub_consent_grant (f, S_ELDER, &grant, NULL);
    hub_expect_stored (&a);
    rid[0] = '\0'; /* made up by the fixture */
    a = hub_referral (f, S_ELDER, POVERTY, CASE_A, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, "8050",
                      rid);
    hub_expect_stored (&a);
    assert_int_equal (hub_mailbox_kind (f, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL), 2);
}

/* A succession comes from the coordinator only: an agency's is refused, nothing changes. */
/* CASE_A's version as stored. */
static uint64_t
s_version (hub_fixture_t *f)
{
    tsg_hub_case_t *c = hub_get_case (f, CASE_A);
    uint64_t version = c->version;
    free (c);
    return version;
}

static void
test_agency_cannot_send_succession (void **state)
{
    hub_fixture_t *f = *state;
    char rid[TSG_UUID_TEXT_SIZE];
    s_world (f, rid);
    uint64_t version = s_version (f);
    Tsunagu__V1__Succession su = TSUNAGU__V1__SUCCESSION__INIT;
    su.previous_agency = (char *) POVERTY;
    su.agency = (char *) NEW_ID;
    su.effective_on = (char *) "2026-12-01";
    Tsunagu__V1__CaseEvent ev = TSUNAGU__V1__CASE_EVENT__INIT;
    ev.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_SUCCESSION;
    ev.succession = &su;
    tsg_hub_answer_t a = hub_case_event (f, S_ELDER, CASE_A, version, &ev, false, NULL, 0, NULL);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED);
    tsg_hub_case_t *c = hub_get_case (f, CASE_A);
    assert_int_equal (c->version, version);
    assert_true (tsg_hub_case_has_agency (c, POVERTY));
    assert_false (tsg_hub_case_has_agency (c, NEW_ID));
    free (c);
}

static void
s_refused (hub_fixture_t *f, const char *request, const char *code)
{
    json_t *reply = s_control (f, request);
    assert_true (json_is_false (json_object_get (reply, "ok")));
    const char *error = json_string_value (json_object_get (reply, "error"));
    if (!error || strcmp (error, code) != 0)
        fail_msg ("expected %s, got %s: %s", code, error ? error : "nothing",
                  json_string_value (json_object_get (reply, "message")));
    json_decref (reply);
}

#define SUCCEED(old, new)                                                                          \
    "{\"command\": \"agency-succeed\", \"id\": \"" old                                             \
    "\", \"successor\": \"" new "\", \"actor\": \"admin\", \"reason\": \"統合\"}"

/* agency-succeed: the case moves, the consent is flagged, OLD's mail is withheld and its
 * sender told, NEW gets the event and the update but nothing of OLD's mail, OLD is revoked. */
static void
test_succeed_over_control (void **state)
{
    hub_fixture_t *f = *state;
    char rid[TSG_UUID_TEXT_SIZE], successor[TSG_ID_MAX + 1];
    s_world (f, rid);
    uint64_t version = s_version (f);
    /* Refused, nothing changed: another type, the same agency, an unknown one. */
    s_refused (f, SUCCEED (POVERTY, DISABILITY), "type_mismatch");
    s_refused (f, SUCCEED (POVERTY, POVERTY), "bad_request");
    s_refused (f, SUCCEED (POVERTY, "poverty-nowhere"), "unknown_agency");
    assert_int_equal (s_version (f), version);
    assert_int_equal (hub_mailbox_kind (f, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL), 2);
    assert_int_equal (s_status (f, POVERTY, successor, sizeof successor),
                      TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE);

    size_t waiting = hub_mailbox_kind (f, POVERTY, 0);
    json_t *reply = s_control (f, SUCCEED (POVERTY, NEW_ID));
    if (!json_is_true (json_object_get (reply, "ok")))
        fail_msg ("refused: %s", json_string_value (json_object_get (reply, "message")));
    assert_int_equal (json_integer_value (json_object_get (reply, "withheld")), waiting);
    assert_int_equal (json_array_size (json_object_get (reply, "cases")), 1);
    json_decref (reply);

    tsg_hub_case_t *c = hub_get_case (f, CASE_A);
    assert_int_equal (c->version, version + 1);
    assert_false (tsg_hub_case_has_agency (c, POVERTY));
    assert_string_equal (c->agencies[1], NEW_ID);
    assert_string_equal (c->last_event_type, "succession");
    free (c);
    /* Nothing waits for OLD; its sender was told of both referrals and its consent letter's
     * copy; NEW holds the event and the update, and no referral. */
    assert_int_equal (hub_mailbox_kind (f, POVERTY, 0), 0);
    assert_int_equal (hub_mailbox_kind (f, ELDER, TSUNAGU__V1__KIND__KIND_ERROR), 3);
    assert_int_equal (hub_mailbox_kind (f, NEW_ID, TSUNAGU__V1__KIND__KIND_REFERRAL), 0);
    assert_int_equal (hub_mailbox_kind (f, NEW_ID, TSUNAGU__V1__KIND__KIND_CASE_EVENT), 1);
    assert_true (hub_mailbox_kind (f, NEW_ID, TSUNAGU__V1__KIND__KIND_CASE_UPDATE) >= 1);
    tsg_hub_referral_t ref = hub_get_referral (f, rid);
    assert_true (ref.withheld_at_ms > 0);
    assert_string_equal (ref.withheld_reason, "succession");
    tsg_txn_t txn;
    tsg_hub_consent_t consent;
    tsg_txn_begin (f->store, &txn, false);
    assert_true (tsg_hub_consent_get (&txn, CONSENT, &consent));
    tsg_txn_abort (&txn);
    assert_true (consent.renewal_at_ms > 0);
    assert_string_equal (consent.renewal_previous, POVERTY);
    assert_string_equal (consent.renewal_agency, NEW_ID);
    assert_int_equal (consent.state, TSG_HUB_CONSENT_ACTIVE);
    assert_int_equal (s_status (f, POVERTY, successor, sizeof successor),
                      TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED);
    assert_string_equal (successor, NEW_ID);
    /* Revoked is final: a second succession is refused. */
    s_refused (f, SUCCEED (POVERTY, NEW_ID), "revoked");
}

int
main (void)
{
    log_init ("test_hub_succession", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_successor_takes_place_and_roles),
        cmocka_unit_test (test_successor_already_on_case),
        cmocka_unit_test (test_nothing_to_succeed),
        cmocka_unit_test (test_consent_renewal),
        cmocka_unit_test_setup_teardown (test_agency_cannot_send_succession, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_succeed_over_control, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
