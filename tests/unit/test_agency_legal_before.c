/* Refused before 202 (issue 10, item 2): the agency checks the legal basis of its answers as
 * the coordinator will, on what it knows.  The recipient of a referral under a consent learns
 * the consent from the referral's header and refuses a status change whose reason would go to
 * the original sender the consent does not cover; the meeting bases are judged against the
 * latest roster known here (agency_roster_latest), and what cannot be known here is left to
 * the coordinator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "agency/core/legal.h"
#include "agency_world.h"

#define ELDER "\"eldercare\":{\"care_insurance\":\"要介護1\"}"

/* --- agency_roster_latest, on JSON alone -------------------------------------------------- */

static json_t *
s_json (const char *text)
{
    json_error_t error;
    json_t *j = json_loads (text, 0, &error);
    if (!j)
        fprintf (stderr, "%s: %s\n", text, error.text);
    assert_non_null (j);
    return j;
}

/* The outcome of agency_roster_latest on record and events (JSON texts); the roster as
 * "a,b" in out. */
static agency_roster_t
s_latest (const char *record, const char *events, Tsunagu__V1__MeetingKind kind, char *out,
          size_t size)
{
    json_t *r = s_json (record), *e = s_json (events), *roster = NULL;
    agency_roster_t known = agency_roster_latest (r, e, kind, &roster);
    out[0] = '\0';
    size_t i;
    json_t *id;
    json_array_foreach (roster, i, id)
    {
        size_t n = strlen (out);
        snprintf (out + n, size - n, "%s%s", n ? "," : "", json_string_value (id));
    }
    if (known != AGENCY_ROSTER_KNOWN)
        assert_null (roster);
    json_decref (roster);
    json_decref (r);
    json_decref (e);
    return known;
}

#define SHIEN  TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN
#define KONKYU TSUNAGU__V1__MEETING_KIND__MEETING_KONKYU

static void
test_roster_latest (void **state)
{
    (void) state;
    char got[128];
    /* The coordinator's roster of its last CASE_UPDATE, when it is a 支援会議's. */
    assert_int_equal (
        s_latest ("{\"version\":3,\"roster_kind\":\"shien\",\"roster\":[\"a\",\"b\"]}", "[]", SHIEN,
                  got, sizeof got),
        AGENCY_ROSTER_KNOWN);
    assert_string_equal (got, "a,b");
    /* Our own 支援会議 on its way comes first: the coordinator applies it before our letter. */
    assert_int_equal (
        s_latest ("{\"version\":3,\"roster_kind\":\"shien\",\"roster\":[\"a\",\"b\"]}",
                  "[{\"type\":\"meeting\",\"status\":\"pending\",\"meeting\":{\"kind\":\"shien\","
                  "\"attendees\":[\"a\",\"c\"]}}]",
                  SHIEN, got, sizeof got),
        AGENCY_ROSTER_KNOWN);
    assert_string_equal (got, "a,c");
    /* A refused one counts for nothing. */
    assert_int_equal (
        s_latest ("{\"version\":3,\"roster_kind\":\"shien\",\"roster\":[\"a\",\"b\"]}",
                  "[{\"type\":\"meeting\",\"status\":\"rejected\",\"meeting\":{\"kind\":\"shien\","
                  "\"attendees\":[\"a\",\"c\"]}}]",
                  SHIEN, got, sizeof got),
        AGENCY_ROSTER_KNOWN);
    assert_string_equal (got, "a,b");
    /* A copy at a version whose roster is empty: no 支援会議 was held. */
    assert_int_equal (s_latest ("{\"version\":2,\"roster_kind\":null,\"roster\":[]}", "[]", SHIEN,
                                got, sizeof got),
                      AGENCY_ROSTER_NONE_HELD);
    /* No word from the coordinator yet, or its latest roster a 重層的支援会議's: cannot tell. */
    assert_int_equal (s_latest ("{\"version\":0,\"roster\":[]}", "[]", SHIEN, got, sizeof got),
                      AGENCY_ROSTER_UNKNOWN);
    assert_int_equal (s_latest ("{\"version\":4,\"roster_kind\":\"jusoteki\",\"roster\":[\"a\"]}",
                                "[]", SHIEN, got, sizeof got),
                      AGENCY_ROSTER_UNKNOWN);
    /* A statutory meeting: the last one among the events, applied or fanned out to us. */
    assert_int_equal (
        s_latest ("{\"version\":5,\"roster_kind\":\"shien\",\"roster\":[\"a\"]}",
                  "[{\"type\":\"meeting\",\"status\":\"received\",\"meeting\":{\"kind\":\"konkyu\","
                  "\"attendees\":[\"p\",\"q\"]}},{\"type\":\"note\",\"status\":\"applied\"},"
                  "{\"type\":\"meeting\",\"status\":\"applied\",\"meeting\":{\"kind\":\"konkyu\","
                  "\"attendees\":[\"p\",\"r\"]}}]",
                  KONKYU, got, sizeof got),
        AGENCY_ROSTER_KNOWN);
    assert_string_equal (got, "p,r");
    /* None known here: the agency may have joined after it; the coordinator decides. */
    assert_int_equal (s_latest ("{\"version\":5,\"roster\":[]}", "[]", KONKYU, got, sizeof got),
                      AGENCY_ROSTER_UNKNOWN);
}

/* --- a status change's reason to the original sender -------------------------------------- */

typedef struct {
    agency_world_t *world;            /* the fixture */
    tsg_agency_t *elder;              /* eldercare: elder-a */
    tsg_agency_t *pov;                /* poverty: pov-a */
    char case_id[TSG_UUID_TEXT_SIZE]; /* the household's case */
} s_world_t;

static int
s_setup (void **state)
{
    s_world_t *w = calloc (1, sizeof *w);
    tsg_agency_t *agencies[4];
    w->world = agency_world_with (4, agencies);
    assert_non_null (w->world);
    w->elder = agencies[0];
    w->pov = agencies[1];
    tsg_uuid_new (w->case_id);
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

/* elder grants a consent on the case covering `cover` (a JSON array's members). */
static void
s_grant (s_world_t *w, const char *cover, char consent_id[TSG_UUID_TEXT_SIZE])
{
    char body[1024];
    snprintf (body, sizeof body,
              "{\"case_id\":\"%s\",\"subject\":\"H001-1\",\"categories\":[\"identity\","
              "\"free-text\"],\"purpose\":\"referral\",\"method\":\"written\","
              "\"form_sha256\":\"%064d\",\"valid_until\":\"2099-12-31\",\"cover_agencies\":[%s]}",
              w->case_id, 0, cover);
    json_t *reply = NULL;
    agency_world_sent_clear (w->world, w->elder);
    assert_int_equal (agency_world_request (w->elder, "POST", "/v1/consents", body, &reply), 202);
    snprintf (consent_id, TSG_UUID_TEXT_SIZE, "%s",
              json_string_value (json_object_get (reply, "consent_id")));
    json_decref (reply);
    size_t len;
    uint8_t *data =
        agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_CONSENT_GRANT, &len);
    assert_non_null (data);
    assert_int_equal (agency_world_store_ack (w->world, w->elder, data, len), TSG_OK);
    free (data);
}

/* elder refers the household to pov under consent_id; pov holds it.  Its header carries the
 * consent's info (no subject). */
static void
s_refer (s_world_t *w, const char *consent_id, char referral_id[TSG_UUID_TEXT_SIZE])
{
    char body[1024];
    snprintf (body, sizeof body,
              "{\"to\":\"pov-a\",\"case_id\":\"%s\",\"legal_basis\":\"consent\",\"consent_id\":"
              "\"%s\",\"data_categories\":[\"identity\"],\"sheet\":{" ELDER "}}",
              w->case_id, consent_id);
    json_t *reply = NULL;
    agency_world_sent_clear (w->world, w->elder);
    assert_int_equal (agency_world_request (w->elder, "POST", "/v1/referrals", body, &reply), 202);
    snprintf (referral_id, TSG_UUID_TEXT_SIZE, "%s",
              json_string_value (json_object_get (reply, "referral_id")));
    json_decref (reply);
    size_t len;
    uint8_t *data = agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_REFERRAL, &len);
    assert_non_null (data);
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (data, len, &env), TSG_OK);
    const Tsunagu__V1__ConsentInfo *info = env.letter->header->consent;
    assert_non_null (info);
    assert_string_equal (info->consent_id, consent_id);
    assert_int_equal (info->n_cover_agencies, 1);
    assert_string_equal (info->cover_agencies[0], "pov-a");
    assert_true (!info->subject || !*info->subject);
    tsg_envelope_clear (&env);
    assert_int_equal (agency_world_store_ack (w->world, w->elder, data, len), TSG_OK);
    assert_int_equal (agency_world_deliver (w->pov, data, len), TSG_OK);
    agency_world_sent_clear (w->world, w->pov);
    free (data);
}

static void
test_status_reason_to_original_sender (void **state)
{
    s_world_t *w = *state;
    char c1[TSG_UUID_TEXT_SIZE], referral_id[TSG_UUID_TEXT_SIZE], path[128];
    s_grant (w, "\"pov-a\"", c1);
    s_refer (w, c1, referral_id);
    /* pov learnt C1 from the referral. */
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (w->pov, "GET", "/v1/consents", NULL, &reply), 200);
    char *text = json_dumps (reply, 0);
    assert_non_null (strstr (text, c1));
    free (text);
    json_decref (reply);

    snprintf (path, sizeof path, "/v1/referrals/%s/status", referral_id);
    /* Without a reason nothing personal travels: 202. */
    assert_int_equal (
        agency_world_request (w->pov, "POST", path, "{\"status\":\"received\"}", &reply), 202);
    json_decref (reply);
    agency_world_sent_clear (w->world, w->pov);
    uint64_t sequence = w->pov->next_sequence;
    size_t outbox = agency_world_count (w->pov, AGENCY_DB_OUTBOX);
    int status = agency_world_request (
        w->pov, "POST", path, "{\"status\":\"rejected\",\"reason\":\"管轄外のため\"}", &reply);
    assert_int_equal (status, 422);
    assert_string_equal (json_string_value (json_object_get (reply, "error")),
                         "missing_legal_basis");
    const char *message = json_string_value (json_object_get (reply, "message"));
    assert_non_null (strstr (message, c1));
    assert_non_null (strstr (message, "does not cover elder-a"));
    json_decref (reply);
    /* Nothing sealed, queued, stored or sent. */
    assert_int_equal (w->pov->next_sequence, sequence);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_OUTBOX), outbox);
    assert_int_equal (agency_world_sent_count (w->world, w->pov), 0);
    assert_null (w->pov->pending);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_roster_latest),
        cmocka_unit_test_setup_teardown (test_status_reason_to_original_sender, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
