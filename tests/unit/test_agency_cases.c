/* Local case copies at the agencies: built from the coordinator's CASE_UPDATE letters and the
 * referrals of the case; case events checked against the copy, their personal parts sealed
 * once for every other agency on the case; fanned-out events opened and kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "agency_world.h"

typedef struct {
    agency_world_t *world;            /* the fixture */
    tsg_agency_t *elder;              /* made the first referral */
    tsg_agency_t *pov;                /* received it */
    tsg_agency_t *dis;                /* received the second */
    tsg_agency_t *child;              /* not on the case */
    char case_id[TSG_UUID_TEXT_SIZE]; /* the household's case */
    uint8_t *update;                  /* the last case update sent (to pov), for resends */
    size_t update_len;                /* its size */
} s_world_t;

/* What the stand-in coordinator says about the case. */
typedef struct {
    Tsunagu__V1__CaseUpdate update; /* the message */
    char *agencies[4];              /* its agencies */
    char *roster[4];                /* its roster */
    Tsunagu__V1__PlanRole roles[2]; /* its roles */
    Tsunagu__V1__PlanRole *role_list[2];
    char *tags[2];
} s_update_t;

static void
s_fill_update (tsg_letter_t *letter, void *arg)
{
    letter->case_update = arg;
}

/* Sends agency a CASE_UPDATE of the case at version with state and the agencies on it. */
static void
s_case_update (s_world_t *w, tsg_agency_t *agency, const char *state, uint64_t version,
               size_t n_agencies, const char *last_event_id)
{
    s_update_t u;
    static const char *const ids[] = { "elder-a", "pov-a", "dis-a", "child-a" };
    tsunagu__v1__case_update__init (&u.update);
    u.update.case_id = w->case_id;
    u.update.state = (char *) state;
    u.update.version = version;
    for (size_t i = 0; i < n_agencies; i++)
        u.agencies[i] = (char *) ids[i];
    u.update.n_agencies = n_agencies;
    u.update.agencies = u.agencies;
    u.tags[0] = (char *) "8050";
    u.tags[1] = (char *) "生活困窮";
    u.update.n_tags = 2;
    u.update.tags = u.tags;
    if (version >= 3) {
        u.update.roster_kind = TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN;
        u.roster[0] = (char *) "elder-a";
        u.roster[1] = (char *) "pov-a";
        u.update.n_roster = 2;
        u.update.roster = u.roster;
        for (size_t i = 0; i < 2; i++) {
            tsunagu__v1__plan_role__init (&u.roles[i]);
            u.roles[i].agency_id = (char *) ids[i];
            u.roles[i].role = (char *) (i == 0 ? "本人の介護サービス調整" : "家計改善支援");
            u.role_list[i] = &u.roles[i];
        }
        u.update.n_roles = 2;
        u.update.roles = u.role_list;
        u.update.next_review_on = (char *) "2026-12-15";
    }
    u.update.last_event_id = (char *) (last_event_id ? last_event_id : "");
    u.update.last_event_by = (char *) "coordinator";
    u.update.updated_at_ms = tsg_now_ms ();
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal (agency_world_coordinator_letter (w->world, agency->config->id,
                                                       TSUNAGU__V1__KIND__KIND_CASE_UPDATE,
                                                       s_fill_update, &u.update, &data, &len),
                      TSG_OK);
    assert_int_equal (agency_world_deliver (agency, data, len), TSG_OK);
    if (agency == w->pov) {
        free (w->update);
        w->update = data;
        w->update_len = len;
    }
    else
        free (data);
}

/* Posts a referral from `from` to `to` in the case and delivers it. */
static void
s_refer (s_world_t *w, tsg_agency_t *from, tsg_agency_t *to)
{
    char body[512];
    snprintf (body, sizeof body,
              "{\"to\":\"%s\",\"case_id\":\"%s\",\"legal_basis\":\"consent\",\"tags\":[\"8050\"],"
              "\"consent_id\":\"c-1\",\"data_categories\":[\"identity\"],"
              "\"sheet\":{\"世帯\":\"H001\",\"%s\":%s}}",
              to->config->id, w->case_id, from->policy->type,
              strcmp (from->policy->type, "eldercare") == 0 ? "{\"care_insurance\":\"要介護1\"}"
              : strcmp (from->policy->type, "poverty") == 0 ? "{\"income_band\":\"収入なし\"}"
              : strcmp (from->policy->type, "child") == 0   ? "{\"age\":8,\"school\":\"北小\"}"
                                                            : "{\"certificate\":\"申請中\"}");
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (from, "POST", "/v1/referrals", body, &reply), 202);
    json_decref (reply);
    size_t len;
    uint8_t *letter = agency_world_take (w->world, from, TSUNAGU__V1__KIND__KIND_REFERRAL, &len);
    assert_int_equal (agency_world_store_ack (w->world, from, letter, len), TSG_OK);
    assert_int_equal (agency_world_deliver (to, letter, len), TSG_OK);
    agency_world_sent_clear (w->world, to);
    free (letter);
}

static int
s_setup (void **state)
{
    s_world_t *w = calloc (1, sizeof *w);
    tsg_agency_t *agencies[4];
    w->world = agency_world_with (4, agencies);
    assert_non_null (w->world);
    w->elder = agencies[0];
    w->pov = agencies[1];
    w->dis = agencies[2];
    w->child = agencies[3];
    tsg_uuid_new (w->case_id);
    s_refer (w, w->elder, w->pov);
    *state = w;
    return 0;
}

/* The case with three agencies at version 2 (multi-agency), known to all three. */
static void
s_three_agencies (s_world_t *w)
{
    s_refer (w, w->elder, w->dis);
    s_case_update (w, w->elder, "multi-agency", 2, 3, NULL);
    s_case_update (w, w->pov, "multi-agency", 2, 3, NULL);
    s_case_update (w, w->dis, "multi-agency", 2, 3, NULL);
    agency_world_sent_clear (w->world, w->elder);
    agency_world_sent_clear (w->world, w->pov);
    agency_world_sent_clear (w->world, w->dis);
}

static int
s_teardown (void **state)
{
    s_world_t *w = *state;
    free (w->update);
    agency_world_destroy (&w->world);
    free (w);
    return 0;
}

static json_t *
s_case (tsg_agency_t *agency, const char *case_id)
{
    char path[96];
    json_t *reply = NULL;
    snprintf (path, sizeof path, "/v1/cases/%s", case_id);
    assert_int_equal (agency_world_request (agency, "GET", path, NULL, &reply), 200);
    return reply;
}

static int
s_event (s_world_t *w, tsg_agency_t *agency, const char *body, json_t **reply)
{
    char path[96];
    snprintf (path, sizeof path, "/v1/cases/%s/events", w->case_id);
    return agency_world_request (agency, "POST", path, body, reply);
}

/* The receipt agency sent last is DELIVERED to recipient. */
static void
s_expect_delivered (s_world_t *w, tsg_agency_t *agency, const char *recipient)
{
    size_t len;
    uint8_t *data = agency_world_take (w->world, agency, TSUNAGU__V1__KIND__KIND_RECEIPT, &len);
    assert_non_null (data);
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (data, len, &env), TSG_OK);
    assert_int_equal (env.letter->receipt->type, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED);
    assert_string_equal (env.letter->recipient, recipient);
    tsg_envelope_clear (&env);
    free (data);
}

static void
test_copy_from_case_update (void **state)
{
    s_world_t *w = *state;
    /* Before the coordinator speaks: the referral only. */
    json_t *list = NULL;
    assert_int_equal (agency_world_request (w->elder, "GET", "/v1/cases", NULL, &list), 200);
    json_t *items = json_object_get (list, "items");
    assert_int_equal (json_array_size (items), 1);
    json_t *item = json_array_get (items, 0);
    assert_string_equal (json_string_value (json_object_get (item, "case_id")), w->case_id);
    assert_true (json_is_null (json_object_get (item, "state")));
    assert_int_equal (json_integer_value (json_object_get (item, "version")), 0);
    assert_true (json_is_false (json_object_get (item, "synced")));
    json_t *referral = json_array_get (json_object_get (item, "referrals"), 0);
    assert_string_equal (json_string_value (json_object_get (referral, "role")), "sender");
    assert_string_equal (json_string_value (json_object_get (referral, "with")), "pov-a");
    assert_string_equal (json_string_value (json_object_get (referral, "state")), "requested");
    json_decref (list);
    json_t *copy = s_case (w->pov, w->case_id);
    referral = json_array_get (json_object_get (copy, "referrals"), 0);
    assert_string_equal (json_string_value (json_object_get (referral, "role")), "recipient");
    assert_string_equal (json_string_value (json_object_get (referral, "with")), "elder-a");
    json_decref (copy);

    /* The coordinator's copy, acknowledged to it. */
    s_case_update (w, w->pov, "multi-agency", 3, 3, NULL);
    s_expect_delivered (w, w->pov, "coordinator");
    copy = s_case (w->pov, w->case_id);
    assert_string_equal (json_string_value (json_object_get (copy, "state")), "multi-agency");
    assert_string_equal (json_string_value (json_object_get (copy, "state_label")), "多機関協働");
    assert_int_equal (json_integer_value (json_object_get (copy, "version")), 3);
    assert_true (json_is_true (json_object_get (copy, "synced")));
    assert_int_equal (json_array_size (json_object_get (copy, "agencies")), 3);
    assert_string_equal (json_string_value (json_array_get (json_object_get (copy, "agencies"), 2)),
                         "dis-a");
    assert_string_equal (json_string_value (json_array_get (json_object_get (copy, "tags"), 1)),
                         "生活困窮");
    assert_string_equal (json_string_value (json_object_get (copy, "roster_kind")), "shien");
    assert_int_equal (json_array_size (json_object_get (copy, "roster")), 2);
    json_t *role = json_array_get (json_object_get (copy, "roles"), 1);
    assert_string_equal (json_string_value (json_object_get (role, "agency")), "pov-a");
    assert_string_equal (json_string_value (json_object_get (role, "role")), "家計改善支援");
    assert_string_equal (json_string_value (json_object_get (copy, "next_review_on")),
                         "2026-12-15");
    json_decref (copy);

    /* The same letter again: acknowledged again, nothing changes.  An older one is ignored. */
    assert_int_equal (agency_world_deliver (w->pov, w->update, w->update_len), TSG_OK);
    s_expect_delivered (w, w->pov, "coordinator");
    s_case_update (w, w->pov, "open", 1, 2, NULL);
    s_expect_delivered (w, w->pov, "coordinator");
    copy = s_case (w->pov, w->case_id);
    assert_string_equal (json_string_value (json_object_get (copy, "state")), "multi-agency");
    assert_int_equal (json_integer_value (json_object_get (copy, "version")), 3);
    json_decref (copy);

    /* Filters and unknown cases. */
    assert_int_equal (
        agency_world_request (w->pov, "GET", "/v1/cases?state=multi-agency", NULL, &list), 200);
    assert_int_equal (json_array_size (json_object_get (list, "items")), 1);
    json_decref (list);
    assert_int_equal (agency_world_request (w->pov, "GET", "/v1/cases?state=closed", NULL, &list),
                      200);
    assert_int_equal (json_array_size (json_object_get (list, "items")), 0);
    json_decref (list);
    assert_int_equal (agency_world_request (w->pov, "GET", "/v1/cases?state=done", NULL, &list),
                      400);
    json_decref (list);
    assert_int_equal (agency_world_request (w->child, "GET", "/v1/cases", NULL, &list), 200);
    assert_int_equal (json_array_size (json_object_get (list, "items")), 0);
    json_decref (list);
    char path[96];
    snprintf (path, sizeof path, "/v1/cases/%s", w->case_id);
    assert_int_equal (agency_world_request (w->child, "GET", path, NULL, &list), 404);
    json_decref (list);
    /* Nothing from the coordinator lands in the inbox. */
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_INBOX), 1);
}

/* Posts an event that must be refused with status and code, leaving nothing to send. */
static void
s_refused (s_world_t *w, tsg_agency_t *agency, const char *body, int status, const char *code,
           const char *field)
{
    json_t *reply = NULL;
    size_t outbox = agency_world_count (agency, AGENCY_DB_OUTBOX);
    size_t sent = agency_world_sent_count (w->world, agency);
    assert_int_equal (s_event (w, agency, body, &reply), status);
    assert_string_equal (json_string_value (json_object_get (reply, "error")), code);
    if (field && !json_object_get (json_object_get (reply, "fields"), field)) {
        char *text = json_dumps (reply, 0);
        fail_msg ("no field %s in %s", field, text);
    }
    json_decref (reply);
    assert_int_equal (agency_world_count (agency, AGENCY_DB_OUTBOX), outbox);
    assert_int_equal (agency_world_sent_count (w->world, agency), sent);
}

static void
test_event_validation (void **state)
{
    s_world_t *w = *state;
    /* No copy from the coordinator yet. */
    s_refused (w, w->elder, "{\"type\":\"state\",\"state\":\"assessment\"}", 409, "stale_version",
               NULL);
    s_three_agencies (w);
    /* Malformed. */
    s_refused (w, w->elder, "[]", 400, "bad_json", NULL);
    s_refused (w, w->elder, "{}", 400, "invalid", "type");
    s_refused (w, w->elder, "{\"type\":\"visit\"}", 400, "invalid", "type");
    s_refused (w, w->elder, "{\"type\":\"state\"}", 400, "invalid", "state");
    s_refused (w, w->elder, "{\"type\":\"state\",\"state\":\"finished\"}", 400, "invalid", "state");
    s_refused (w, w->elder, "{\"type\":\"state\",\"state\":\"closed\",\"reason\":\"x\"}", 400,
               "invalid", "state");
    s_refused (w, w->elder, "{\"type\":\"state\",\"state\":\"assessment\",\"extra\":1}", 400,
               "invalid", "extra");
    s_refused (w, w->elder, "{\"type\":\"state\",\"state\":\"assessment\",\"base_version\":0}", 400,
               "invalid", "base_version");
    s_refused (w, w->elder, "{\"type\":\"close\"}", 400, "invalid", "close_reason");
    s_refused (w, w->elder, "{\"type\":\"close\",\"close_reason\":\"bored\"}", 400, "invalid",
               "close_reason");
    s_refused (w, w->elder, "{\"type\":\"meeting\"}", 400, "invalid", "meeting");
    s_refused (w, w->elder, "{\"type\":\"state\",\"state\":\"assessment\",\"meeting\":{}}", 400,
               "invalid", "meeting");
    s_refused (w, w->elder,
               "{\"type\":\"meeting\",\"meeting\":{\"kind\":\"tea\",\"held_on\":\"2026-11-30\","
               "\"attendees\":[\"elder-a\"]}}",
               400, "invalid", "meeting.kind");
    s_refused (w, w->elder,
               "{\"type\":\"meeting\",\"meeting\":{\"kind\":\"shien\",\"held_on\":\"2026-02-30\","
               "\"attendees\":[\"elder-a\"]}}",
               400, "invalid", "meeting.held_on");
    s_refused (w, w->elder,
               "{\"type\":\"meeting\",\"meeting\":{\"kind\":\"shien\",\"held_on\":\"2026-11-30\","
               "\"attendees\":[]}}",
               400, "invalid", "meeting.attendees");
    s_refused (w, w->elder,
               "{\"type\":\"meeting\",\"meeting\":{\"kind\":\"shien\",\"held_on\":\"2026-11-30\","
               "\"attendees\":[\"Elder A\"]}}",
               400, "invalid", "meeting.attendees[0]");
    s_refused (w, w->elder,
               "{\"type\":\"meeting\",\"meeting\":{\"kind\":\"shien\",\"held_on\":\"2026-11-30\","
               "\"attendees\":[\"elder-a\"],\"decision\":\"山田さんは支援継続\"}}",
               400, "invalid", "meeting.decision");
    s_refused (w, w->elder, "{\"type\":\"plan\",\"plan\":{\"roles\":[]}}", 400, "invalid",
               "plan.roles");
    s_refused (w, w->elder,
               "{\"type\":\"plan\",\"plan\":{\"roles\":[{\"agency\":\"pov-a\"}],"
               "\"next_review_on\":\"soon\"}}",
               400, "invalid", "plan.next_review_on");
    s_refused (
        w, w->elder,
        "{\"type\":\"note\",\"note\":{\"category\":\"gossip\",\"written_on\":\"2026-11-30\"}}", 400,
        "invalid", "note.category");
    s_refused (w, w->elder, "{\"type\":\"note\",\"note\":{\"category\":\"visit\"}}", 400, "invalid",
               "note.written_on");
    /* Against the copy. */
    s_refused (w, w->elder, "{\"type\":\"state\",\"state\":\"assessment\",\"base_version\":1}", 409,
               "stale_version", NULL);
    s_refused (w, w->elder, "{\"type\":\"state\",\"state\":\"support\"}", 422, "illegal_transition",
               NULL);
    s_refused (w, w->elder, "{\"type\":\"state\",\"state\":\"multi-agency\"}", 422,
               "illegal_transition", NULL);
    s_refused (w, w->elder, "{\"type\":\"reopen\",\"reason\":\"再相談\"}", 422,
               "illegal_transition", NULL);
    s_refused (w, w->elder,
               "{\"type\":\"meeting\",\"meeting\":{\"kind\":\"shien\",\"held_on\":\"2026-11-30\","
               "\"attendees\":[\"elder-a\",\"nobody-x\"]}}",
               422, "unknown_agency", "meeting.attendees[1]");
    s_refused (
        w, w->elder,
        "{\"type\":\"plan\",\"plan\":{\"roles\":[{\"agency\":\"nobody-x\",\"role\":\"a\"}]}}", 422,
        "unknown_agency", "plan.roles[0].agency");
    /* Not on the case: no copy at all, or a copy that does not list us. */
    s_refused (w, w->child, "{\"type\":\"state\",\"state\":\"assessment\"}", 404, "not_found",
               NULL);
    s_case_update (w, w->child, "multi-agency", 2, 3, NULL);
    agency_world_sent_clear (w->world, w->child);
    s_refused (w, w->child, "{\"type\":\"state\",\"state\":\"assessment\"}", 422, "not_permitted",
               NULL);
    /* Closing and watching are allowed from here. */
    json_t *reply = NULL;
    assert_int_equal (
        s_event (w, w->elder, "{\"type\":\"close\",\"close_reason\":\"moved-away\"}", &reply), 202);
    json_decref (reply);
}

static const char s_meeting[] =
    "{\"type\":\"meeting\",\"reason\":\"長男の就労意欲\",\"meeting\":{\"kind\":\"shien\","
    "\"held_on\":\"2026-11-30\",\"attendees\":[\"elder-a\",\"pov-a\",\"dis-a\"],"
    "\"decision\":\"plan-adopted\",\"minutes\":\"母の介護と長男の就労を並行して支援する\"}}";

static void
test_sealed_bodies (void **state)
{
    s_world_t *w = *state;
    s_three_agencies (w);
    json_t *reply = NULL;
    assert_int_equal (s_event (w, w->elder, s_meeting, &reply), 202);
    const char *event_id = json_string_value (json_object_get (reply, "event_id"));
    assert_true (tsg_uuid_valid (event_id));
    assert_int_equal (json_integer_value (json_object_get (reply, "base_version")), 2);
    char id[TSG_UUID_TEXT_SIZE];
    snprintf (id, sizeof id, "%s", event_id);
    json_decref (reply);

    size_t len;
    uint8_t *data =
        agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_CASE_EVENT, &len);
    assert_non_null (data);
    /* No personal text in the clear. */
    assert_null (memmem (data, len, "長男", strlen ("長男")));
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (data, len, &env), TSG_OK);
    const tsg_letter_t *letter = env.letter;
    assert_string_equal (letter->recipient, "coordinator");
    assert_int_equal (letter->body.len, 0);
    assert_true (letter->sequence > 0);
    assert_string_equal (letter->header->case_id, w->case_id);
    assert_int_equal (letter->header->base_version, 2);
    assert_true (letter->header->reason_given);
    const Tsunagu__V1__CaseEvent *ce = letter->header->case_event;
    assert_non_null (ce);
    assert_string_equal (ce->event_id, id);
    assert_int_equal (ce->type, TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING);
    assert_int_equal (ce->meeting->kind, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN);
    assert_int_equal (ce->meeting->n_attendees, 3);
    assert_string_equal (ce->meeting->decision, "plan-adopted");
    /* One body for each other agency; each opens its own, nobody else's. */
    assert_int_equal (letter->n_sealed_bodies, 2);
    const uint8_t *elder_box = tsg_keys_box_public (w->elder->config->keys);
    for (size_t i = 0; i < 2; i++) {
        const Tsunagu__V1__SealedBody *sealed = letter->sealed_bodies[i];
        tsg_agency_t *owner = strcmp (sealed->recipient, "pov-a") == 0 ? w->pov : w->dis;
        tsg_agency_t *other = owner == w->pov ? w->dis : w->pov;
        assert_string_equal (sealed->recipient, owner->config->id);
        Tsunagu__V1__Body *body = NULL;
        assert_int_equal (
            tsg_body_open (owner->boxer, elder_box, sealed->box.data, sealed->box.len, &body),
            TSG_OK);
        json_t *content =
            json_loadb ((const char *) body->content.data, body->content.len, 0, NULL);
        assert_string_equal (json_string_value (json_object_get (content, "minutes")),
                             "母の介護と長男の就労を並行して支援する");
        assert_string_equal (json_string_value (json_object_get (content, "reason")),
                             "長男の就労意欲");
        json_decref (content);
        tsunagu__v1__body__free_unpacked (body, NULL);
        body = NULL;
        assert_int_not_equal (
            tsg_body_open (other->boxer, elder_box, sealed->box.data, sealed->box.len, &body),
            TSG_OK);
        assert_int_not_equal (
            tsg_body_open (w->child->boxer, elder_box, sealed->box.data, sealed->box.len, &body),
            TSG_OK);
    }
    tsg_envelope_clear (&env);

    /* Fanned out: pov and dis keep the event with its content and acknowledge it to elder. */
    assert_int_equal (agency_world_store_ack (w->world, w->elder, data, len), TSG_OK);
    tsg_agency_t *members[2] = { w->pov, w->dis };
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal (agency_world_deliver (members[i], data, len), TSG_OK);
        size_t receipt_len;
        uint8_t *receipt =
            agency_world_take (w->world, members[i], TSUNAGU__V1__KIND__KIND_RECEIPT, &receipt_len);
        assert_non_null (receipt);
        assert_int_equal (agency_world_deliver (w->elder, receipt, receipt_len), TSG_OK);
        free (receipt);
        json_t *copy = s_case (members[i], w->case_id);
        json_t *events = json_object_get (copy, "events");
        assert_int_equal (json_array_size (events), 1);
        json_t *event = json_array_get (events, 0);
        assert_string_equal (json_string_value (json_object_get (event, "event_id")), id);
        assert_string_equal (json_string_value (json_object_get (event, "by")), "elder-a");
        assert_string_equal (json_string_value (json_object_get (event, "origin")), "received");
        assert_string_equal (json_string_value (json_object_get (event, "type")), "meeting");
        json_t *meeting = json_object_get (event, "meeting");
        assert_string_equal (json_string_value (json_object_get (meeting, "kind")), "shien");
        assert_string_equal (json_string_value (json_object_get (meeting, "held_on")),
                             "2026-11-30");
        assert_string_equal (
            json_string_value (json_object_get (json_object_get (event, "content"), "minutes")),
            "母の介護と長男の就労を並行して支援する");
        json_decref (copy);
    }
    /* The inbox lists it with its body opened. */
    json_t *page = NULL;
    assert_int_equal (agency_world_request (w->dis, "GET", "/v1/inbox", NULL, &page), 200);
    json_t *items = json_object_get (page, "items");
    json_t *last = json_array_get (items, json_array_size (items) - 1);
    assert_string_equal (json_string_value (json_object_get (last, "kind")), "case-event");
    assert_string_equal (json_string_value (json_object_get (last, "event_type")), "meeting");
    assert_string_equal (
        json_string_value (json_object_get (json_object_get (last, "body"), "reason")),
        "長男の就労意欲");
    json_decref (page);
    /* The sender sees who holds it. */
    json_t *copy = s_case (w->elder, w->case_id);
    json_t *event = json_array_get (json_object_get (copy, "events"), 0);
    assert_string_equal (json_string_value (json_object_get (event, "status")), "stored");
    assert_int_equal (json_array_size (json_object_get (event, "delivered_to")), 2);
    json_decref (copy);
    /* A third agency not on the case gets the letter by mistake: nothing to open. */
    assert_int_equal (agency_world_deliver (w->child, data, len), TSG_OK);
    copy = s_case (w->child, w->case_id);
    event = json_array_get (json_object_get (copy, "events"), 0);
    assert_true (json_is_null (json_object_get (event, "content")));
    json_decref (copy);
    free (data);
}

static void
test_own_event_lifecycle (void **state)
{
    s_world_t *w = *state;
    s_three_agencies (w);
    json_t *reply = NULL;
    assert_int_equal (s_event (w, w->pov, "{\"type\":\"state\",\"state\":\"assessment\"}", &reply),
                      202);
    char first[TSG_UUID_TEXT_SIZE];
    snprintf (first, sizeof first, "%s", json_string_value (json_object_get (reply, "event_id")));
    assert_int_equal (json_integer_value (json_object_get (reply, "base_version")), 2);
    json_decref (reply);
    size_t len1, len2;
    uint8_t *letter1 =
        agency_world_take (w->world, w->pov, TSUNAGU__V1__KIND__KIND_CASE_EVENT, &len1);
    /* Chained on the first: based on 3, from assessment. */
    s_refused (w, w->pov, "{\"type\":\"state\",\"state\":\"conference\",\"base_version\":2}", 409,
               "stale_version", NULL);
    assert_int_equal (
        s_event (
            w, w->pov,
            "{\"type\":\"plan\",\"plan\":{\"roles\":[{\"agency\":\"elder-a\",\"role\":\"介護\"},"
            "{\"agency\":\"pov-a\",\"role\":\"家計\"}],\"next_review_on\":\"2027-01-15\","
            "\"content\":{\"目標\":\"家賃の分納\"}},\"legal_basis\":\"consent\","
            "\"consent_id\":\"c-1\",\"data_categories\":[\"finances\"]}",
            &reply),
        202);
    assert_int_equal (json_integer_value (json_object_get (reply, "base_version")), 3);
    json_decref (reply);
    uint8_t *letter2 =
        agency_world_take (w->world, w->pov, TSUNAGU__V1__KIND__KIND_CASE_EVENT, &len2);
    json_t *copy = s_case (w->pov, w->case_id);
    assert_int_equal (json_array_size (json_object_get (copy, "pending_events")), 2);
    json_t *events = json_object_get (copy, "events");
    assert_int_equal (json_array_size (events), 2);
    assert_string_equal (json_string_value (json_object_get (json_array_get (events, 0), "status")),
                         "pending");
    assert_string_equal (
        json_string_value (json_object_get (
            json_object_get (json_object_get (json_array_get (events, 1), "content"), "plan"),
            "目標")),
        "家賃の分納");
    json_decref (copy);

    /* The first is stored and reflected; the second refused as stale. */
    assert_int_equal (agency_world_store_ack (w->world, w->pov, letter1, len1), TSG_OK);
    s_case_update (w, w->pov, "assessment", 3, 3, first);
    assert_int_equal (agency_world_error (w->world, w->pov, letter2, len2,
                                          TSUNAGU__V1__ERROR_CODE__ERROR_STALE_VERSION, true),
                      TSG_OK);
    copy = s_case (w->pov, w->case_id);
    assert_string_equal (json_string_value (json_object_get (copy, "state")), "assessment");
    assert_int_equal (json_array_size (json_object_get (copy, "pending_events")), 0);
    events = json_object_get (copy, "events");
    assert_string_equal (json_string_value (json_object_get (json_array_get (events, 0), "status")),
                         "applied");
    assert_string_equal (json_string_value (json_object_get (json_array_get (events, 1), "status")),
                         "rejected");
    json_t *rejected = json_object_get (copy, "rejected_events");
    assert_int_equal (json_array_size (rejected), 1);
    assert_string_equal (
        json_string_value (json_object_get (json_array_get (rejected, 0), "error")),
        "stale_version");
    json_decref (copy);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_OUTBOX), 0);
    free (letter1);
    free (letter2);
    /* The next one starts from the copy again. */
    assert_int_equal (s_event (w, w->pov, "{\"type\":\"state\",\"state\":\"planning\"}", &reply),
                      202);
    assert_int_equal (json_integer_value (json_object_get (reply, "base_version")), 3);
    json_decref (reply);
}

static void
s_fill_staff_event (tsg_letter_t *letter, void *arg)
{
    static tsg_header_t header;
    tsunagu__v1__header__init (&header);
    header.case_id = arg;
    header.base_version = 2;
    static Tsunagu__V1__CaseEvent ce;
    tsunagu__v1__case_event__init (&ce);
    static char event_id[TSG_UUID_TEXT_SIZE];
    tsg_uuid_new (event_id);
    ce.event_id = event_id;
    ce.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE;
    ce.state = (char *) "assessment";
    header.case_event = &ce;
    letter->header = &header;
    letter->recipient = (char *) TSG_COORDINATOR_ID;
}

static void
test_staff_event (void **state)
{
    s_world_t *w = *state;
    s_three_agencies (w);
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal (agency_world_coordinator_letter (w->world, "pov-a",
                                                       TSUNAGU__V1__KIND__KIND_CASE_EVENT,
                                                       s_fill_staff_event, w->case_id, &data, &len),
                      TSG_OK);
    assert_int_equal (agency_world_deliver (w->pov, data, len), TSG_OK);
    s_expect_delivered (w, w->pov, "coordinator");
    /* Twice: kept once, acknowledged again. */
    assert_int_equal (agency_world_deliver (w->pov, data, len), TSG_OK);
    s_expect_delivered (w, w->pov, "coordinator");
    free (data);
    json_t *copy = s_case (w->pov, w->case_id);
    json_t *events = json_object_get (copy, "events");
    assert_int_equal (json_array_size (events), 1);
    json_t *event = json_array_get (events, 0);
    assert_string_equal (json_string_value (json_object_get (event, "by")), "coordinator");
    assert_string_equal (json_string_value (json_object_get (event, "state")), "assessment");
    json_decref (copy);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_INBOX), 1); /* the referral only */
}

static void
test_copy_survives_restart (void **state)
{
    s_world_t *w = *state;
    s_three_agencies (w);
    json_t *reply = NULL;
    assert_int_equal (s_event (w, w->dis,
                               "{\"type\":\"note\",\"note\":{\"category\":\"visit\","
                               "\"written_on\":\"2026-11-24\",\"text\":\"自宅訪問、本人と面談\"},"
                               "\"legal_basis\":\"consent\",\"consent_id\":\"c-1\"}",
                               &reply),
                      202);
    json_decref (reply);
    size_t len;
    uint8_t *letter =
        agency_world_take (w->world, w->dis, TSUNAGU__V1__KIND__KIND_CASE_EVENT, &len);
    w->dis = agency_world_restart (w->world, w->dis);
    assert_non_null (w->dis);
    assert_int_equal (agency_world_store_ack (w->world, w->dis, letter, len), TSG_OK);
    free (letter);
    json_t *copy = s_case (w->dis, w->case_id);
    assert_string_equal (json_string_value (json_object_get (copy, "state")), "multi-agency");
    json_t *event = json_array_get (json_object_get (copy, "events"), 0);
    assert_string_equal (json_string_value (json_object_get (event, "status")), "stored");
    assert_string_equal (
        json_string_value (json_object_get (json_object_get (event, "content"), "text")),
        "自宅訪問、本人と面談");
    json_t *referral = json_array_get (json_object_get (copy, "referrals"), 0);
    assert_string_equal (json_string_value (json_object_get (referral, "role")), "recipient");
    json_decref (copy);
}

int
main (void)
{
    log_init ("test_agency_cases", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_copy_from_case_update, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_event_validation, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_sealed_bodies, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_own_event_lifecycle, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_staff_event, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_copy_survives_restart, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
