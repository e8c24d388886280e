/* The legal basis at the agency API: every referral, status change and case event with
 * personal content names its basis and data categories before anything is sealed; the API
 * refuses what the law does not allow (an emergency report from poverty, a consent known here
 * to be revoked, expired or too narrow, another type's statutory meeting) and the headers carry
 * what the coordinator checks. */
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

#define ELDER  "\"eldercare\":{\"care_insurance\":\"要介護1\"}"
#define POV    "\"poverty\":{\"income_band\":\"収入なし\"}"
#define DAY_MS (24ULL * 3600 * 1000)

typedef struct {
    agency_world_t *world;            /* the fixture */
    tsg_agency_t *elder;              /* eldercare */
    tsg_agency_t *pov;                /* poverty */
    tsg_agency_t *child;              /* child */
    tsg_agency_t *dis;                /* disability */
    char case_id[TSG_UUID_TEXT_SIZE]; /* a household's case */
} s_world_t;

static uint64_t s_clock_ms; /* 0: the real clock */

static uint64_t
s_clock (void)
{
    return s_clock_ms;
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
    w->child = agencies[3];
    w->dis = agencies[2];
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
    tsg_clock_set (NULL);
    return 0;
}

/* Nothing sealed, stored or sent by agency since the counts were taken. */
typedef struct {
    uint64_t sequence; /* next sequence then */
    size_t outbox;     /* outbox entries then */
} s_mark_t;

static s_mark_t
s_mark (s_world_t *w, tsg_agency_t *agency)
{
    agency_world_sent_clear (w->world, agency);
    return (s_mark_t){ agency->next_sequence, agency_world_count (agency, AGENCY_DB_OUTBOX) };
}

static void
s_nothing_since (s_world_t *w, tsg_agency_t *agency, s_mark_t mark)
{
    assert_int_equal (agency->next_sequence, mark.sequence);
    assert_int_equal (agency_world_count (agency, AGENCY_DB_OUTBOX), mark.outbox);
    assert_int_equal (agency_world_sent_count (w->world, agency), 0);
    assert_null (agency->pending);
}

/* A request refused with status and code, naming field (when given) with a problem holding
 * words (when given); nothing is stored or sent. */
static void
s_refused (s_world_t *w, tsg_agency_t *agency, const char *method, const char *path,
           const char *body, int status, const char *code, const char *field, const char *words)
{
    s_mark_t mark = s_mark (w, agency);
    json_t *reply = NULL;
    int got = agency_world_request (agency, method, path, body, &reply);
    const char *error = json_string_value (json_object_get (reply, "error"));
    const char *problem =
        field ? json_string_value (json_object_get (json_object_get (reply, "fields"), field))
              : json_string_value (json_object_get (reply, "message"));
    if (got != status || !error || strcmp (error, code) != 0 || !problem
        || (words && !strstr (problem, words)))
        fprintf (stderr, "%s %s %s → %d %s\n", method, path, body, got,
                 reply ? json_dumps (reply, 0) : "");
    assert_int_equal (got, status);
    assert_string_equal (error, code);
    assert_non_null (problem);
    if (words)
        assert_non_null (strstr (problem, words));
    json_decref (reply);
    s_nothing_since (w, agency, mark);
}

static void
s_referral_refused (s_world_t *w, tsg_agency_t *agency, const char *body, int status,
                    const char *code, const char *field, const char *words)
{
    s_refused (w, agency, "POST", "/v1/referrals", body, status, code, field, words);
}

/* The header of the one letter of kind agency sent (caller clears env). */
static void
s_sent (s_world_t *w, tsg_agency_t *agency, Tsunagu__V1__Kind kind, tsg_envelope_t *env,
        uint8_t **data, size_t *len)
{
    *data = agency_world_take (w->world, agency, kind, len);
    assert_non_null (*data);
    assert_int_equal (agency_world_decode (*data, *len, env), TSG_OK);
}

static void
test_referral_basis_rules (void **state)
{
    s_world_t *w = *state;
    s_referral_refused (w, w->elder,
                        "{\"to\":\"pov-a\",\"legal_basis\":\"consent\","
                        "\"data_categories\":[\"identity\"],\"sheet\":{" ELDER "}}",
                        400, "invalid", "consent_id", "required for legal_basis consent");
    s_referral_refused (w, w->elder,
                        "{\"to\":\"pov-a\",\"legal_basis\":\"support-meeting\","
                        "\"data_categories\":[\"identity\"],\"sheet\":{" ELDER "}}",
                        400, "invalid", "case_id", "required");
    s_referral_refused (w, w->elder,
                        "{\"to\":\"pov-a\",\"legal_basis\":\"statutory-meeting\","
                        "\"data_categories\":[\"identity\"],\"sheet\":{" ELDER "}}",
                        400, "invalid", "case_id", "required");
    s_referral_refused (w, w->elder,
                        "{\"to\":\"pov-a\",\"legal_basis\":\"consent\",\"consent_id\":\"c-1\","
                        "\"sheet\":{" ELDER "}}",
                        400, "invalid", "data_categories", "required unless legal_basis is none");
    s_referral_refused (w, w->elder,
                        "{\"to\":\"pov-a\",\"legal_basis\":\"consent\",\"consent_id\":\"c-1\","
                        "\"data_categories\":[],\"sheet\":{" ELDER "}}",
                        400, "invalid", "data_categories", "required");
    s_referral_refused (w, w->elder,
                        "{\"to\":\"pov-a\",\"legal_basis\":\"none\","
                        "\"data_categories\":[\"health\"],\"sheet\":{" ELDER "}}",
                        400, "invalid", "data_categories", "must be empty for legal_basis none");
    s_referral_refused (w, w->elder,
                        "{\"to\":\"pov-a\",\"legal_basis\":\"consent\",\"consent_id\":\"c-1\","
                        "\"data_categories\":[\"identity\",\"address\"],\"sheet\":{" ELDER "}}",
                        400, "invalid", "data_categories[1]", "free-text");
    s_referral_refused (w, w->elder,
                        "{\"to\":\"pov-a\",\"legal_basis\":\"consent\",\"consent_id\":\"c-1\","
                        "\"data_categories\":[\"health\",\"health\"],\"sheet\":{" ELDER "}}",
                        400, "invalid", "data_categories[1]", "named twice");
    s_referral_refused (w, w->elder,
                        "{\"to\":\"pov-a\",\"legal_basis\":\"consent\",\"consent_id\":\"c-1\","
                        "\"data_categories\":\"health\",\"sheet\":{" ELDER "}}",
                        400, "invalid", "data_categories", "array");
    /* The law: abuse reports from eldercare, disability and child only, and only as such. */
    s_referral_refused (
        w, w->pov,
        "{\"to\":\"elder-a\",\"urgency\":\"emergency\",\"legal_basis\":\"emergency\","
        "\"data_categories\":[\"identity\"],\"sheet\":{" POV "}}",
        422, "missing_legal_basis", "legal_basis", "only eldercare, disability or child");
    s_referral_refused (w, w->elder,
                        "{\"to\":\"pov-a\",\"urgency\":\"high\",\"legal_basis\":\"emergency\","
                        "\"data_categories\":[\"identity\"],\"sheet\":{" ELDER "}}",
                        422, "missing_legal_basis", "urgency", "must be emergency");
}

static void
test_emergency_report_flagged (void **state)
{
    s_world_t *w = *state;
    agency_world_sent_clear (w->world, w->child);
    json_t *reply = NULL;
    assert_int_equal (
        agency_world_request (
            w->child, "POST", "/v1/referrals",
            "{\"to\":\"pov-a\",\"urgency\":\"emergency\",\"legal_basis\":\"emergency\","
            "\"tags\":[\"虐待\"],\"data_categories\":[\"identity\",\"children\"],"
            "\"sheet\":{\"child\":{\"age\":6,\"school\":\"北小学校\"}}}",
            &reply),
        202);
    char path[96];
    snprintf (path, sizeof path, "/v1/referrals/%s",
              json_string_value (json_object_get (reply, "referral_id")));
    json_decref (reply);
    tsg_envelope_t env = { 0 };
    uint8_t *data;
    size_t len;
    s_sent (w, w->child, TSUNAGU__V1__KIND__KIND_REFERRAL, &env, &data, &len);
    const tsg_header_t *h = env.letter->header;
    assert_int_equal (h->legal_basis, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY);
    assert_int_equal (h->urgency, TSUNAGU__V1__URGENCY__URGENCY_EMERGENCY);
    assert_true (h->urgent);
    assert_int_equal (h->n_data_categories, 2);
    assert_string_equal (h->data_categories[0], "identity");
    assert_string_equal (h->data_categories[1], "children");
    assert_string_equal (h->sender_type, "child");
    tsg_envelope_clear (&env);
    free (data);
    assert_int_equal (agency_world_request (w->child, "GET", path, NULL, &reply), 200);
    assert_true (json_is_true (json_object_get (reply, "urgent")));
    assert_int_equal (json_array_size (json_object_get (reply, "data_categories")), 2);
    json_decref (reply);

    /* A referral under consent is not flagged urgent, whatever its urgency. */
    assert_int_equal (agency_world_request (
                          w->elder, "POST", "/v1/referrals",
                          "{\"to\":\"pov-a\",\"urgency\":\"emergency\",\"legal_basis\":\"consent\","
                          "\"consent_id\":\"c-9\",\"data_categories\":[\"identity\"],"
                          "\"sheet\":{" ELDER "}}",
                          &reply),
                      202);
    json_decref (reply);
    s_sent (w, w->elder, TSUNAGU__V1__KIND__KIND_REFERRAL, &env, &data, &len);
    assert_false (env.letter->header->urgent);
    assert_string_equal (env.letter->header->consent_id, "c-9");
    tsg_envelope_clear (&env);
    free (data);
}

/* Grants a consent at elder (stored by the stand-in coordinator) and returns its id. */
static void
s_grant (s_world_t *w, const char *extra, char consent_id[TSG_UUID_TEXT_SIZE])
{
    char body[1024];
    snprintf (body, sizeof body,
              "{\"case_id\":\"%s\",\"subject\":\"H001-1\",\"categories\":[\"identity\","
              "\"finances\"],\"purpose\":\"referral\",\"method\":\"written\","
              "\"form_sha256\":\"%064d\",\"valid_until\":\"2099-12-31\"%s}",
              w->case_id, 0, extra);
    json_t *reply = NULL;
    agency_world_sent_clear (w->world, w->elder);
    int status = agency_world_request (w->elder, "POST", "/v1/consents", body, &reply);
    if (status != 202)
        fprintf (stderr, "%s → %d %s\n", body, status, json_dumps (reply, 0));
    assert_int_equal (status, 202);
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

static void
test_consent_known_here (void **state)
{
    s_world_t *w = *state;
    char consent_id[TSG_UUID_TEXT_SIZE], body[1024];
    s_grant (w, ",\"cover_agencies\":[\"pov-a\"]", consent_id);

    /* Not this recipient. */
    snprintf (body, sizeof body,
              "{\"to\":\"child-a\",\"legal_basis\":\"consent\",\"consent_id\":\"%s\","
              "\"data_categories\":[\"identity\"],\"sheet\":{" ELDER "}}",
              consent_id);
    s_referral_refused (w, w->elder, body, 422, "missing_legal_basis", "consent_id",
                        "does not cover child-a");
    /* Not this category. */
    snprintf (body, sizeof body,
              "{\"to\":\"pov-a\",\"legal_basis\":\"consent\",\"consent_id\":\"%s\","
              "\"data_categories\":[\"identity\",\"health\"],\"sheet\":{" ELDER "}}",
              consent_id);
    s_referral_refused (w, w->elder, body, 422, "missing_legal_basis", "data_categories[1]",
                        "does not cover category health");
    /* Not this case. */
    snprintf (body, sizeof body,
              "{\"to\":\"pov-a\",\"case_id\":\"2f1c6e0a-8b7d-4c3e-9f10-1a2b3c4d5e6f\","
              "\"legal_basis\":\"consent\",\"consent_id\":\"%s\","
              "\"data_categories\":[\"identity\"],\"sheet\":{" ELDER "}}",
              consent_id);
    s_referral_refused (w, w->elder, body, 422, "missing_legal_basis", "consent_id",
                        "belongs to case");
    /* Covered: the case comes from the consent when the request names none. */
    snprintf (body, sizeof body,
              "{\"to\":\"pov-a\",\"legal_basis\":\"consent\",\"consent_id\":\"%s\","
              "\"data_categories\":[\"finances\",\"identity\"],\"sheet\":{" ELDER "}}",
              consent_id);
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (w->elder, "POST", "/v1/referrals", body, &reply), 202);
    assert_string_equal (json_string_value (json_object_get (reply, "case_id")), w->case_id);
    json_decref (reply);
    agency_world_sent_clear (w->world, w->elder);
    /* A consent unknown here is the coordinator's to judge. */
    assert_int_equal (
        agency_world_request (w->elder, "POST", "/v1/referrals",
                              "{\"to\":\"child-a\",\"legal_basis\":\"consent\","
                              "\"consent_id\":\"elsewhere-1\",\"data_categories\":[\"health\"],"
                              "\"sheet\":{" ELDER "}}",
                              &reply),
        202);
    json_decref (reply);
    agency_world_sent_clear (w->world, w->elder);

    /* Past valid_until (Japan time), nothing more goes under it. */
    char other[TSG_UUID_TEXT_SIZE];
    s_grant (w, ",\"cover_types\":[\"poverty\"]", other);
    s_clock_ms = tsg_now_ms () + 80ULL * 365 * DAY_MS;
    tsg_clock_set (s_clock);
    snprintf (body, sizeof body,
              "{\"to\":\"pov-a\",\"legal_basis\":\"consent\",\"consent_id\":\"%s\","
              "\"data_categories\":[\"identity\"],\"sheet\":{" ELDER "}}",
              other);
    /* The directory expired too by then: a fresh one. */
    agency_world_publish (w->world);
    s_referral_refused (w, w->elder, body, 422, "missing_legal_basis", "consent_id",
                        "expired on 2099-12-31");
    tsg_clock_set (NULL);
    agency_world_publish (w->world);

    /* Once revoked (the coordinator stored the revocation), nothing more goes under it. */
    agency_world_sent_clear (w->world, w->elder);
    char path[96];
    snprintf (path, sizeof path, "/v1/consents/%s", consent_id);
    assert_int_equal (
        agency_world_request (w->elder, "DELETE", path, "{\"reason\":\"本人が撤回\"}", &reply),
        202);
    json_decref (reply);
    size_t len;
    uint8_t *data =
        agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, &len);
    assert_int_equal (agency_world_store_ack (w->world, w->elder, data, len), TSG_OK);
    free (data);
    snprintf (body, sizeof body,
              "{\"to\":\"pov-a\",\"legal_basis\":\"consent\",\"consent_id\":\"%s\","
              "\"data_categories\":[\"identity\"],\"sheet\":{" ELDER "}}",
              consent_id);
    s_referral_refused (w, w->elder, body, 422, "missing_legal_basis", "consent_id",
                        "was revoked at");
}

/* A referral from elder to pov under basis, delivered; returns its id in referral_id. */
static void
s_referral (s_world_t *w, const char *basis_fields, char referral_id[TSG_UUID_TEXT_SIZE])
{
    char body[1024];
    snprintf (body, sizeof body, "{\"to\":\"pov-a\",\"case_id\":\"%s\",%s,\"sheet\":{" ELDER "}}",
              w->case_id, basis_fields);
    json_t *reply = NULL;
    agency_world_sent_clear (w->world, w->elder);
    assert_int_equal (agency_world_request (w->elder, "POST", "/v1/referrals", body, &reply), 202);
    snprintf (referral_id, TSG_UUID_TEXT_SIZE, "%s",
              json_string_value (json_object_get (reply, "referral_id")));
    json_decref (reply);
    size_t len;
    uint8_t *data = agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_REFERRAL, &len);
    assert_int_equal (agency_world_store_ack (w->world, w->elder, data, len), TSG_OK);
    assert_int_equal (agency_world_deliver (w->pov, data, len), TSG_OK);
    agency_world_sent_clear (w->world, w->pov);
    free (data);
}

static void
test_status_body_basis (void **state)
{
    s_world_t *w = *state;
    char referral_id[TSG_UUID_TEXT_SIZE], path[128];
    s_referral (w,
                "\"urgency\":\"emergency\",\"legal_basis\":\"emergency\","
                "\"data_categories\":[\"identity\"]",
                referral_id);
    snprintf (path, sizeof path, "/v1/referrals/%s/status", referral_id);
    json_t *reply = NULL;
    assert_int_equal (
        agency_world_request (w->pov, "POST", path, "{\"status\":\"received\"}", &reply), 202);
    json_decref (reply);
    tsg_envelope_t env = { 0 };
    uint8_t *data;
    size_t len;
    s_sent (w, w->pov, TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS, &env, &data, &len);
    /* No body, no personal data: basis none. */
    assert_int_equal (env.letter->body.len, 0);
    assert_int_equal (env.letter->header->legal_basis, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE);
    assert_int_equal (env.letter->header->n_data_categories, 0);
    assert_int_equal (agency_world_store_ack (w->world, w->pov, data, len), TSG_OK);
    tsg_envelope_clear (&env);
    free (data);

    /* A reason about an abuse report needs a basis of its own. */
    s_refused (w, w->pov, "POST", path, "{\"status\":\"rejected\",\"reason\":\"管轄外\"}", 422,
               "missing_legal_basis", "legal_basis", "emergency report");
    s_refused (w, w->pov, "POST", path,
               "{\"status\":\"rejected\",\"reason\":\"管轄外\",\"legal_basis\":\"emergency\"}", 422,
               "missing_legal_basis", "legal_basis", "abuse report itself");
    s_refused (w, w->pov, "POST", path,
               "{\"status\":\"rejected\",\"reason\":\"管轄外\",\"legal_basis\":\"consent\"}", 400,
               "invalid", "consent_id", "required");
    s_refused (w, w->pov, "POST", path,
               "{\"status\":\"rejected\",\"reason\":\"管轄外\",\"legal_basis\":\"none\","
               "\"data_categories\":[\"free-text\"]}",
               400, "invalid", "data_categories", "must be empty");
    assert_int_equal (agency_world_request (w->pov, "POST", path,
                                            "{\"status\":\"rejected\",\"reason\":\"管轄外\","
                                            "\"legal_basis\":\"consent\",\"consent_id\":\"c-7\"}",
                                            &reply),
                      202);
    json_decref (reply);
    s_sent (w, w->pov, TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS, &env, &data, &len);
    const tsg_header_t *h = env.letter->header;
    assert_true (env.letter->body.len > 0);
    assert_int_equal (h->legal_basis, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT);
    assert_string_equal (h->consent_id, "c-7");
    assert_int_equal (h->n_data_categories, 1);
    assert_string_equal (h->data_categories[0], "free-text");
    tsg_envelope_clear (&env);
    free (data);
}

/* Sends agency a CASE_UPDATE: the case at version with agencies and (may be NULL) the latest
 * roster of kind. */
static void
s_case_update (s_world_t *w, tsg_agency_t *agency, uint64_t version, const char *const agencies[],
               Tsunagu__V1__MeetingKind kind, const char *const roster[])
{
    Tsunagu__V1__CaseUpdate u = TSUNAGU__V1__CASE_UPDATE__INIT;
    u.case_id = w->case_id;
    u.state = (char *) "multi-agency";
    u.version = version;
    while (agencies[u.n_agencies])
        u.n_agencies++;
    u.agencies = (char **) agencies;
    if (roster) {
        u.roster_kind = kind;
        while (roster[u.n_roster])
            u.n_roster++;
        u.roster = (char **) roster;
    }
    u.updated_at_ms = tsg_now_ms ();
    assert_int_equal (agency_world_case_update (w->world, agency, &u), TSG_OK);
}

static const char *const s_three[] = { "elder-a", "pov-a", "dis-a", NULL };

/* POSTs a case event from agency; the status. */
static int
s_event (s_world_t *w, tsg_agency_t *agency, const char *body, json_t **reply)
{
    char path[96];
    snprintf (path, sizeof path, "/v1/cases/%s/events", w->case_id);
    return agency_world_request (agency, "POST", path, body, reply);
}

static void
s_event_refused (s_world_t *w, tsg_agency_t *agency, const char *body, int status, const char *code,
                 const char *field, const char *words)
{
    char path[96];
    snprintf (path, sizeof path, "/v1/cases/%s/events", w->case_id);
    s_refused (w, agency, "POST", path, body, status, code, field, words);
}

/* The recipients of the sealed bodies of the case event agency sent last, as "a,b". */
static void
s_sealed_for (s_world_t *w, tsg_agency_t *agency, Tsunagu__V1__LegalBasis basis, char *out,
              size_t size)
{
    tsg_envelope_t env = { 0 };
    uint8_t *data;
    size_t len;
    s_sent (w, agency, TSUNAGU__V1__KIND__KIND_CASE_EVENT, &env, &data, &len);
    assert_int_equal (env.letter->header->legal_basis, basis);
    out[0] = '\0';
    for (size_t i = 0; i < env.letter->n_sealed_bodies; i++)
        snprintf (out + strlen (out), size - strlen (out), "%s%s", i ? "," : "",
                  env.letter->sealed_bodies[i]->recipient);
    if (env.letter->n_sealed_bodies > 0 && basis != TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE) {
        assert_true (env.letter->header->n_data_categories > 0);
    }
    else
        assert_int_equal (env.letter->header->n_data_categories, 0);
    tsg_envelope_clear (&env);
    free (data);
}

static void
test_case_event_basis (void **state)
{
    s_world_t *w = *state;
    s_case_update (w, w->elder, 2, s_three, 0, NULL);
    json_t *reply = NULL;
    char sealed[128];

    /* Personal content needs a basis; without a roster to go by, the request names it. */
    s_event_refused (w, w->elder,
                     "{\"type\":\"note\",\"note\":{\"category\":\"visit\","
                     "\"written_on\":\"2026-11-24\",\"text\":\"本人と面談\"}}",
                     400, "invalid", "legal_basis", "required when the event carries personal");
    s_event_refused (w, w->elder,
                     "{\"type\":\"note\",\"legal_basis\":\"emergency\",\"note\":{\"category\":"
                     "\"visit\",\"written_on\":\"2026-11-24\",\"text\":\"本人と面談\"}}",
                     422, "missing_legal_basis", "legal_basis", "abuse reports");
    s_event_refused (w, w->elder,
                     "{\"type\":\"note\",\"legal_basis\":\"consent\",\"note\":{\"category\":"
                     "\"visit\",\"written_on\":\"2026-11-24\",\"text\":\"本人と面談\"}}",
                     400, "invalid", "consent_id", "required");
    /* Another type's statutory meeting is not the sender's basis. */
    s_event_refused (w, w->elder,
                     "{\"type\":\"meeting\",\"legal_basis\":\"statutory-meeting\",\"meeting\":{"
                     "\"kind\":\"kyogikai\",\"held_on\":\"2026-11-24\",\"attendees\":[\"elder-a\","
                     "\"dis-a\"],\"minutes\":\"就労支援の検討\"}}",
                     422, "missing_legal_basis", "legal_basis", "statutory meeting of disability");
    /* A 重層的支援会議 needs the consent that covers its attendees. */
    s_event_refused (w, w->elder,
                     "{\"type\":\"meeting\",\"meeting\":{\"kind\":\"jusoteki\",\"held_on\":"
                     "\"2026-11-24\",\"attendees\":[\"elder-a\",\"pov-a\"]}}",
                     400, "invalid", "consent_id", "重層的支援会議");
    s_event_refused (w, w->elder,
                     "{\"type\":\"meeting\",\"meeting\":{\"kind\":\"tea\",\"held_on\":"
                     "\"2026-11-24\",\"attendees\":[\"elder-a\"]}}",
                     400, "invalid", "meeting.kind", "chiiki-care");

    /* eldercare's own 地域ケア会議: statutory-meeting by default, sealed only to attendees. */
    agency_world_sent_clear (w->world, w->elder);
    assert_int_equal (s_event (w, w->elder,
                               "{\"type\":\"meeting\",\"meeting\":{\"kind\":\"chiiki-care\","
                               "\"held_on\":\"2026-11-24\",\"attendees\":[\"elder-a\",\"pov-a\"],"
                               "\"decision\":\"continue\",\"minutes\":\"見守りを継続\"}}",
                               &reply),
                      202);
    json_decref (reply);
    s_sealed_for (w, w->elder, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING, sealed,
                  sizeof sealed);
    assert_string_equal (sealed, "pov-a");

    /* Without personal content nothing is sealed and the basis is none. */
    assert_int_equal (
        s_event (w, w->elder, "{\"type\":\"state\",\"state\":\"assessment\"}", &reply), 202);
    json_decref (reply);
    s_sealed_for (w, w->elder, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE, sealed, sizeof sealed);
    assert_string_equal (sealed, "");

    /* Under a consent named explicitly, with its categories. */
    assert_int_equal (s_event (w, w->elder,
                               "{\"type\":\"note\",\"legal_basis\":\"consent\",\"consent_id\":"
                               "\"c-77\",\"data_categories\":[\"health\",\"free-text\"],"
                               "\"note\":{\"category\":\"call\",\"written_on\":\"2026-11-25\","
                               "\"text\":\"通院の同行\"}}",
                               &reply),
                      202);
    json_decref (reply);
    tsg_envelope_t env = { 0 };
    uint8_t *data;
    size_t len;
    s_sent (w, w->elder, TSUNAGU__V1__KIND__KIND_CASE_EVENT, &env, &data, &len);
    assert_string_equal (env.letter->header->consent_id, "c-77");
    assert_int_equal (env.letter->header->n_data_categories, 2);
    assert_int_equal (env.letter->n_sealed_bodies, 2);
    tsg_envelope_clear (&env);
    free (data);
}

static void
test_support_meeting_roster (void **state)
{
    s_world_t *w = *state;
    static const char *const roster[] = { "elder-a", "pov-a", NULL };
    s_case_update (w, w->elder, 3, s_three, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN, roster);
    json_t *reply = NULL;
    char sealed[128];
    /* On a case whose latest roster is a 支援会議 with us on it: support-meeting, sealed only
     * to the roster. */
    agency_world_sent_clear (w->world, w->elder);
    assert_int_equal (s_event (w, w->elder,
                               "{\"type\":\"note\",\"note\":{\"category\":\"visit\","
                               "\"written_on\":\"2026-11-24\",\"text\":\"本人と面談\"}}",
                               &reply),
                      202);
    json_decref (reply);
    s_sealed_for (w, w->elder, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING, sealed,
                  sizeof sealed);
    assert_string_equal (sealed, "pov-a");
    /* A new 支援会議: its own attendees. */
    assert_int_equal (s_event (w, w->elder,
                               "{\"type\":\"meeting\",\"meeting\":{\"kind\":\"shien\","
                               "\"held_on\":\"2026-11-30\",\"attendees\":[\"elder-a\",\"dis-a\"],"
                               "\"minutes\":\"障害福祉サービスの検討\"}}",
                               &reply),
                      202);
    json_decref (reply);
    s_sealed_for (w, w->elder, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING, sealed,
                  sizeof sealed);
    assert_string_equal (sealed, "dis-a");
    /* poverty records its own 支援会議 (生活困窮者自立支援法 第9条) by name. */
    s_case_update (w, w->pov, 3, s_three, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN, roster);
    agency_world_sent_clear (w->world, w->pov);
    assert_int_equal (s_event (w, w->pov,
                               "{\"type\":\"meeting\",\"meeting\":{\"kind\":\"konkyu\","
                               "\"held_on\":\"2026-11-30\",\"attendees\":[\"pov-a\",\"elder-a\"],"
                               "\"minutes\":\"家計改善\"}}",
                               &reply),
                      202);
    json_decref (reply);
    tsg_envelope_t env = { 0 };
    uint8_t *data;
    size_t len;
    s_sent (w, w->pov, TSUNAGU__V1__KIND__KIND_CASE_EVENT, &env, &data, &len);
    assert_int_equal (env.letter->header->case_event->meeting->kind,
                      TSUNAGU__V1__MEETING_KIND__MEETING_KONKYU);
    assert_int_equal (env.letter->header->legal_basis,
                      TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING);
    assert_int_equal (env.letter->n_sealed_bodies, 1);
    assert_string_equal (env.letter->sealed_bodies[0]->recipient, "elder-a");
    /* Delivered to elder, the event names the meeting kind in JSON. */
    assert_int_equal (agency_world_deliver (w->elder, data, len), TSG_OK);
    tsg_envelope_clear (&env);
    free (data);
    char path[96];
    snprintf (path, sizeof path, "/v1/cases/%s", w->case_id);
    assert_int_equal (agency_world_request (w->elder, "GET", path, NULL, &reply), 200);
    json_t *events = json_object_get (reply, "events");
    json_t *last = json_array_get (events, json_array_size (events) - 1);
    assert_string_equal (json_string_value (json_object_get (last, "origin")), "received");
    assert_string_equal (
        json_string_value (json_object_get (json_object_get (last, "meeting"), "kind")), "konkyu");
    assert_string_equal (json_string_value (json_object_get (last, "legal_basis")),
                         "statutory-meeting");
    assert_true (json_is_false (json_object_get (last, "restricted")));
    json_decref (reply);
}

static void
test_jusoteki_needs_consent (void **state)
{
    s_world_t *w = *state;
    s_case_update (w, w->elder, 2, s_three, 0, NULL);
    char consent_id[TSG_UUID_TEXT_SIZE], body[1024];
    s_grant (w, ",\"cover_agencies\":[\"elder-a\",\"pov-a\"]", consent_id);
    /* An attendee the consent leaves out: refused before anything is sealed. */
    snprintf (body, sizeof body,
              "{\"type\":\"meeting\",\"consent_id\":\"%s\",\"meeting\":{\"kind\":"
              "\"jusoteki\",\"held_on\":\"2026-11-24\",\"attendees\":[\"elder-a\",\"pov-a\","
              "\"dis-a\"]}}",
              consent_id);
    s_event_refused (w, w->elder, body, 422, "missing_legal_basis", "consent_id",
                     "does not cover dis-a");
    /* Covered: the header names the consent, even without minutes; with minutes they go on
     * the consent, sealed to those it covers. */
    snprintf (body, sizeof body,
              "{\"type\":\"meeting\",\"consent_id\":\"%s\",\"meeting\":{\"kind\":"
              "\"jusoteki\",\"held_on\":\"2026-11-24\",\"attendees\":[\"elder-a\","
              "\"pov-a\"],\"minutes\":\"本人同意のもと家計の状況を共有\"},"
              "\"data_categories\":[\"finances\"]}",
              consent_id);
    json_t *reply = NULL;
    agency_world_sent_clear (w->world, w->elder);
    assert_int_equal (s_event (w, w->elder, body, &reply), 202);
    json_decref (reply);
    tsg_envelope_t env = { 0 };
    uint8_t *data;
    size_t len;
    s_sent (w, w->elder, TSUNAGU__V1__KIND__KIND_CASE_EVENT, &env, &data, &len);
    assert_string_equal (env.letter->header->consent_id, consent_id);
    assert_int_equal (env.letter->header->legal_basis,
                      TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT);
    assert_int_equal (env.letter->n_sealed_bodies, 1);
    assert_string_equal (env.letter->sealed_bodies[0]->recipient, "pov-a");
    tsg_envelope_clear (&env);
    free (data);
    snprintf (body, sizeof body,
              "{\"type\":\"meeting\",\"consent_id\":\"%s\",\"meeting\":{\"kind\":"
              "\"jusoteki\",\"held_on\":\"2026-11-25\",\"attendees\":[\"elder-a\","
              "\"pov-a\"]}}",
              consent_id);
    assert_int_equal (s_event (w, w->elder, body, &reply), 202);
    json_decref (reply);
    s_sent (w, w->elder, TSUNAGU__V1__KIND__KIND_CASE_EVENT, &env, &data, &len);
    assert_string_equal (env.letter->header->consent_id, consent_id);
    assert_int_equal (env.letter->header->legal_basis, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE);
    assert_int_equal (env.letter->n_sealed_bodies, 0);
    tsg_envelope_clear (&env);
    free (data);
}

int
main (void)
{
    log_init ("test_agency_legal", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_referral_basis_rules, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_emergency_report_flagged, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_consent_known_here, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_status_body_basis, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_case_event_basis, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_support_meeting_roster, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_jusoteki_needs_consent, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
