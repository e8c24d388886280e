/* test_agency_succession.c — an agency succession (組織改編) as an agency daemon receives it: the
 * coordinator's SUCCESSION case event puts the successor in the previous agency's place in the
 * case copy (agencies and plan roles) and keeps the event in its history, flags the consents it
 * lists that this agency knows as renewal needed (GET /v1/consents), and tells the agency's own
 * system on its event feed (case.succession); a consent it does not list stays as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "agency_world.h"

#define OLD "pov-a"
#define NEW "pov-b"

typedef struct {
    agency_world_t *world;            /* the fixture */
    tsg_agency_t *elder;              /* the agency that hears of the succession */
    char case_id[TSG_UUID_TEXT_SIZE]; /* the household's case */
} s_world_t;

static int
s_setup (void **state)
{
    s_world_t *w = calloc (1, sizeof *w);
    tsg_agency_t *agencies[2];
    w->world = agency_world_with (2, agencies);
    assert_non_null (w->world);
    assert_non_null (agency_world_agency (w->world, NEW, "poverty"));
    agency_world_publish (w->world);
    w->elder = agencies[0];
    tsg_uuid_new (w->case_id);
    /* The case of elder-a and OLD, OLD holding a role. */
    Tsunagu__V1__CaseUpdate u = TSUNAGU__V1__CASE_UPDATE__INIT;
    char *ids[] = { (char *) "elder-a", (char *) OLD };
    Tsunagu__V1__PlanRole roles[2], *role_list[2];
    for (size_t i = 0; i < 2; i++) {
        tsunagu__v1__plan_role__init (&roles[i]);
        roles[i].agency_id = ids[i];
        roles[i].role = (char *) (i == 0 ? "見守り" : "家計改善");
        role_list[i] = &roles[i];
    }
    u.case_id = w->case_id;
    u.state = (char *) "multi-agency";
    u.version = 2;
    u.n_agencies = 2;
    u.agencies = ids;
    u.n_roles = 2;
    u.roles = role_list;
    u.last_event_by = (char *) "coordinator";
    assert_int_equal (agency_world_case_update (w->world, w->elder, &u), TSG_OK);
    *state = w;
    return 0;
}

static int
s_teardown (void **state)
{
    s_world_t *w = *state;
    agency_world_destroy (&w->world);
    free (w);
    return 0;
}

/* Registers a consent of the case at elder covering `cover` by id; its id into consent_id. */
static void
s_consent (s_world_t *w, const char *cover, char consent_id[TSG_UUID_TEXT_SIZE])
{
    static const char form[] = "同意書（合成データ）";
    uint8_t digest[crypto_hash_sha256_BYTES];
    char hex[2 * sizeof digest + 1];
    crypto_hash_sha256 (digest, (const uint8_t *) form, strlen (form));
    tsg_hex_encode (digest, sizeof digest, hex);
    char body[1024];
    snprintf (body, sizeof body,
              "{\"case_id\":\"%s\",\"subject\":\"H001-1\",\"cover_agencies\":[\"%s\"],"
              "\"categories\":[\"identity\"],\"purpose\":\"referral\",\"method\":\"written\","
              "\"valid_until\":\"2099-12-31\",\"form_sha256\":\"%s\"}",
              w->case_id, cover, hex);
    json_t *reply = NULL;
    int status = agency_world_request (w->elder, "POST", "/v1/consents", body, &reply);
    if (status != 202)
        fail_msg ("POST /v1/consents: %d %s", status, json_dumps (reply, 0));
    snprintf (consent_id, TSG_UUID_TEXT_SIZE, "%s",
              json_string_value (json_object_get (reply, "consent_id")));
    json_decref (reply);
}

/* What the coordinator's succession event says. */
typedef struct {
    const char *case_id;  /* the case */
    const char *renew[2]; /* consents_to_renew */
    size_t n_renew;       /* how many */
} s_event_t;

static void
s_fill (tsg_letter_t *letter, void *arg)
{
    const s_event_t *e = arg;
    static tsg_header_t header;
    static Tsunagu__V1__CaseEvent ce;
    static Tsunagu__V1__Succession su;
    static char event_id[TSG_UUID_TEXT_SIZE];
    tsunagu__v1__header__init (&header);
    tsunagu__v1__case_event__init (&ce);
    tsunagu__v1__succession__init (&su);
    tsg_uuid_new (event_id);
    su.previous_agency = (char *) OLD;
    su.agency = (char *) NEW;
    su.effective_on = (char *) "2026-12-01";
    su.n_consents_to_renew = e->n_renew;
    su.consents_to_renew = (char **) e->renew;
    ce.event_id = event_id;
    ce.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_SUCCESSION;
    ce.succession = &su;
    header.case_id = (char *) e->case_id;
    header.base_version = 2;
    header.case_event = &ce;
    letter->header = &header;
    letter->recipient = (char *) TSG_COORDINATOR_ID;
}

static json_t *
s_get (s_world_t *w, const char *path)
{
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (w->elder, "GET", path, NULL, &reply), 200);
    return reply;
}

static void
test_succession_applied (void **state)
{
    s_world_t *w = *state;
    char named[TSG_UUID_TEXT_SIZE], other[TSG_UUID_TEXT_SIZE];
    s_consent (w, OLD, named);
    s_consent (w, "elder-a", other);
    s_event_t e = { .case_id = w->case_id,
                    .renew = { named, "5b2c1d9e-0000-4000-8000-00000000ffff" },
                    .n_renew = 2 };
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal (agency_world_coordinator_letter (w->world, "elder-a",
                                                       TSUNAGU__V1__KIND__KIND_CASE_EVENT, s_fill,
                                                       &e, &data, &len),
                      TSG_OK);
    assert_int_equal (agency_world_deliver (w->elder, data, len), TSG_OK);
    free (data);

    char path[128];
    snprintf (path, sizeof path, "/v1/cases/%s", w->case_id);
    json_t *c = s_get (w, path);
    json_t *agencies = json_object_get (c, "agencies");
    assert_int_equal (json_array_size (agencies), 2);
    assert_string_equal (json_string_value (json_array_get (agencies, 0)), "elder-a");
    assert_string_equal (json_string_value (json_array_get (agencies, 1)), NEW);
    json_t *role = json_array_get (json_object_get (c, "roles"), 1);
    assert_string_equal (json_string_value (json_object_get (role, "agency")), NEW);
    assert_string_equal (json_string_value (json_object_get (role, "role")), "家計改善");
    size_t i, found = 0;
    json_t *ev;
    json_array_foreach (json_object_get (c, "events"), i, ev)
    {
        const char *type = json_string_value (json_object_get (ev, "type"));
        if (type && strcmp (type, "succession") == 0) {
            json_t *su = json_object_get (ev, "succession");
            assert_string_equal (json_string_value (json_object_get (su, "previous_agency")), OLD);
            assert_string_equal (json_string_value (json_object_get (su, "agency")), NEW);
            found++;
        }
    }
    assert_int_equal (found, 1);
    json_decref (c);

    snprintf (path, sizeof path, "/v1/consents?case=%s", w->case_id);
    json_t *list = s_get (w, path);
    json_t *item;
    size_t flagged = 0;
    json_array_foreach (json_object_get (list, "items"), i, item)
    {
        const char *id = json_string_value (json_object_get (item, "consent_id"));
        bool renew = json_is_true (json_object_get (item, "renewal_needed"));
        assert_true (renew == (strcmp (id, named) == 0));
        if (renew) {
            json_t *r = json_object_get (item, "renewal");
            assert_string_equal (json_string_value (json_object_get (r, "agency")), NEW);
            assert_string_equal (json_string_value (json_object_get (r, "reason")), "succession");
            flagged++;
        }
    }
    assert_int_equal (flagged, 1);
    json_decref (list);

    json_t *feed = s_get (w, "/v1/events?after=0&limit=500");
    found = 0;
    json_array_foreach (json_object_get (feed, "events"), i, ev)
    {
        const char *type = json_string_value (json_object_get (ev, "type"));
        if (!type || strcmp (type, "case.succession") != 0)
            continue;
        json_t *d = json_object_get (ev, "data");
        assert_string_equal (json_string_value (json_object_get (d, "case_id")), w->case_id);
        assert_string_equal (json_string_value (json_object_get (d, "agency")), NEW);
        json_t *renew = json_object_get (d, "consents_to_renew");
        assert_int_equal (json_array_size (renew), 1); /* the unknown one is not ours */
        assert_string_equal (json_string_value (json_array_get (renew, 0)), named);
        found++;
    }
    assert_int_equal (found, 1);
    json_decref (feed);
}

int
main (void)
{
    log_init ("test_agency_succession", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_succession_applied, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
