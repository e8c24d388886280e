/* test_hub_cases.c — cases at the coordinator: creation from the first referral, multi-agency at
 * the second agency, case events with versions (stale and illegal ones refused, state
 * unchanged), meetings, plans, closing and reopening, fan-out with one delivery per recipient,
 * CASE_UPDATE letters, the coordinator's own events over the control protocol, listings by
 * index, the counters, and a byte search of the store for a household's personal data. */
#include "test_hub_fixture.h"

#include <jansson.h>
#include <sys/stat.h>
#include <zmq.h>

#include "coordinator/daemon/control.h"
#include "coordinator/model/stats.h"
#include "coordinator/model/timeline.h"
#include "coordinator/model/views.h"

#define CASE_A "2f7c6e5a-3d4b-4c8f-a01e-9b3c4d5e6f70"
#define CASE_B "3a8d7f6b-4e5c-4d9a-b12f-0c4d5e6f7a81"
#define CASE_C "4b9e8a7c-5f6d-4eab-823a-1d5e6f7a8b92"

static int
s_setup (void **state)
{
    *state = hub_fixture_new ("hub-cases");
    return 0;
}

static int
s_teardown (void **state)
{
    hub_fixture_t *f = *state;
    hub_fixture_destroy (&f);
    return 0;
}

/* A referral that must be stored. */
static void
s_refer (hub_fixture_t *f, int from, const char *to, const char *case_id, const char *tag)
{
    char rid[TSG_UUID_TEXT_SIZE] = "";
    tsg_hub_answer_t a =
        hub_referral (f, from, to, case_id, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, tag, rid);
    hub_expect_stored (&a);
}

/* The case's timeline types, joined by spaces, into out. */
static bool
s_type_one (void *arg, const tsg_hub_event_t *ev)
{
    char *out = arg;
    if (*out)
        strcat (out, " ");
    strcat (out, tsg_hub_event_type_name (ev->type));
    return true;
}

static void
s_timeline (hub_fixture_t *f, const char *case_id, char *out)
{
    out[0] = '\0';
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    tsg_hub_timeline_scan (&txn, case_id, 1, s_type_one, out);
    tsg_txn_abort (&txn);
}

/* The newest letter of kind in agency's mailbox, decoded and verified (caller clears). */
typedef struct {
    Tsunagu__V1__Kind kind; /* wanted */
    uint8_t *raw;           /* a copy of the newest such envelope */
    size_t len;             /* its length */
} s_find_t;

static bool
s_find_one (void *arg, uint64_t seq, const uint8_t *envelope, size_t len)
{
    (void) seq;
    s_find_t *find = arg;
    tsg_envelope_t env;
    if (tsg_envelope_decode (envelope, len, &env, NULL) != TSG_OK)
        return true;
    if (env.letter->kind == find->kind) {
        free (find->raw);
        find->raw = malloc (len);
        assert_non_null (find->raw);
        memcpy (find->raw, envelope, len);
        find->len = len;
    }
    tsg_envelope_clear (&env);
    return true;
}

static tsg_envelope_t
s_newest (hub_fixture_t *f, const char *agency, Tsunagu__V1__Kind kind, const uint8_t *signer)
{
    s_find_t find = { kind, NULL, 0 };
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    tsg_hub_mailbox_scan (&txn, agency, 0, s_find_one, &find);
    tsg_txn_abort (&txn);
    assert_non_null (find.raw);
    tsg_envelope_t env;
    assert_int_equal (tsg_envelope_decode (find.raw, find.len, &env, NULL), TSG_OK);
    assert_true (tsg_envelope_verify (&env, signer));
    free (find.raw);
    return env;
}

/* A DELIVERED receipt from agency `from` to recipient about about, through a batch. */
static tsg_hub_answer_t
s_ack (hub_fixture_t *f, int from, const char *recipient, const uint8_t about[16])
{
    tsg_letter_t letter;
    uint8_t id[16], about_copy[16];
    memcpy (about_copy, about, 16);
    tsg_letter_prepare (&letter, NULL, id, TSUNAGU__V1__KIND__KIND_RECEIPT,
                        tsg_keys_id (f->keys[from]), recipient);
    Tsunagu__V1__Receipt receipt = TSUNAGU__V1__RECEIPT__INIT;
    receipt.type = TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED;
    receipt.about_message_id.data = about_copy;
    receipt.about_message_id.len = 16;
    receipt.at_ms = hub_now;
    letter.receipt = &receipt;
    uint8_t *frame = NULL;
    size_t len = 0;
    assert_int_equal (tsg_envelope_seal (&letter, f->keys[from], &frame, &len), TSG_OK);
    tsg_hub_answer_t answer = hub_batch (f, from, frame, len);
    free (frame);
    return answer;
}

/* The first referral opens the case and, its recipient being a second agency, makes it
 * multi-agency; a referral to a third agency joins it; every change is announced. */
static void
test_case_created_and_multi_agency (void **state)
{
    hub_fixture_t *f = *state;
    s_refer (f, F_ELDER, DISABILITY, CASE_A, "8050");
    tsg_hub_case_t *c = hub_get_case (f, CASE_A);
    assert_int_equal (c->state, TSG_CASE_MULTI_AGENCY);
    assert_int_equal (c->version, 1);
    assert_int_equal (c->n_agencies, 2);
    assert_string_equal (c->agencies[0], ELDER);
    assert_string_equal (c->agencies[1], DISABILITY);
    assert_string_equal (c->opened_by, ELDER);
    assert_int_equal (c->n_tags, 1);
    assert_string_equal (c->tags[0], "8050");
    free (c);
    char types[512];
    s_timeline (f, CASE_A, types);
    assert_string_equal (types, "opened referral agency-joined state");

    /* Both agencies got a CASE_UPDATE signed by the coordinator. */
    assert_int_equal (hub_mailbox_kind (f, ELDER, TSUNAGU__V1__KIND__KIND_CASE_UPDATE), 1);
    assert_int_equal (hub_mailbox_kind (f, DISABILITY, TSUNAGU__V1__KIND__KIND_CASE_UPDATE), 1);
    tsg_envelope_t env = s_newest (f, DISABILITY, TSUNAGU__V1__KIND__KIND_CASE_UPDATE,
                                   tsg_keys_sign_public (f->coordinator));
    const Tsunagu__V1__CaseUpdate *u = env.letter->case_update;
    assert_non_null (u);
    assert_string_equal (env.letter->sender, TSG_COORDINATOR_ID);
    assert_string_equal (env.letter->header->case_id, CASE_A);
    assert_string_equal (u->state, "multi-agency");
    assert_int_equal (u->version, 1);
    assert_int_equal (u->n_agencies, 2);
    assert_string_equal (u->last_event_type, "referral");
    tsg_envelope_clear (&env);

    /* disability refers to poverty: poverty joins, version 2, all three are told. */
    s_refer (f, F_DISABILITY, POVERTY, CASE_A, "生活困窮");
    c = hub_get_case (f, CASE_A);
    assert_int_equal (c->state, TSG_CASE_MULTI_AGENCY);
    assert_int_equal (c->version, 2);
    assert_int_equal (c->n_agencies, 3);
    assert_string_equal (c->agencies[2], POVERTY);
    assert_int_equal (c->n_tags, 2);
    assert_int_equal (c->referrals, 2);
    free (c);
    assert_int_equal (hub_mailbox_kind (f, ELDER, TSUNAGU__V1__KIND__KIND_CASE_UPDATE), 2);
    assert_int_equal (hub_mailbox_kind (f, POVERTY, TSUNAGU__V1__KIND__KIND_CASE_UPDATE), 1);

    /* Another referral among agencies already on it, with no new tag: nothing to announce. */
    s_refer (f, F_ELDER, POVERTY, CASE_A, "8050");
    c = hub_get_case (f, CASE_A);
    assert_int_equal (c->version, 2);
    assert_int_equal (c->referrals, 3);
    free (c);
    assert_int_equal (hub_mailbox_kind (f, ELDER, TSUNAGU__V1__KIND__KIND_CASE_UPDATE), 2);

    assert_int_equal (hub_stat (f, TSG_HUB_STAT_CASES_OPENED), 1);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_CASES_AGENCIES), 3);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_CASES_MULTI), 1);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_CASE_STATE "multi-agency"), 1);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_CASE_STATE "open"), 0);
}

/* A referral marked opens_case (protocol 1.1) from `from` to `to` on case_id with one tag. */
static tsg_hub_answer_t
s_refer_opening (hub_fixture_t *f, int from, const char *to, const char *case_id, const char *tag)
{
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16], body[64];
    char rid[TSG_UUID_TEXT_SIZE];
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_REFERRAL,
                        tsg_keys_id (f->keys[from]), to);
    tsg_uuid_new (rid);
    header.referral_id = rid;
    header.case_id = (char *) case_id;
    header.opens_case = true;
    header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    char *tags[1] = { (char *) tag };
    header.n_tags = 1;
    header.tags = tags;
    memset (body, 0xa5, sizeof body);
    letter.body.data = body;
    letter.body.len = sizeof body;
    return hub_send (f, from, &letter);
}

/* The referral that opens its case stands for the case's first CASE_UPDATE: the case is the
 * same as without the mark, but neither party is sent an update; a mark on a case that exists
 * is refused; the next change is announced to everyone as before. */
static void
test_opening_referral_stands_for_its_update (void **state)
{
    hub_fixture_t *f = *state;
    tsg_hub_answer_t a = s_refer_opening (f, F_ELDER, DISABILITY, CASE_A, "8050");
    hub_expect_stored (&a);
    tsg_hub_case_t *c = hub_get_case (f, CASE_A);
    assert_int_equal (c->state, TSG_CASE_MULTI_AGENCY);
    assert_int_equal (c->version, 1);
    assert_int_equal (c->n_agencies, 2);
    assert_string_equal (c->agencies[0], ELDER);
    assert_string_equal (c->agencies[1], DISABILITY);
    assert_string_equal (c->last_event_type, "referral");
    free (c);
    assert_int_equal (hub_mailbox_kind (f, DISABILITY, TSUNAGU__V1__KIND__KIND_REFERRAL), 1);
    assert_int_equal (hub_mailbox_kind (f, ELDER, TSUNAGU__V1__KIND__KIND_CASE_UPDATE), 0);
    assert_int_equal (hub_mailbox_kind (f, DISABILITY, TSUNAGU__V1__KIND__KIND_CASE_UPDATE), 0);

    /* The case exists now: a second "opening" of it is refused, and changes nothing. */
    a = s_refer_opening (f, F_ELDER, POVERTY, CASE_A, "生活困窮");
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED);
    assert_true (a.final);
    c = hub_get_case (f, CASE_A);
    assert_int_equal (c->version, 1);
    assert_int_equal (c->n_agencies, 2);
    free (c);

    /* poverty joins by a plain referral: version 2, announced to all three. */
    s_refer (f, F_DISABILITY, POVERTY, CASE_A, "生活困窮");
    assert_int_equal (hub_mailbox_kind (f, ELDER, TSUNAGU__V1__KIND__KIND_CASE_UPDATE), 1);
    assert_int_equal (hub_mailbox_kind (f, DISABILITY, TSUNAGU__V1__KIND__KIND_CASE_UPDATE), 1);
    assert_int_equal (hub_mailbox_kind (f, POVERTY, TSUNAGU__V1__KIND__KIND_CASE_UPDATE), 1);
    tsg_envelope_t env = s_newest (f, POVERTY, TSUNAGU__V1__KIND__KIND_CASE_UPDATE,
                                   tsg_keys_sign_public (f->coordinator));
    assert_int_equal (env.letter->case_update->version, 2);
    tsg_envelope_clear (&env);
}

/* Receiving and accepting the first referral set the case's first times and counters. */
static void
test_case_figures_from_referrals (void **state)
{
    hub_fixture_t *f = *state;
    char rid[TSG_UUID_TEXT_SIZE] = "";
    tsg_hub_answer_t a =
        hub_referral (f, F_ELDER, POVERTY, CASE_A, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, rid);
    hub_expect_stored (&a);
    hub_now = T0 + 2 * HOUR_MS;
    a = hub_status (f, F_POVERTY, ELDER, rid, "received", NULL, false, 1);
    hub_expect_stored (&a);
    hub_now = T0 + 5 * HOUR_MS;
    a = hub_status (f, F_POVERTY, ELDER, rid, "accepted", NULL, false, 2);
    hub_expect_stored (&a);
    tsg_hub_case_t *c = hub_get_case (f, CASE_A);
    assert_int_equal (c->first_received_at_ms, T0 + 2 * HOUR_MS);
    assert_int_equal (c->first_accepted_at_ms, T0 + 5 * HOUR_MS);
    assert_int_equal (c->version, 1); /* figures are not a new version */
    free (c);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_CASE_RECEIVED_SUM), 2 * HOUR_MS);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_CASE_ACCEPTED_SUM), 5 * HOUR_MS);
    /* Each move of the figures was announced to both agencies. */
    assert_int_equal (hub_mailbox_kind (f, POVERTY, TSUNAGU__V1__KIND__KIND_CASE_UPDATE), 3);
    char types[512];
    s_timeline (f, CASE_A, types);
    assert_string_equal (types,
                         "opened referral agency-joined state referral-status referral-status");
}

/* Stale versions, illegal changes, strangers, unknown cases and malformed events are refused
 * and change nothing. */
static void
test_case_event_refusals (void **state)
{
    hub_fixture_t *f = *state;
    s_refer (f, F_ELDER, DISABILITY, CASE_A, "8050");
    char unknown[TSG_UUID_TEXT_SIZE];
    tsg_uuid_new (unknown);
    tsg_hub_answer_t a = hub_case_state (f, F_ELDER, unknown, 1, "assessment", false);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_UNKNOWN_CASE);
    a = hub_case_state (f, F_CHILD, CASE_A, 1, "assessment", false);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_CASE_MEMBER);
    a = hub_case_state (f, F_ELDER, CASE_A, 1, "assessment", false);
    hub_expect_stored (&a);

    /* disability still thinks it is version 1. */
    a = hub_case_state (f, F_DISABILITY, CASE_A, 1, "planning", false);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_STALE_VERSION);
    assert_non_null (strstr (a.detail, "version 2 (assessment)"));
    a = hub_case_state (f, F_DISABILITY, CASE_A, 2, "support", false);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);
    a = hub_case_state (f, F_DISABILITY, CASE_A, 2, "closed", true);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);
    a = hub_case_state (f, F_DISABILITY, CASE_A, 2, "assessment", false);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);
    a = hub_case_state (f, F_DISABILITY, CASE_A, 2, "finished", false);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);

    Tsunagu__V1__CaseEvent ev = TSUNAGU__V1__CASE_EVENT__INIT;
    ev.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE;
    a = hub_case_event (f, F_ELDER, CASE_A, 2, &ev, false, NULL, 0, NULL);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);
    ev.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_REOPEN;
    a = hub_case_event (f, F_ELDER, CASE_A, 2, &ev, true, NULL, 0, NULL);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);
    ev.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE;
    ev.state = (char *) "planning";
    ev.event_id = (char *) "not-a-uuid";
    a = hub_case_event (f, F_ELDER, CASE_A, 2, &ev, false, NULL, 0, NULL);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED);

    /* Meetings name registered agencies on real dates. */
    Tsunagu__V1__Meeting meeting = TSUNAGU__V1__MEETING__INIT;
    char *attendees[] = { (char *) ELDER, (char *) "nobody-here" };
    meeting.kind = TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN;
    meeting.held_on = (char *) "2026-11-30";
    meeting.attendees = attendees;
    meeting.n_attendees = 2;
    Tsunagu__V1__CaseEvent m = TSUNAGU__V1__CASE_EVENT__INIT;
    m.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING;
    m.meeting = &meeting;
    a = hub_case_event (f, F_ELDER, CASE_A, 2, &m, false, NULL, 0, NULL);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED);
    meeting.n_attendees = 1;
    meeting.held_on = (char *) "2026-02-30";
    a = hub_case_event (f, F_ELDER, CASE_A, 2, &m, false, NULL, 0, NULL);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED);

    /* A case event goes to the coordinator, nowhere else. */
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16];
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_CASE_EVENT, ELDER,
                        DISABILITY);
    Tsunagu__V1__CaseEvent direct = TSUNAGU__V1__CASE_EVENT__INIT;
    char event_id[TSG_UUID_TEXT_SIZE];
    tsg_uuid_new (event_id);
    direct.event_id = event_id;
    direct.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE;
    direct.state = (char *) "planning";
    header.case_id = (char *) CASE_A;
    header.base_version = 2;
    header.case_event = &direct;
    a = hub_send (f, F_ELDER, &letter);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED);

    tsg_hub_case_t *c = hub_get_case (f, CASE_A);
    assert_int_equal (c->state, TSG_CASE_ASSESSMENT);
    assert_int_equal (c->version, 2);
    free (c);
    char types[512];
    s_timeline (f, CASE_A, types);
    assert_string_equal (types, "opened referral agency-joined state state");
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_CASE_EVENTS), 1);
}

/* The 8050 walk: assessment, a 支援会議, a plan with roles, support, monitoring, closure,
 * a refused and an accepted reopening; the record, timeline, view and counters follow. */
static void
test_meeting_plan_close_reopen (void **state)
{
    hub_fixture_t *f = *state;
    s_refer (f, F_ELDER, DISABILITY, CASE_A, "8050");
    s_refer (f, F_DISABILITY, POVERTY, CASE_A, "生活困窮");
    uint64_t v = 2;
    hub_now = T0 + DAY_MS;
    tsg_hub_answer_t a = hub_case_state (f, F_ELDER, CASE_A, v++, "assessment", false);
    hub_expect_stored (&a);

    Tsunagu__V1__Meeting meeting = TSUNAGU__V1__MEETING__INIT;
    char *attendees[] = { (char *) ELDER, (char *) DISABILITY, (char *) POVERTY };
    meeting.kind = TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN;
    meeting.held_on = (char *) "2026-11-30";
    meeting.attendees = attendees;
    meeting.n_attendees = 3;
    meeting.decision = (char *) "plan-adopted";
    Tsunagu__V1__CaseEvent m = TSUNAGU__V1__CASE_EVENT__INIT;
    m.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING;
    m.meeting = &meeting;
    a = hub_case_event (f, F_ELDER, CASE_A, v++, &m, false, NULL, 0, NULL);
    hub_expect_stored (&a);
    a = hub_case_state (f, F_ELDER, CASE_A, v++, "conference", false);
    hub_expect_stored (&a);

    hub_now = T0 + 2 * DAY_MS;
    Tsunagu__V1__PlanRole roles[3] = { TSUNAGU__V1__PLAN_ROLE__INIT, TSUNAGU__V1__PLAN_ROLE__INIT,
                                       TSUNAGU__V1__PLAN_ROLE__INIT };
    Tsunagu__V1__PlanRole *role_ptrs[3] = { &roles[0], &roles[1], &roles[2] };
    roles[0].agency_id = (char *) ELDER;
    roles[0].role = (char *) "見守り訪問";
    roles[1].agency_id = (char *) DISABILITY;
    roles[1].role = (char *) "就労支援";
    roles[2].agency_id = (char *) POVERTY;
    roles[2].role = (char *) "家計改善";
    Tsunagu__V1__Plan plan = TSUNAGU__V1__PLAN__INIT;
    plan.roles = role_ptrs;
    plan.n_roles = 3;
    plan.next_review_on = (char *) "2027-01-15";
    Tsunagu__V1__CaseEvent p = TSUNAGU__V1__CASE_EVENT__INIT;
    p.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN;
    p.plan = &plan;
    a = hub_case_event (f, F_DISABILITY, CASE_A, v++, &p, false, NULL, 0, NULL);
    hub_expect_stored (&a);
    a = hub_case_state (f, F_POVERTY, CASE_A, v++, "support", false);
    hub_expect_stored (&a);
    a = hub_case_state (f, F_ELDER, CASE_A, v++, "monitoring", false);
    hub_expect_stored (&a);

    tsg_hub_case_t *c = hub_get_case (f, CASE_A);
    assert_int_equal (c->roster_kind, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN);
    assert_int_equal (c->n_roster, 3);
    assert_int_equal (c->n_roles, 3);
    assert_string_equal (c->roles[1].role, "就労支援");
    assert_string_equal (c->next_review_on, "2027-01-15");
    assert_int_equal (c->plan_at_ms, T0 + 2 * DAY_MS);
    assert_int_equal (c->state, TSG_CASE_MONITORING);
    free (c);

    hub_now = T0 + 30 * DAY_MS;
    Tsunagu__V1__CaseEvent close = TSUNAGU__V1__CASE_EVENT__INIT;
    close.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE;
    close.close_reason = (char *) "goal-achieved";
    a = hub_case_event (f, F_ELDER, CASE_A, v++, &close, true, NULL, 0, NULL);
    hub_expect_stored (&a);
    c = hub_get_case (f, CASE_A);
    assert_int_equal (c->state, TSG_CASE_CLOSED);
    assert_string_equal (c->close_reason, "goal-achieved");
    assert_int_equal (c->closed_at_ms, T0 + 30 * DAY_MS);
    free (c);

    Tsunagu__V1__CaseEvent reopen = TSUNAGU__V1__CASE_EVENT__INIT;
    reopen.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_REOPEN;
    a = hub_case_event (f, F_POVERTY, CASE_A, v, &reopen, false, NULL, 0, NULL);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);
    assert_non_null (strstr (a.detail, "reason"));
    a = hub_case_event (f, F_POVERTY, CASE_A, v++, &reopen, true, NULL, 0, NULL);
    hub_expect_stored (&a);
    c = hub_get_case (f, CASE_A);
    assert_int_equal (c->state, TSG_CASE_OPEN);
    assert_int_equal (c->reopened, 1);
    assert_int_equal (c->version, v);
    assert_int_equal (c->closed_at_ms, 0);
    free (c);

    char types[512];
    s_timeline (f, CASE_A, types);
    assert_string_equal (types, "opened referral agency-joined state referral agency-joined "
                                "state meeting state plan state state close reopen");
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_CASES_CLOSED), 1);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_CASES_REOPENED), 1);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_CASE_PLAN_COUNT), 1);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_CASE_PLAN_SUM), 2 * DAY_MS);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_CASE_CLOSURE_SUM), 30 * DAY_MS);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_CASE_EVENTS), 8);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_CASE_STATE "open"), 1);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_CASE_STATE "closed"), 0);

    /* The read side: record, roster, roles, figures, timeline; labels for the dashboard. */
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    json_t *view = tsg_hub_view_case (&txn, CASE_A, hub_now);
    json_t *stats = tsg_hub_view_stats (&txn, hub_now);
    tsg_txn_abort (&txn);
    assert_non_null (view);
    assert_string_equal (json_string_value (json_object_get (view, "state_label")), "相談受付");
    json_t *roster = json_object_get (view, "roster");
    assert_string_equal (json_string_value (json_object_get (roster, "kind")), "shien");
    assert_int_equal (json_array_size (json_object_get (roster, "attendees")), 3);
    json_t *roles_json = json_object_get (json_object_get (view, "plan"), "roles");
    assert_string_equal (
        json_string_value (json_object_get (json_array_get (roles_json, 2), "role")), "家計改善");
    json_t *figures = json_object_get (view, "figures");
    assert_int_equal (json_integer_value (json_object_get (figures, "to_plan_ms")), 2 * DAY_MS);
    assert_int_equal (json_array_size (json_object_get (view, "referrals")), 2);
    json_t *timeline = json_object_get (view, "timeline");
    assert_int_equal (json_array_size (timeline), 14);
    json_t *meeting_entry = json_array_get (timeline, 7);
    assert_string_equal (json_string_value (json_object_get (meeting_entry, "type")), "meeting");
    assert_string_equal (json_string_value (json_object_get (
                             json_object_get (meeting_entry, "meeting"), "decision")),
                         "plan-adopted");
    json_t *auto_entry = json_array_get (timeline, 3);
    assert_string_equal (json_string_value (json_object_get (auto_entry, "by")), "coordinator");
    assert_true (json_is_true (json_object_get (auto_entry, "automatic")));
    assert_string_equal (json_string_value (json_object_get (auto_entry, "to_label")),
                         "多機関協働");
    json_t *cases = json_object_get (stats, "cases");
    assert_true (json_real_value (json_object_get (cases, "reopen_rate")) == 1.0);
    assert_true (json_real_value (json_object_get (cases, "agencies_per_case")) == 3.0);
    assert_int_equal (
        json_integer_value (json_object_get (json_object_get (cases, "to_closure"), "avg_ms")),
        30 * DAY_MS);
    json_decref (view);
    json_decref (stats);
}

/* A case event with bodies reaches every other agency on the case, once each; each copy is
 * acknowledged on its own and its receipt relayed to the sender. */
static void
test_fan_out_per_recipient (void **state)
{
    hub_fixture_t *f = *state;
    s_refer (f, F_ELDER, DISABILITY, CASE_A, "8050");
    s_refer (f, F_DISABILITY, POVERTY, CASE_A, NULL);
    uint8_t box_d[40], box_p[40];
    memset (box_d, 1, sizeof box_d);
    memset (box_p, 2, sizeof box_p);
    Tsunagu__V1__SealedBody body_d = TSUNAGU__V1__SEALED_BODY__INIT;
    Tsunagu__V1__SealedBody body_p = TSUNAGU__V1__SEALED_BODY__INIT;
    body_d.recipient = (char *) DISABILITY;
    body_d.box.data = box_d;
    body_d.box.len = sizeof box_d;
    body_p.recipient = (char *) POVERTY;
    body_p.box.data = box_p;
    body_p.box.len = sizeof box_p;
    Tsunagu__V1__SealedBody *bodies[2] = { &body_d, &body_p };
    Tsunagu__V1__Note note = TSUNAGU__V1__NOTE__INIT;
    note.category = (char *) "visit";
    note.written_on = (char *) "2026-11-24";
    Tsunagu__V1__CaseEvent ev = TSUNAGU__V1__CASE_EVENT__INIT;
    ev.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_NOTE;
    ev.note = &note;
    uint8_t id[16];
    size_t elder_mail = hub_mailbox_kind (f, ELDER, 0);
    tsg_hub_answer_t a = hub_case_event (f, F_ELDER, CASE_A, 2, &ev, false, bodies, 2, id);
    hub_expect_stored (&a);
    assert_int_equal (hub_mailbox_kind (f, DISABILITY, TSUNAGU__V1__KIND__KIND_CASE_EVENT), 1);
    assert_int_equal (hub_mailbox_kind (f, POVERTY, TSUNAGU__V1__KIND__KIND_CASE_EVENT), 1);
    assert_int_equal (hub_mailbox_kind (f, ELDER, TSUNAGU__V1__KIND__KIND_CASE_EVENT), 0);
    tsg_hub_message_t msg;
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    assert_true (tsg_hub_message_get (&txn, id, &msg));
    assert_string_equal (msg.recipient, TSG_COORDINATOR_ID);
    assert_true (tsg_hub_message_get_copy (&txn, id, DISABILITY, &msg));
    assert_int_equal (msg.state, TSG_HUB_MSG_STORED);
    assert_false (tsg_hub_message_get_copy (&txn, id, ELDER, &msg));
    tsg_txn_abort (&txn);
    /* The copy is the envelope as eldercare signed it, sealed bodies and all. */
    tsg_envelope_t env = s_newest (f, POVERTY, TSUNAGU__V1__KIND__KIND_CASE_EVENT,
                                   tsg_keys_sign_public (f->keys[F_ELDER]));
    assert_int_equal (env.letter->n_sealed_bodies, 2);
    tsg_envelope_clear (&env);
    elder_mail += 1; /* the CASE_UPDATE of the note */
    assert_int_equal (hub_mailbox_kind (f, ELDER, 0), elder_mail);

    /* disability acknowledges its copy: gone from its mailbox, receipt relayed to eldercare. */
    a = s_ack (f, F_DISABILITY, ELDER, id);
    assert_int_equal (a.type, TSG_HUB_ANSWER_NONE);
    assert_int_equal (hub_mailbox_kind (f, DISABILITY, TSUNAGU__V1__KIND__KIND_CASE_EVENT), 0);
    assert_int_equal (hub_mailbox_kind (f, POVERTY, TSUNAGU__V1__KIND__KIND_CASE_EVENT), 1);
    assert_int_equal (hub_mailbox_kind (f, ELDER, TSUNAGU__V1__KIND__KIND_RECEIPT), 1);
    /* Again: nothing changes.  eldercare had no copy: ignored, and never answered (an
     * answer to a receipt could only start a refusal ping-pong). */
    a = s_ack (f, F_DISABILITY, ELDER, id);
    assert_int_equal (a.type, TSG_HUB_ANSWER_NONE);
    assert_int_equal (hub_mailbox_kind (f, ELDER, TSUNAGU__V1__KIND__KIND_RECEIPT), 1);
    a = s_ack (f, F_ELDER, ELDER, id);
    assert_int_equal (a.type, TSG_HUB_ANSWER_NONE);
    assert_int_equal (hub_mailbox_kind (f, ELDER, TSUNAGU__V1__KIND__KIND_RECEIPT), 1);
    a = s_ack (f, F_POVERTY, ELDER, id);
    assert_int_equal (hub_mailbox_kind (f, POVERTY, TSUNAGU__V1__KIND__KIND_CASE_EVENT), 0);
    assert_int_equal (hub_mailbox_kind (f, ELDER, TSUNAGU__V1__KIND__KIND_RECEIPT), 2);

    /* A CASE_UPDATE is acknowledged to the coordinator and relayed to nobody. */
    env = s_newest (f, DISABILITY, TSUNAGU__V1__KIND__KIND_CASE_UPDATE,
                    tsg_keys_sign_public (f->coordinator));
    uint8_t update_id[16];
    memcpy (update_id, env.letter->message_id.data, 16);
    tsg_envelope_clear (&env);
    size_t updates = hub_mailbox_kind (f, DISABILITY, TSUNAGU__V1__KIND__KIND_CASE_UPDATE);
    a = s_ack (f, F_DISABILITY, TSG_COORDINATOR_ID, update_id);
    assert_int_equal (a.type, TSG_HUB_ANSWER_NONE);
    assert_int_equal (hub_mailbox_kind (f, DISABILITY, TSUNAGU__V1__KIND__KIND_CASE_UPDATE),
                      updates - 1);
    assert_int_equal (hub_mailbox_kind (f, TSG_COORDINATOR_ID, 0), 0);
    assert_int_equal (hub_mailbox_kind (f, ELDER, TSUNAGU__V1__KIND__KIND_RECEIPT), 2);

    /* Bodies only for other agencies on the case, once each. */
    body_p.recipient = (char *) CHILD;
    a = hub_case_event (f, F_ELDER, CASE_A, 3, &ev, false, bodies, 2, NULL);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED);
    body_p.recipient = (char *) ELDER;
    a = hub_case_event (f, F_ELDER, CASE_A, 3, &ev, false, bodies, 2, NULL);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED);
    body_p.recipient = (char *) DISABILITY;
    a = hub_case_event (f, F_ELDER, CASE_A, 3, &ev, false, bodies, 2, NULL);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED);
    tsg_hub_case_t *c = hub_get_case (f, CASE_A);
    assert_int_equal (c->version, 3);
    free (c);
}

/* Sends one control request and returns the parsed reply (caller decrefs). */
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

static void
s_expect_refusal (json_t *reply, const char *code)
{
    assert_true (json_is_false (json_object_get (reply, "ok")));
    const char *error = json_string_value (json_object_get (reply, "error"));
    if (!error || strcmp (error, code) != 0)
        fail_msg ("expected %s, got %s: %s", code, error ? error : "nothing",
                  json_string_value (json_object_get (reply, "message")));
    assert_non_null (json_string_value (json_object_get (reply, "message")));
    json_decref (reply);
}

/* The coordinator's staff act over the control protocol exactly like an agency. */
static void
test_staff_event_via_control (void **state)
{
    hub_fixture_t *f = *state;
    s_refer (f, F_ELDER, DISABILITY, CASE_A, "8050");
    json_t *reply = s_control (f, "{\"command\": \"ping\"}");
    assert_true (json_is_true (json_object_get (reply, "ok")));
    json_decref (reply);

    reply = s_control (f, "{\"command\": \"case-event\", \"case_id\": \"" CASE_A
                          "\", \"base_version\": 1, \"type\": \"state\", \"state\": "
                          "\"assessment\"}");
    if (!json_is_true (json_object_get (reply, "ok")))
        fail_msg ("refused: %s", json_string_value (json_object_get (reply, "message")));
    assert_int_equal (json_integer_value (json_object_get (reply, "version")), 2);
    assert_string_equal (json_string_value (json_object_get (reply, "state")), "assessment");
    assert_string_equal (json_string_value (json_object_get (reply, "state_label")),
                         "課題整理・コア会議");
    json_decref (reply);
    /* Both agencies get the coordinator's signed event (no bodies) and the update. */
    tsg_envelope_t env = s_newest (f, ELDER, TSUNAGU__V1__KIND__KIND_CASE_EVENT,
                                   tsg_keys_sign_public (f->coordinator));
    assert_string_equal (env.letter->sender, TSG_COORDINATOR_ID);
    assert_int_equal (env.letter->n_sealed_bodies, 0);
    assert_string_equal (env.letter->header->case_event->state, "assessment");
    uint8_t id[16];
    memcpy (id, env.letter->message_id.data, 16);
    tsg_envelope_clear (&env);
    assert_int_equal (hub_mailbox_kind (f, DISABILITY, TSUNAGU__V1__KIND__KIND_CASE_EVENT), 1);
    assert_int_equal (hub_mailbox_kind (f, DISABILITY, TSUNAGU__V1__KIND__KIND_CASE_UPDATE), 2);
    /* Acknowledged to the coordinator: removed, relayed to nobody. */
    tsg_hub_answer_t a = s_ack (f, F_ELDER, TSG_COORDINATOR_ID, id);
    assert_int_equal (a.type, TSG_HUB_ANSWER_NONE);
    assert_int_equal (hub_mailbox_kind (f, ELDER, TSUNAGU__V1__KIND__KIND_CASE_EVENT), 0);
    assert_int_equal (hub_mailbox_kind (f, TSG_COORDINATOR_ID, 0), 0);

    reply = s_control (f, "{\"command\": \"case-event\", \"case_id\": \"" CASE_A
                          "\", \"base_version\": 1, \"type\": \"state\", \"state\": "
                          "\"planning\"}");
    s_expect_refusal (reply, "stale_version");
    /* A 重層的支援会議 needs the person's consent for every attendee. */
#define JUSOTEKI                                                                                   \
    "{\"command\": \"case-event\", \"case_id\": \"" CASE_A                                         \
    "\", \"base_version\": 2, \"type\": \"meeting\", \"meeting\": "                                \
    "{\"kind\": \"jusoteki\", \"held_on\": \"2026-12-01\", \"attendees\": "                        \
    "[\"" ELDER "\", \"" DISABILITY "\"], \"decision\": \"continue\"}}"
    s_expect_refusal (s_control (f, JUSOTEKI), "missing_legal_basis");
    hub_grant_t grant = { .case_id = CASE_A,
                          .consent_id = "7d1e2f30-4a5b-4c6d-8e7f-901a2b3c4d5e",
                          .agencies = { ELDER, DISABILITY },
                          .categories = { "identity", "family" } };
    hub_expect_stored ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_ELDER, &grant, NULL) });
    reply = s_control (f, JUSOTEKI);
    assert_true (json_is_true (json_object_get (reply, "ok")));
    json_decref (reply);
    reply = s_control (f, "{\"command\": \"case-event\", \"case_id\": \"" CASE_A
                          "\", \"base_version\": 3, \"type\": \"close\", \"reason_code\": "
                          "\"moved-away\"}");
    assert_true (json_is_true (json_object_get (reply, "ok")));
    assert_string_equal (json_string_value (json_object_get (reply, "state")), "closed");
    json_decref (reply);
    tsg_hub_case_t *c = hub_get_case (f, CASE_A);
    assert_string_equal (c->close_reason, "moved-away");
    assert_string_equal (c->last_event_by, TSG_COORDINATOR_ID);
    assert_int_equal (c->roster_kind, TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI);
    free (c);

    s_expect_refusal (s_control (f, "{\"command\": \"case-event\", \"case_id\": \"" CASE_B
                                    "\", \"base_version\": 1, \"type\": \"state\", \"state\": "
                                    "\"planning\"}"),
                      "unknown_case");
    s_expect_refusal (s_control (f, "{\"command\": \"case-event\", \"case_id\": \"" CASE_A
                                    "\", \"type\": \"reopen\"}"),
                      "bad_request");
    s_expect_refusal (s_control (f, "{\"command\": \"case-event\", \"case_id\": \"" CASE_A
                                    "\", \"base_version\": 4, \"type\": \"reopen\"}"),
                      "illegal_transition");
    s_expect_refusal (s_control (f, "{\"command\": \"case-event\", \"case_id\": \"" CASE_A
                                    "\", \"base_version\": 4, \"type\": \"merge\"}"),
                      "bad_request");
    s_expect_refusal (s_control (f, "[1, 2]"), "bad_request");
    s_expect_refusal (s_control (f, "{\"command\": \"shutdown\"}"), "unknown_command");
    s_expect_refusal (s_control (f, "{\"comm"), "bad_request");
}

/* The control socket itself: owner-only, one JSON frame in, one out. */
static void
test_control_socket (void **state)
{
    hub_fixture_t *f = *state;
    void *ctx = zmq_ctx_new ();
    assert_non_null (ctx);
    tsg_hub_control_t *control = tsg_hub_control_new (ctx, f->dir);
    assert_non_null (control);
    char path[512], endpoint[600];
    snprintf (path, sizeof path, "%s/control.sock", f->dir);
    snprintf (endpoint, sizeof endpoint, "ipc://%s", path);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);

    void *req = zmq_socket (ctx, ZMQ_REQ);
    int timeout = 5000, linger = 0;
    zmq_setsockopt (req, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt (req, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal (zmq_connect (req, endpoint), 0);
    const char *ping = "{\"command\": \"ping\"}";
    assert_int_equal (zmq_send (req, ping, strlen (ping), 0), (int) strlen (ping));
    tsg_hub_control_env_t env = {
        .store = f->store, .intake = f->intake, .keys = f->coordinator, .directory = f->directory
    };
    bool answered = false;
    for (int i = 0; i < 500 && !answered; i++) {
        answered = tsg_hub_control_handle (control, &env);
        if (!answered)
            usleep (10000);
    }
    assert_true (answered);
    char reply[512];
    int n = zmq_recv (req, reply, sizeof reply - 1, 0);
    assert_true (n > 0);
    reply[n] = '\0';
    assert_non_null (strstr (reply, "\"ok\":true"));
    assert_non_null (strstr (reply, "\"version\":\"" TSUNAGU_VERSION "\""));
    assert_false (tsg_hub_control_handle (control, &env));
    zmq_close (req);
    tsg_hub_control_destroy (&control);
    tsg_hub_control_destroy (&control);
    assert_int_equal (access (path, F_OK), -1);
    zmq_ctx_term (ctx);
}

/* Listing by state, agency, tag and overdue reads the indices; pages follow case ids. */
static void
test_case_listing (void **state)
{
    hub_fixture_t *f = *state;
    s_refer (f, F_ELDER, DISABILITY, CASE_A, "8050");
    s_refer (f, F_POVERTY, CHILD, CASE_B, "子育て");
    s_refer (f, F_ELDER, POVERTY, CASE_C, "8050");
    tsg_hub_answer_t a = hub_case_state (f, F_POVERTY, CASE_B, 1, "assessment", false);
    hub_expect_stored (&a);

    static const struct {
        tsg_hub_case_filter_t filter; /* what to list */
        const char *expect;           /* the case ids, in order */
    } cases[] = {
        { { .agency = ELDER }, CASE_A " " CASE_C },
        { { .tag = "8050" }, CASE_A " " CASE_C },
        { { .tag = "子育て" }, CASE_B },
        { { .state = "assessment" }, CASE_B },
        { { .state = "multi-agency", .agency = POVERTY }, CASE_C },
        { { .state = "closed" }, "" },
        { { 0 }, CASE_A " " CASE_B " " CASE_C },
        { { .after = CASE_A }, CASE_B " " CASE_C },
        { { .tag = "8050", .after = CASE_A }, CASE_C },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tsg_hub_case_filter_t filter = cases[i].filter;
        filter.limit = 10;
        filter.now_ms = hub_now;
        tsg_txn_t txn;
        tsg_txn_begin (f->store, &txn, false);
        json_t *view = tsg_hub_view_cases (&txn, &filter);
        tsg_txn_abort (&txn);
        assert_non_null (view);
        char ids[256] = "";
        json_t *list = json_object_get (view, "cases");
        for (size_t k = 0; k < json_array_size (list); k++) {
            if (k)
                strcat (ids, " ");
            strcat (ids, json_string_value (json_object_get (json_array_get (list, k), "case_id")));
        }
        if (strcmp (ids, cases[i].expect) != 0)
            fail_msg ("listing %zu: got \"%s\", expected \"%s\"", i, ids, cases[i].expect);
        json_decref (view);
    }

    /* A page of one says where the next starts. */
    tsg_hub_case_filter_t page = { .limit = 1, .now_ms = hub_now };
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    json_t *view = tsg_hub_view_cases (&txn, &page);
    assert_string_equal (json_string_value (json_object_get (view, "next_after")), CASE_A);
    json_decref (view);
    /* Overdue: two days later nobody has acknowledged anything. */
    tsg_hub_case_filter_t overdue = { .overdue = true, .limit = 10, .now_ms = T0 + 2 * DAY_MS };
    view = tsg_hub_view_cases (&txn, &overdue);
    assert_int_equal (json_integer_value (json_object_get (view, "count")), 3);
    assert_true (json_is_true (
        json_object_get (json_array_get (json_object_get (view, "cases"), 0), "overdue")));
    json_decref (view);
    overdue.now_ms = hub_now;
    view = tsg_hub_view_cases (&txn, &overdue);
    assert_int_equal (json_integer_value (json_object_get (view, "count")), 0);
    json_decref (view);
    tsg_txn_abort (&txn);
}

/* Searches the file for needle; true when found. */
static bool
s_file_has (const char *path, const char *needle)
{
    char *data = NULL;
    size_t len = 0;
    assert_int_equal (tsg_read_file (path, 1ULL << 30, &data, &len), TSG_OK);
    bool found = memmem (data, len, needle, strlen (needle)) != NULL;
    free (data);
    return found;
}

/* The coordinator's store holds none of the personal content of notes and plans: a household
 * goes back and forth in sealed bodies, then the store file is searched byte by byte. */
static void
test_no_personal_data_in_store (void **state)
{
    hub_fixture_t *f = *state;
    const char *dir = getenv ("TSUNAGU_SHARED_DATA");
    char path[1024];
    snprintf (path, sizeof path, "%s/households.json",
              dir && *dir ? dir : "tests/integration/data");
    json_t *root = json_load_file (path, 0, NULL);
    if (!root)
        fail_msg ("cannot read %s", path);
    json_t *household = json_array_get (json_object_get (root, "households"), 0);
    const char *secrets[6] = {
        json_string_value (
            json_object_get (json_array_get (json_object_get (household, "members"), 0), "name")),
        json_string_value (
            json_object_get (json_array_get (json_object_get (household, "members"), 1), "name")),
        json_string_value (json_object_get (household, "address")),
        json_string_value (json_object_get (household, "phone")),
        json_string_value (json_object_get (household, "summary")),
        json_string_value (json_object_get (
            json_array_get (json_object_get (household, "members"), 0), "birthdate")),
    };
    for (int i = 0; i < 6; i++)
        assert_non_null (secrets[i]);

    s_refer (f, F_ELDER, DISABILITY, CASE_A, "8050");
    s_refer (f, F_DISABILITY, POVERTY, CASE_A, "ひきこもり");
    /* A progress note and a plan whose text is the household itself, sealed to each agency. */
    json_t *content =
        json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}", "text", secrets[4], "name", secrets[0], "son",
                   secrets[1], "address", secrets[2], "phone", secrets[3], "birthdate", secrets[5]);
    char *text = json_dumps (content, JSON_COMPACT);
    json_decref (content);
    tsg_boxer_t *boxer = tsg_boxer_new (f->keys[F_ELDER]);
    uint8_t *box_d = NULL, *box_p = NULL;
    size_t len_d = 0, len_p = 0;
    assert_int_equal (tsg_body_seal (boxer, tsg_keys_box_public (f->keys[F_DISABILITY]),
                                     "application/json", (uint8_t *) text, strlen (text), &box_d,
                                     &len_d),
                      TSG_OK);
    assert_int_equal (tsg_body_seal (boxer, tsg_keys_box_public (f->keys[F_POVERTY]),
                                     "application/json", (uint8_t *) text, strlen (text), &box_p,
                                     &len_p),
                      TSG_OK);
    Tsunagu__V1__SealedBody body_d = TSUNAGU__V1__SEALED_BODY__INIT;
    Tsunagu__V1__SealedBody body_p = TSUNAGU__V1__SEALED_BODY__INIT;
    body_d.recipient = (char *) DISABILITY;
    body_d.box.data = box_d;
    body_d.box.len = len_d;
    body_p.recipient = (char *) POVERTY;
    body_p.box.data = box_p;
    body_p.box.len = len_p;
    Tsunagu__V1__SealedBody *bodies[2] = { &body_d, &body_p };
    Tsunagu__V1__Note note = TSUNAGU__V1__NOTE__INIT;
    note.category = (char *) "visit";
    note.written_on = (char *) "2026-11-24";
    Tsunagu__V1__CaseEvent ev = TSUNAGU__V1__CASE_EVENT__INIT;
    ev.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_NOTE;
    ev.note = &note;
    tsg_hub_answer_t a = hub_case_event (f, F_ELDER, CASE_A, 2, &ev, false, bodies, 2, NULL);
    hub_expect_stored (&a);
    Tsunagu__V1__PlanRole role = TSUNAGU__V1__PLAN_ROLE__INIT;
    Tsunagu__V1__PlanRole *roles[1] = { &role };
    role.agency_id = (char *) POVERTY;
    role.role = (char *) "家計改善";
    Tsunagu__V1__Plan plan = TSUNAGU__V1__PLAN__INIT;
    plan.roles = roles;
    plan.n_roles = 1;
    Tsunagu__V1__CaseEvent p = TSUNAGU__V1__CASE_EVENT__INIT;
    p.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN;
    p.plan = &plan;
    a = hub_case_event (f, F_ELDER, CASE_A, 3, &p, false, bodies, 2, NULL);
    hub_expect_stored (&a);
    free (box_d);
    free (box_p);
    free (text);
    tsg_boxer_destroy (&boxer);

    char store[512];
    snprintf (store, sizeof store, "%s/store/data.mdb", f->dir);
    /* The search works: the cleartext metadata is there. */
    assert_true (s_file_has (store, "家計改善"));
    assert_true (s_file_has (store, CASE_A));
    for (int i = 0; i < 6; i++)
        if (s_file_has (store, secrets[i]))
            fail_msg ("the coordinator's store holds \"%s\"", secrets[i]);
    json_decref (root);
}

int
main (void)
{
    log_init ("test_hub_cases", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_case_created_and_multi_agency, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_opening_referral_stands_for_its_update, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_case_figures_from_referrals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_case_event_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_meeting_plan_close_reopen, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_fan_out_per_recipient, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_staff_event_via_control, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_control_socket, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_case_listing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_no_personal_data_in_store, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
