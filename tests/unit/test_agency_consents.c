/* Consents at the agencies: POST /v1/consents registers a consent with a CONSENT_GRANT whose
 * sealed bodies carry the form only to the agencies on the case it covers; DELETE revokes it;
 * agencies that learn of a revocation or an expiry mark what came under the consent
 * "restricted"; a letter the coordinator withholds after storing it shows "withheld" at its
 * sender, from the ERROR letter that comes through the mailbox. */
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

#define ELDER  "\"eldercare\":{\"care_insurance\":\"要介護1\"}"
#define DAY_MS (24ULL * 3600 * 1000)

/* A synthetic signed form (what a scanner would give) and its hash. */
static const char s_form[] = "同意書: 対象 H001-1, つなぐ市, 署名済み (synthetic)";

typedef struct {
    agency_world_t *world;            /* the fixture */
    tsg_agency_t *elder;              /* grants the consents */
    tsg_agency_t *pov;                /* covered by them */
    tsg_agency_t *dis;                /* on the case, not covered */
    tsg_agency_t *child;              /* not on the case */
    char case_id[TSG_UUID_TEXT_SIZE]; /* the household's case */
    char form_sha256[65];             /* of s_form */
    char *form_base64;                /* s_form in base64 */
} s_world_t;

static uint64_t s_clock_ms;

static uint64_t
s_clock (void)
{
    return s_clock_ms;
}

/* The case with elder, pov and dis, as the coordinator tells agency. */
static void
s_case_update (s_world_t *w, tsg_agency_t *agency)
{
    static const char *const agencies[] = { "elder-a", "pov-a", "dis-a" };
    Tsunagu__V1__CaseUpdate u = TSUNAGU__V1__CASE_UPDATE__INIT;
    u.case_id = w->case_id;
    u.state = (char *) "multi-agency";
    u.version = 2;
    u.n_agencies = 3;
    u.agencies = (char **) agencies;
    u.updated_at_ms = tsg_now_ms ();
    assert_int_equal (agency_world_case_update (w->world, agency, &u), TSG_OK);
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
    s_case_update (w, w->elder);
    s_case_update (w, w->pov);
    s_case_update (w, w->dis);
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (digest, (const uint8_t *) s_form, strlen (s_form));
    tsg_hex_encode (digest, sizeof digest, w->form_sha256);
    size_t size = sodium_base64_ENCODED_LEN (strlen (s_form), sodium_base64_VARIANT_ORIGINAL);
    w->form_base64 = malloc (size);
    sodium_bin2base64 (w->form_base64, size, (const uint8_t *) s_form, strlen (s_form),
                       sodium_base64_VARIANT_ORIGINAL);
    *state = w;
    return 0;
}

static int
s_teardown (void **state)
{
    s_world_t *w = *state;
    agency_world_destroy (&w->world);
    free (w->form_base64);
    free (w);
    tsg_clock_set (NULL);
    return 0;
}

/* A request refused with status and code (and field when given); nothing stored or sent. */
static void
s_refused (s_world_t *w, const char *method, const char *path, const char *body, int status,
           const char *code, const char *field)
{
    uint64_t sequence = w->elder->next_sequence;
    agency_world_sent_clear (w->world, w->elder);
    json_t *reply = NULL;
    int got = agency_world_request (w->elder, method, path, body, &reply);
    const char *error = json_string_value (json_object_get (reply, "error"));
    json_t *problem = field ? json_object_get (json_object_get (reply, "fields"), field) : NULL;
    if (got != status || !error || strcmp (error, code) != 0 || (field && !problem))
        fprintf (stderr, "%s %s %s → %d %s\n", method, path, body ? body : "", got,
                 reply ? json_dumps (reply, 0) : "");
    assert_int_equal (got, status);
    assert_string_equal (error, code);
    if (field)
        assert_non_null (problem);
    json_decref (reply);
    assert_int_equal (w->elder->next_sequence, sequence);
    assert_int_equal (agency_world_sent_count (w->world, w->elder), 0);
    assert_null (w->elder->pending);
}

static void
test_grant_validation (void **state)
{
    s_world_t *w = *state;
    s_refused (w, "POST", "/v1/consents", "{", 400, "bad_json", NULL);
    s_refused (w, "POST", "/v1/consents", "{}", 400, "invalid", "subject");
    static const char *const missing[] = { "subject", "categories",  "purpose",
                                           "method",  "valid_until", "cover_agencies" };
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (w->elder, "POST", "/v1/consents", "{}", &reply), 400);
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++)
        assert_non_null (json_object_get (json_object_get (reply, "fields"), missing[i]));
    json_decref (reply);

#define BASE                                                                                       \
    "\"subject\":\"H001-1\",\"cover_types\":[\"poverty\"],\"categories\":[\"identity\"],"          \
    "\"purpose\":\"referral\",\"method\":\"verbal\",\"valid_until\":\"2099-12-31\""
    s_refused (w, "POST", "/v1/consents", "{" BASE ",\"color\":\"red\"}", 400, "invalid", "color");
    /* A name, or a romanized name with a birth date, as the subject: personal data the
     * coordinator's register would hold in cleartext.  A space in an id is only malformed. */
    s_refused (w, "POST", "/v1/consents",
               "{\"subject\":\"山田 ハナ\",\"cover_types\":[\"poverty\"],\"categories\":"
               "[\"identity\"],\"purpose\":\"referral\",\"method\":\"verbal\",\"valid_until\":"
               "\"2099-12-31\"}",
               422, "personal_data", "subject");
    s_refused (w, "POST", "/v1/consents",
               "{\"subject\":\"yamada-hana-19430412\",\"cover_types\":[\"poverty\"],"
               "\"categories\":[\"identity\"],\"purpose\":\"referral\",\"method\":\"verbal\","
               "\"valid_until\":\"2099-12-31\"}",
               422, "personal_data", "subject");
    s_refused (w, "POST", "/v1/consents",
               "{\"subject\":\"H001 1\",\"cover_types\":[\"poverty\"],\"categories\":"
               "[\"identity\"],\"purpose\":\"referral\",\"method\":\"verbal\",\"valid_until\":"
               "\"2099-12-31\"}",
               400, "invalid", "subject");
    s_refused (w, "POST", "/v1/consents",
               "{\"subject\":\"H001-1\",\"cover_types\":[\"housing\"],\"categories\":"
               "[\"identity\"],\"purpose\":\"referral\",\"method\":\"verbal\",\"valid_until\":"
               "\"2099-12-31\"}",
               400, "invalid", "cover_types[0]");
    s_refused (w, "POST", "/v1/consents",
               "{\"subject\":\"H001-1\",\"cover_types\":[\"poverty\"],\"categories\":"
               "[\"address\"],\"purpose\":\"referral\",\"method\":\"verbal\",\"valid_until\":"
               "\"2099-12-31\"}",
               400, "invalid", "categories[0]");
    s_refused (w, "POST", "/v1/consents",
               "{\"subject\":\"H001-1\",\"cover_types\":[\"poverty\"],\"categories\":"
               "[\"identity\"],\"purpose\":\"gossip\",\"method\":\"verbal\",\"valid_until\":"
               "\"2099-12-31\"}",
               400, "invalid", "purpose");
    s_refused (w, "POST", "/v1/consents",
               "{\"subject\":\"H001-1\",\"cover_types\":[\"poverty\"],\"categories\":"
               "[\"identity\"],\"purpose\":\"referral\",\"method\":\"verbal\",\"valid_until\":"
               "\"2001-01-01\"}",
               400, "invalid", "valid_until");
    s_refused (w, "POST", "/v1/consents", "{" BASE ",\"valid_from\":\"2100-01-01\"}", 400,
               "invalid", "valid_until");
    s_refused (w, "POST", "/v1/consents",
               "{\"subject\":\"H001-1\",\"cover_types\":[\"poverty\"],\"categories\":"
               "[\"identity\"],\"purpose\":\"referral\",\"method\":\"written\",\"valid_until\":"
               "\"2099-12-31\"}",
               400, "invalid", "form_sha256");
    s_refused (w, "POST", "/v1/consents", "{" BASE ",\"form_sha256\":\"ABC\"}", 400, "invalid",
               "form_sha256");
    char body[1024];
    snprintf (body, sizeof body, "{" BASE ",\"form_sha256\":\"%064d\",\"form_base64\":\"%s\"}", 0,
              w->form_base64);
    s_refused (w, "POST", "/v1/consents", body, 400, "invalid", "form_base64");
    snprintf (body, sizeof body,
              "{\"subject\":\"H001-1\",\"cover_types\":[\"poverty\"],\"categories\":[\"health\"],"
              "\"purpose\":\"referral\",\"method\":\"written\",\"valid_until\":\"2099-12-31\","
              "\"form_sha256\":\"%s\",\"form_base64\":\"%s\"}",
              w->form_sha256, w->form_base64);
    s_refused (w, "POST", "/v1/consents", body, 400, "invalid", "form_base64");
    s_refused (w, "POST", "/v1/consents", "{" BASE ",\"form_base64\":\"***\"}", 400, "invalid",
               "form_base64");
    s_refused (w, "POST", "/v1/consents", "{" BASE ",\"note\":\"本人が来所\"}", 400, "invalid",
               "note");
    s_refused (w, "POST", "/v1/consents", "{" BASE ",\"cover_agencies\":[\"nobody-x\"]}", 422,
               "unknown_agency", "cover_agencies[0]");
    s_refused (w, "POST", "/v1/consents", "{" BASE ",\"obtained_by\":\"nobody-x\"}", 422,
               "unknown_agency", "obtained_by");
    s_refused (w, "GET", "/v1/consents?case=nope", NULL, 400, "invalid", "case");
    s_refused (w, "DELETE", "/v1/consents/2f1c6e0a-8b7d-4c3e-9f10-1a2b3c4d5e6f",
               "{\"reason\":\"x\"}", 404, "not_found", NULL);
    s_refused (w, "DELETE", "/v1/consents/2f1c6e0a-8b7d-4c3e-9f10-1a2b3c4d5e6f", "{}", 400,
               "invalid", "reason");
    s_refused (w, "PUT", "/v1/consents", NULL, 405, "method_not_allowed", NULL);
    s_refused (w, "GET", "/v1/consents/x/y", NULL, 404, "not_found", NULL);
    assert_int_equal (agency_world_count (w->elder, AGENCY_DB_CONSENTS), 0);
#undef BASE
}

/* Grants a consent at elder for the case; returns its id and (when data is not NULL) the
 * letter, which the caller frees. */
static void
s_grant (s_world_t *w, const char *fields, char consent_id[TSG_UUID_TEXT_SIZE], uint8_t **data,
         size_t *len)
{
    char body[2048];
    snprintf (body, sizeof body, "{\"case_id\":\"%s\",\"subject\":\"H001-1\",%s}", w->case_id,
              fields);
    json_t *reply = NULL;
    agency_world_sent_clear (w->world, w->elder);
    int status = agency_world_request (w->elder, "POST", "/v1/consents", body, &reply);
    if (status != 202)
        fprintf (stderr, "%s → %d %s\n", body, status, json_dumps (reply, 0));
    assert_int_equal (status, 202);
    assert_string_equal (json_string_value (json_object_get (reply, "status")), "pending");
    assert_string_equal (json_string_value (json_object_get (reply, "case_id")), w->case_id);
    snprintf (consent_id, TSG_UUID_TEXT_SIZE, "%s",
              json_string_value (json_object_get (reply, "consent_id")));
    assert_true (tsg_uuid_valid (consent_id));
    json_decref (reply);
    size_t n;
    uint8_t *letter =
        agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_CONSENT_GRANT, &n);
    assert_non_null (letter);
    if (data) {
        *data = letter;
        *len = n;
    }
    else
        free (letter);
}

/* The one consent agency lists (GET /v1/consents?case=), a new reference. */
static json_t *
s_consent (s_world_t *w, tsg_agency_t *agency)
{
    char path[96];
    snprintf (path, sizeof path, "/v1/consents?case=%s", w->case_id);
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (agency, "GET", path, NULL, &reply), 200);
    json_t *items = json_object_get (reply, "items");
    assert_int_equal (json_array_size (items), 1);
    json_t *item = json_incref (json_array_get (items, 0));
    json_decref (reply);
    return item;
}

static const char *
s_str (const json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

/* The last receipt agency sent: its type, recipient and the letter it is about. */
static void
s_expect_receipt (s_world_t *w, tsg_agency_t *agency, Tsunagu__V1__ReceiptType type,
                  const char *recipient, const uint8_t *about)
{
    size_t len;
    uint8_t *data = agency_world_take (w->world, agency, TSUNAGU__V1__KIND__KIND_RECEIPT, &len);
    assert_non_null (data);
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (data, len, &env), TSG_OK);
    assert_int_equal (env.letter->receipt->type, type);
    assert_string_equal (env.letter->recipient, recipient);
    if (about)
        assert_memory_equal (env.letter->receipt->about_message_id.data, about,
                             TSG_MESSAGE_ID_SIZE);
    tsg_envelope_clear (&env);
    free (data);
}

static void
test_grant_letter_and_sealed_bodies (void **state)
{
    s_world_t *w = *state;
    char consent_id[TSG_UUID_TEXT_SIZE], fields[1600];
    snprintf (fields, sizeof fields,
              "\"cover_agencies\":[\"pov-a\"],\"categories\":[\"identity\",\"finances\","
              "\"free-text\"],\"purpose\":\"referral\",\"method\":\"written\","
              "\"valid_from\":\"2020-01-01\",\"valid_until\":\"2099-12-31\","
              "\"form_sha256\":\"%s\",\"form_base64\":\"%s\",\"note\":\"来所時に署名\"",
              w->form_sha256, w->form_base64);
    uint8_t *data;
    size_t len;
    s_grant (w, fields, consent_id, &data, &len);

    /* To the coordinator, sequenced; the consent in the clear, the form only sealed. */
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (data, len, &env), TSG_OK);
    const tsg_letter_t *letter = env.letter;
    assert_string_equal (letter->recipient, "coordinator");
    assert_true (letter->sequence > 0);
    assert_int_equal (letter->body.len, 0);
    const tsg_header_t *h = letter->header;
    assert_string_equal (h->case_id, w->case_id);
    assert_non_null (h->consent);
    assert_string_equal (h->consent->consent_id, consent_id);
    assert_string_equal (h->consent->subject, "H001-1");
    assert_int_equal (h->consent->n_cover_agencies, 1);
    assert_string_equal (h->consent->cover_agencies[0], "pov-a");
    assert_int_equal (h->consent->n_categories, 3);
    assert_string_equal (h->consent->purpose, "referral");
    assert_string_equal (h->consent->method, "written");
    assert_string_equal (h->consent->obtained_by, "elder-a");
    assert_string_equal (h->consent->valid_from, "2020-01-01");
    assert_string_equal (h->consent->valid_until, "2099-12-31");
    /* The form and the note rely on the consent itself. */
    assert_int_equal (h->legal_basis, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT);
    assert_string_equal (h->consent_id, consent_id);
    assert_int_equal (h->n_data_categories, 2);
    assert_string_equal (h->data_categories[0], "identity");
    assert_string_equal (h->data_categories[1], "free-text");
    /* Sealed for pov only: dis is on the case but not covered; nothing for ourselves. */
    assert_int_equal (letter->n_sealed_bodies, 1);
    assert_string_equal (letter->sealed_bodies[0]->recipient, "pov-a");
    assert_null (memmem (data, len, s_form, strlen (s_form)));
    assert_null (memmem (data, len, w->form_base64, strlen (w->form_base64)));
    assert_null (memmem (data, len, "来所時", strlen ("来所時")));
    uint8_t grant_id[TSG_MESSAGE_ID_SIZE];
    memcpy (grant_id, letter->message_id.data, sizeof grant_id);
    tsg_envelope_clear (&env);

    json_t *item = s_consent (w, w->elder);
    assert_string_equal (s_str (item, "status"), "pending");
    assert_string_equal (s_str (item, "origin"), "own");
    assert_string_equal (s_str (item, "form_sha256"), w->form_sha256);
    assert_int_equal (json_array_size (json_object_get (item, "sealed_for")), 1);
    json_decref (item);
    assert_int_equal (agency_world_store_ack (w->world, w->elder, data, len), TSG_OK);
    item = s_consent (w, w->elder);
    assert_string_equal (s_str (item, "status"), "active");
    assert_true (json_is_false (json_object_get (item, "restricted")));
    json_decref (item);
    assert_int_equal (agency_world_count (w->elder, AGENCY_DB_OUTBOX), 0);

    /* pov opens its body: the register learns the consent, the inbox shows the form. */
    assert_int_equal (agency_world_deliver (w->pov, data, len), TSG_OK);
    s_expect_receipt (w, w->pov, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, "elder-a", grant_id);
    item = s_consent (w, w->pov);
    assert_string_equal (s_str (item, "consent_id"), consent_id);
    assert_string_equal (s_str (item, "origin"), "received");
    assert_string_equal (s_str (item, "granted_by"), "elder-a");
    assert_string_equal (s_str (item, "status"), "active");
    assert_string_equal (s_str (item, "note"), "来所時に署名");
    assert_true (json_is_true (json_object_get (item, "form_received")));
    json_decref (item);
    json_t *inbox = NULL;
    assert_int_equal (agency_world_request (w->pov, "GET", "/v1/inbox?after=0", NULL, &inbox), 200);
    json_t *last = json_array_get (json_object_get (inbox, "items"),
                                   json_array_size (json_object_get (inbox, "items")) - 1);
    assert_string_equal (s_str (last, "kind"), "consent-grant");
    assert_string_equal (s_str (last, "consent_id"), consent_id);
    assert_string_equal (s_str (json_object_get (last, "body"), "form_base64"), w->form_base64);
    json_decref (inbox);

    /* dis gets the letter without a body: it knows the consent, not the form. */
    assert_int_equal (agency_world_deliver (w->dis, data, len), TSG_OK);
    s_expect_receipt (w, w->dis, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, "elder-a", grant_id);
    item = s_consent (w, w->dis);
    assert_true (json_is_false (json_object_get (item, "form_received")));
    assert_null (json_object_get (item, "note"));
    json_decref (item);

    /* The receipts relayed to elder: delivered to pov. */
    uint8_t *receipt = NULL;
    assert_int_equal (agency_world_deliver (w->pov, data, len), TSG_OK); /* a resend */
    receipt = agency_world_take (w->world, w->pov, TSUNAGU__V1__KIND__KIND_RECEIPT, &len);
    assert_non_null (receipt);
    assert_int_equal (agency_world_deliver (w->elder, receipt, len), TSG_OK);
    free (receipt);
    item = s_consent (w, w->elder);
    json_t *to = json_object_get (item, "delivered_to");
    assert_int_equal (json_array_size (to), 1);
    assert_string_equal (s_str (json_array_get (to, 0), "agency"), "pov-a");
    json_decref (item);
    free (data);
}

static void
test_hash_only_grant_has_no_personal_data (void **state)
{
    s_world_t *w = *state;
    char consent_id[TSG_UUID_TEXT_SIZE], fields[1024];
    snprintf (fields, sizeof fields,
              "\"cover_types\":[\"poverty\",\"disability\"],\"categories\":[\"health\"],"
              "\"purpose\":\"case-conference\",\"method\":\"written\",\"valid_until\":"
              "\"2099-12-31\",\"form_sha256\":\"%s\"",
              w->form_sha256);
    uint8_t *data;
    size_t len;
    s_grant (w, fields, consent_id, &data, &len);
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (data, len, &env), TSG_OK);
    assert_int_equal (env.letter->header->legal_basis, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE);
    assert_int_equal (env.letter->header->n_data_categories, 0);
    assert_int_equal (env.letter->n_sealed_bodies, 2); /* pov and dis, by type */
    tsg_envelope_clear (&env);
    assert_int_equal (agency_world_deliver (w->dis, data, len), TSG_OK);
    json_t *item = s_consent (w, w->dis);
    assert_string_equal (s_str (item, "form_sha256"), w->form_sha256);
    json_decref (item);
    free (data);

    /* A verbal consent without a form or note carries no body at all. */
    s_grant (w,
             "\"cover_agencies\":[\"dis-a\"],\"categories\":[\"health\"],\"purpose\":\"other\","
             "\"method\":\"verbal\",\"valid_until\":\"2099-12-31\"",
             consent_id, &data, &len);
    assert_int_equal (agency_world_decode (data, len, &env), TSG_OK);
    assert_int_equal (env.letter->n_sealed_bodies, 0);
    tsg_envelope_clear (&env);
    free (data);
}

/* A referral from elder to pov under consent_id, stored and delivered; its id. */
static void
s_referral (s_world_t *w, const char *consent_id, char referral_id[TSG_UUID_TEXT_SIZE],
            uint8_t **data, size_t *len, bool deliver)
{
    char body[1024];
    snprintf (body, sizeof body,
              "{\"to\":\"pov-a\",\"legal_basis\":\"consent\",\"consent_id\":\"%s\","
              "\"data_categories\":[\"identity\"],\"sheet\":{\"name\":\"山田 ハナ\"," ELDER "}}",
              consent_id);
    json_t *reply = NULL;
    agency_world_sent_clear (w->world, w->elder);
    assert_int_equal (agency_world_request (w->elder, "POST", "/v1/referrals", body, &reply), 202);
    snprintf (referral_id, TSG_UUID_TEXT_SIZE, "%s",
              json_string_value (json_object_get (reply, "referral_id")));
    json_decref (reply);
    *data = agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_REFERRAL, len);
    assert_non_null (*data);
    assert_int_equal (agency_world_store_ack (w->world, w->elder, *data, *len), TSG_OK);
    if (deliver) {
        assert_int_equal (agency_world_deliver (w->pov, *data, *len), TSG_OK);
        agency_world_sent_clear (w->world, w->pov);
    }
}

/* GET /v1/referrals/{id} at agency, a new reference. */
static json_t *
s_get_referral (tsg_agency_t *agency, const char *referral_id)
{
    char path[96];
    snprintf (path, sizeof path, "/v1/referrals/%s", referral_id);
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (agency, "GET", path, NULL, &reply), 200);
    return reply;
}

/* The inbox item of pov that carries referral_id, a new reference. */
static json_t *
s_inbox_item (tsg_agency_t *agency, const char *kind, const char *id_key, const char *id)
{
    json_t *inbox = NULL;
    assert_int_equal (agency_world_request (agency, "GET", "/v1/inbox?after=0", NULL, &inbox), 200);
    json_t *found = NULL;
    size_t i;
    json_t *item;
    json_array_foreach (json_object_get (inbox, "items"), i, item)
    {
        if (strcmp (s_str (item, "kind"), kind) == 0 && s_str (item, id_key)
            && strcmp (s_str (item, id_key), id) == 0)
            found = json_incref (item);
    }
    json_decref (inbox);
    assert_non_null (found);
    return found;
}

static void
test_revoke_restricts_what_came_under_it (void **state)
{
    s_world_t *w = *state;
    char consent_id[TSG_UUID_TEXT_SIZE], referral_id[TSG_UUID_TEXT_SIZE], path[96];
    uint8_t *grant, *referral;
    size_t grant_len, referral_len;
    s_grant (w,
             "\"cover_agencies\":[\"pov-a\"],\"categories\":[\"identity\",\"free-text\"],"
             "\"purpose\":\"referral\",\"method\":\"verbal\",\"valid_until\":\"2099-12-31\"",
             consent_id, &grant, &grant_len);
    assert_int_equal (agency_world_store_ack (w->world, w->elder, grant, grant_len), TSG_OK);
    assert_int_equal (agency_world_deliver (w->pov, grant, grant_len), TSG_OK);
    free (grant);
    s_referral (w, consent_id, referral_id, &referral, &referral_len, true);
    free (referral);

    json_t *item = s_inbox_item (w->pov, "referral", "referral_id", referral_id);
    assert_true (json_is_false (json_object_get (item, "restricted")));
    assert_string_equal (s_str (item, "consent_id"), consent_id);
    json_decref (item);
    json_t *got = s_get_referral (w->pov, referral_id);
    assert_true (json_is_false (json_object_get (got, "restricted")));
    json_decref (got);

    /* elder revokes: the reason goes sealed to pov, under the consent it ends. */
    agency_world_sent_clear (w->world, w->elder);
    snprintf (path, sizeof path, "/v1/consents/%s", consent_id);
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (w->elder, "DELETE", path,
                                            "{\"reason\":\"本人が家族に知られたくないと撤回\"}",
                                            &reply),
                      202);
    assert_string_equal (s_str (reply, "status"), "revoking");
    json_decref (reply);
    size_t len;
    uint8_t *revoke =
        agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, &len);
    assert_non_null (revoke);
    s_refused (w, "DELETE", path, "{\"reason\":\"again\"}", 409, "conflict", NULL);
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (revoke, len, &env), TSG_OK);
    const tsg_header_t *h = env.letter->header;
    assert_string_equal (env.letter->recipient, "coordinator");
    assert_string_equal (h->consent_id, consent_id);
    assert_string_equal (h->case_id, w->case_id);
    assert_string_equal (h->status, "revoked");
    assert_true (h->reason_given);
    assert_int_equal (h->legal_basis, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT);
    assert_int_equal (h->n_data_categories, 1);
    assert_string_equal (h->data_categories[0], "free-text");
    assert_int_equal (env.letter->n_sealed_bodies, 1);
    assert_string_equal (env.letter->sealed_bodies[0]->recipient, "pov-a");
    assert_null (memmem (revoke, len, "撤回", strlen ("撤回")));
    tsg_envelope_clear (&env);
    item = s_consent (w, w->elder);
    assert_string_equal (s_str (item, "status"), "active");
    assert_true (json_is_true (json_object_get (item, "revoke_pending")));
    json_decref (item);
    assert_int_equal (agency_world_store_ack (w->world, w->elder, revoke, len), TSG_OK);
    item = s_consent (w, w->elder);
    assert_string_equal (s_str (item, "status"), "revoked");
    assert_string_equal (s_str (item, "revoked_by"), "elder-a");
    assert_true (json_is_string (json_object_get (item, "revoked_at")));
    assert_true (json_is_false (json_object_get (item, "revoke_pending")));
    json_decref (item);
    s_refused (w, "DELETE", path, "{\"reason\":\"again\"}", 409, "conflict", NULL);

    /* pov learns of it: what came under the consent is restricted, still readable. */
    assert_int_equal (agency_world_deliver (w->pov, revoke, len), TSG_OK);
    s_expect_receipt (w, w->pov, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, "elder-a", NULL);
    item = s_inbox_item (w->pov, "referral", "referral_id", referral_id);
    assert_true (json_is_true (json_object_get (item, "restricted")));
    assert_true (json_is_object (json_object_get (item, "sheet")));
    json_decref (item);
    got = s_get_referral (w->pov, referral_id);
    assert_true (json_is_true (json_object_get (got, "restricted")));
    json_decref (got);
    item = s_consent (w, w->pov);
    assert_string_equal (s_str (item, "status"), "revoked");
    assert_string_equal (s_str (item, "revoked_by"), "elder-a");
    assert_string_equal (s_str (item, "revoke_reason"), "本人が家族に知られたくないと撤回");
    assert_true (json_is_true (json_object_get (item, "restricted")));
    assert_int_equal (json_integer_value (json_object_get (item, "restricted_items")), 1);
    assert_int_equal (
        json_integer_value (json_object_get (json_object_get (item, "data_received"), "referrals")),
        1);
    json_decref (item);
    item = s_inbox_item (w->pov, "consent-revoke", "consent_id", consent_id);
    assert_string_equal (s_str (json_object_get (item, "body"), "reason"),
                         "本人が家族に知られたくないと撤回");
    assert_true (json_is_false (json_object_get (item, "restricted")));
    json_decref (item);

    /* dis, not covered, gets the revocation without the reason, and remembers the end. */
    assert_int_equal (agency_world_deliver (w->dis, revoke, len), TSG_OK);
    item = s_consent (w, w->dis);
    assert_string_equal (s_str (item, "status"), "revoked");
    assert_null (json_object_get (item, "revoke_reason"));
    json_decref (item);
    free (revoke);

    /* The local register stops new letters under it at once. */
    char body[512];
    snprintf (body, sizeof body,
              "{\"to\":\"pov-a\",\"legal_basis\":\"consent\",\"consent_id\":\"%s\","
              "\"data_categories\":[\"identity\"],\"sheet\":{" ELDER "}}",
              consent_id);
    s_refused (w, "POST", "/v1/referrals", body, 422, "missing_legal_basis", "consent_id");
}

/* A coordinator-signed CONSENT_REVOKE: the consent expired. */
typedef struct {
    tsg_header_t header; /* what the letter says */
    const char *consent; /* the consent */
    const char *case_id; /* its case */
    const char *status;  /* "expired" */
} s_expiry_t;

static void
s_fill_expiry (tsg_letter_t *letter, void *arg)
{
    s_expiry_t *e = arg;
    tsunagu__v1__header__init (&e->header);
    e->header.consent_id = (char *) e->consent;
    e->header.case_id = (char *) e->case_id;
    e->header.status = (char *) e->status;
    letter->header = &e->header;
}

static void
test_expiry (void **state)
{
    s_world_t *w = *state;
    char consent_id[TSG_UUID_TEXT_SIZE], referral_id[TSG_UUID_TEXT_SIZE];
    uint8_t *grant, *referral;
    size_t grant_len, referral_len;
    s_grant (w,
             "\"cover_types\":[\"poverty\"],\"categories\":[\"identity\"],\"purpose\":"
             "\"referral\",\"method\":\"verbal\",\"valid_until\":\"2099-12-31\"",
             consent_id, &grant, &grant_len);
    assert_int_equal (agency_world_store_ack (w->world, w->elder, grant, grant_len), TSG_OK);
    assert_int_equal (agency_world_deliver (w->pov, grant, grant_len), TSG_OK);
    free (grant);
    s_referral (w, consent_id, referral_id, &referral, &referral_len, true);
    free (referral);

    /* By the date alone, once valid_until has passed in Japan time. */
    s_clock_ms = tsg_now_ms () + 80ULL * 365 * DAY_MS;
    tsg_clock_set (s_clock);
    json_t *item = s_consent (w, w->pov);
    assert_string_equal (s_str (item, "status"), "expired");
    assert_true (json_is_true (json_object_get (item, "restricted")));
    json_decref (item);
    json_t *got = s_get_referral (w->pov, referral_id);
    assert_true (json_is_true (json_object_get (got, "restricted")));
    json_decref (got);
    tsg_clock_set (NULL);
    item = s_consent (w, w->pov);
    assert_string_equal (s_str (item, "status"), "active");
    json_decref (item);

    /* By the coordinator's word, through the mailbox: acknowledged like any letter. */
    s_expiry_t e = { .consent = consent_id, .case_id = w->case_id, .status = "expired" };
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal (agency_world_coordinator_letter (w->world, "pov-a",
                                                       TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE,
                                                       s_fill_expiry, &e, &data, &len),
                      TSG_OK);
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (data, len, &env), TSG_OK);
    uint8_t id[TSG_MESSAGE_ID_SIZE];
    memcpy (id, env.letter->message_id.data, sizeof id);
    tsg_envelope_clear (&env);
    agency_world_sent_clear (w->world, w->pov);
    assert_int_equal (agency_world_deliver (w->pov, data, len), TSG_OK);
    s_expect_receipt (w, w->pov, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, "coordinator", id);
    item = s_consent (w, w->pov);
    assert_string_equal (s_str (item, "status"), "expired");
    assert_string_equal (s_str (item, "revoked_by"), "coordinator");
    assert_int_equal (json_integer_value (json_object_get (item, "restricted_items")), 1);
    json_decref (item);
    got = s_get_referral (w->pov, referral_id);
    assert_true (json_is_true (json_object_get (got, "restricted")));
    json_decref (got);
    /* Again (the acknowledgement was lost): acknowledged again, nothing changes. */
    assert_int_equal (agency_world_deliver (w->pov, data, len), TSG_OK);
    s_expect_receipt (w, w->pov, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, "coordinator", id);
    free (data);

    /* A consent never granted here: its end is remembered for what may come under it. */
    e.consent = "7d3c1e0a-8b7d-4c3e-9f10-1a2b3c4d5e6f";
    assert_int_equal (agency_world_coordinator_letter (w->world, "dis-a",
                                                       TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE,
                                                       s_fill_expiry, &e, &data, &len),
                      TSG_OK);
    assert_int_equal (agency_world_deliver (w->dis, data, len), TSG_OK);
    free (data);
    char path[96];
    snprintf (path, sizeof path, "/v1/consents/%s", e.consent);
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (w->dis, "GET", path, NULL, &reply), 200);
    assert_string_equal (s_str (reply, "status"), "expired");
    json_decref (reply);
}

/* An ERROR from the coordinator about a letter of ours. */
typedef struct {
    Tsunagu__V1__ErrorReport error; /* the report */
    tsg_header_t header;            /* case and consent */
} s_error_t;

static void
s_fill_error (tsg_letter_t *letter, void *arg)
{
    s_error_t *e = arg;
    letter->error = &e->error;
    letter->header = &e->header;
}

/* Delivers to agency the coordinator's final ERROR about the letter `about` with detail;
 * returns the ERROR letter (caller frees) and its id. */
static uint8_t *
s_withhold (s_world_t *w, tsg_agency_t *agency, const uint8_t *about, const char *consent_id,
            const char *detail, size_t *len, uint8_t id[TSG_MESSAGE_ID_SIZE])
{
    s_error_t e;
    tsunagu__v1__error_report__init (&e.error);
    tsunagu__v1__header__init (&e.header);
    e.error.code = TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS;
    e.error.final = true;
    e.error.about_message_id.data = (uint8_t *) about;
    e.error.about_message_id.len = TSG_MESSAGE_ID_SIZE;
    e.error.detail = (char *) detail;
    e.header.case_id = w->case_id;
    e.header.consent_id = (char *) consent_id;
    uint8_t *data = NULL;
    assert_int_equal (agency_world_coordinator_letter (w->world, agency->config->id,
                                                       TSUNAGU__V1__KIND__KIND_ERROR, s_fill_error,
                                                       &e, &data, len),
                      TSG_OK);
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (data, *len, &env), TSG_OK);
    memcpy (id, env.letter->message_id.data, TSG_MESSAGE_ID_SIZE);
    tsg_envelope_clear (&env);
    agency_world_sent_clear (w->world, agency);
    assert_int_equal (agency_world_deliver (agency, data, *len), TSG_OK);
    return data;
}

static size_t
s_history_count (const json_t *referral, const char *event)
{
    size_t n = 0, i;
    json_t *entry;
    json_array_foreach (json_object_get (referral, "history"), i, entry)
    {
        if (strcmp (s_str (entry, "event"), event) == 0)
            n++;
    }
    return n;
}

static void
test_withheld_shown_at_the_sender (void **state)
{
    s_world_t *w = *state;
    char consent_id[TSG_UUID_TEXT_SIZE], referral_id[TSG_UUID_TEXT_SIZE], detail[160];
    uint8_t *grant, *referral;
    size_t grant_len, referral_len;
    s_grant (w,
             "\"cover_types\":[\"poverty\"],\"categories\":[\"identity\",\"free-text\"],"
             "\"purpose\":\"referral\",\"method\":\"verbal\",\"valid_until\":\"2099-12-31\"",
             consent_id, &grant, &grant_len);
    assert_int_equal (agency_world_store_ack (w->world, w->elder, grant, grant_len), TSG_OK);
    free (grant);
    /* Stored at the coordinator, waiting in pov's mailbox (pov is offline). */
    s_referral (w, consent_id, referral_id, &referral, &referral_len, false);
    json_t *got = s_get_referral (w->elder, referral_id);
    assert_string_equal (s_str (got, "delivery"), "stored");
    json_decref (got);

    /* The consent is revoked; the coordinator withholds the letter and says so. */
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (referral, referral_len, &env), TSG_OK);
    uint8_t about[TSG_MESSAGE_ID_SIZE], id[TSG_MESSAGE_ID_SIZE];
    memcpy (about, env.letter->message_id.data, sizeof about);
    tsg_envelope_clear (&env);
    snprintf (detail, sizeof detail, "withheld: consent %s revoked", consent_id);
    size_t len;
    uint8_t *error = s_withhold (w, w->elder, about, consent_id, detail, &len, id);
    /* Acknowledged to the coordinator, like any letter from the mailbox. */
    s_expect_receipt (w, w->elder, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, "coordinator", id);
    got = s_get_referral (w->elder, referral_id);
    assert_string_equal (s_str (got, "delivery"), "withheld");
    json_t *err = json_object_get (got, "error");
    assert_string_equal (s_str (err, "code"), "missing_legal_basis");
    assert_string_equal (s_str (err, "message"), detail);
    assert_int_equal (s_history_count (got, "withheld"), 1);
    assert_true (
        json_is_null (json_object_get (json_object_get (got, "receipts"), "delivered_at")));
    json_decref (got);
    /* The same ERROR again: acknowledged again, recorded once. */
    assert_int_equal (agency_world_deliver (w->elder, error, len), TSG_OK);
    s_expect_receipt (w, w->elder, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, "coordinator", id);
    got = s_get_referral (w->elder, referral_id);
    assert_int_equal (s_history_count (got, "withheld"), 1);
    json_decref (got);
    free (error);

    /* A letter refused before it was stored is "refused", not withheld. */
    char second[TSG_UUID_TEXT_SIZE];
    char body[512];
    snprintf (body, sizeof body,
              "{\"to\":\"pov-a\",\"legal_basis\":\"consent\",\"consent_id\":\"other-1\","
              "\"data_categories\":[\"identity\"],\"sheet\":{" ELDER "}}");
    json_t *reply = NULL;
    agency_world_sent_clear (w->world, w->elder);
    assert_int_equal (agency_world_request (w->elder, "POST", "/v1/referrals", body, &reply), 202);
    snprintf (second, sizeof second, "%s", s_str (reply, "referral_id"));
    json_decref (reply);
    uint8_t *queued =
        agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_REFERRAL, &len);
    assert_int_equal (agency_world_decode (queued, len, &env), TSG_OK);
    memcpy (about, env.letter->message_id.data, sizeof about);
    tsg_envelope_clear (&env);
    free (queued);
    error = s_withhold (w, w->elder, about, "",
                        "no active consent named: consent other-1 is not "
                        "in the register",
                        &len, id);
    free (error);
    got = s_get_referral (w->elder, second);
    assert_string_equal (s_str (got, "delivery"), "refused");
    assert_string_equal (s_str (json_object_get (got, "error"), "code"), "missing_legal_basis");
    json_decref (got);
    assert_int_equal (agency_world_count (w->elder, AGENCY_DB_OUTBOX), 0);
    free (referral);
}

static void
test_withheld_status_and_event (void **state)
{
    s_world_t *w = *state;
    char consent_id[TSG_UUID_TEXT_SIZE], referral_id[TSG_UUID_TEXT_SIZE], path[128];
    uint8_t *grant, *referral;
    size_t grant_len, referral_len, len;
    s_grant (w,
             "\"cover_types\":[\"poverty\",\"eldercare\"],\"categories\":[\"identity\","
             "\"free-text\"],\"purpose\":\"referral\",\"method\":\"verbal\","
             "\"valid_until\":\"2099-12-31\"",
             consent_id, &grant, &grant_len);
    assert_int_equal (agency_world_store_ack (w->world, w->elder, grant, grant_len), TSG_OK);
    assert_int_equal (agency_world_deliver (w->pov, grant, grant_len), TSG_OK);
    free (grant);
    s_referral (w, consent_id, referral_id, &referral, &referral_len, true);
    free (referral);

    /* pov rejects with a reason, under the referral's consent; stored, then withheld. */
    json_t *reply = NULL;
    snprintf (path, sizeof path, "/v1/referrals/%s/status", referral_id);
    assert_int_equal (
        agency_world_request (w->pov, "POST", path, "{\"status\":\"received\"}", &reply), 202);
    json_decref (reply);
    uint8_t *letter =
        agency_world_take (w->world, w->pov, TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS, &len);
    assert_int_equal (agency_world_store_ack (w->world, w->pov, letter, len), TSG_OK);
    free (letter);
    assert_int_equal (agency_world_request (w->pov, "POST", path,
                                            "{\"status\":\"rejected\",\"reason\":\"管轄外\"}",
                                            &reply),
                      202);
    json_decref (reply);
    letter = agency_world_take (w->world, w->pov, TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS, &len);
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (letter, len, &env), TSG_OK);
    assert_string_equal (env.letter->header->consent_id, consent_id);
    assert_int_equal (env.letter->header->legal_basis,
                      TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT);
    uint8_t about[TSG_MESSAGE_ID_SIZE], id[TSG_MESSAGE_ID_SIZE];
    memcpy (about, env.letter->message_id.data, sizeof about);
    tsg_envelope_clear (&env);
    assert_int_equal (agency_world_store_ack (w->world, w->pov, letter, len), TSG_OK);
    free (letter);
    size_t error_len;
    uint8_t *error =
        s_withhold (w, w->pov, about, consent_id, "withheld: consent revoked", &error_len, id);
    free (error);
    json_t *got = s_get_referral (w->pov, referral_id);
    assert_string_equal (s_str (got, "status"), "rejected"); /* the change stands */
    json_t *history = json_object_get (got, "state_history");
    json_t *last = json_array_get (history, json_array_size (history) - 1);
    assert_string_equal (s_str (last, "state"), "rejected");
    assert_true (json_is_true (json_object_get (last, "withheld")));
    json_t *errors = json_object_get (got, "errors");
    assert_int_equal (json_array_size (errors), 1);
    assert_true (json_is_true (json_object_get (json_array_get (errors, 0), "withheld")));
    json_decref (got);

    /* elder's note under the consent: stored, applied, then its content withheld. */
    char events[96];
    snprintf (events, sizeof events, "/v1/cases/%s/events", w->case_id);
    char body[512];
    snprintf (body, sizeof body,
              "{\"type\":\"note\",\"legal_basis\":\"consent\",\"consent_id\":\"%s\","
              "\"note\":{\"category\":\"call\",\"written_on\":\"2026-11-25\",\"text\":\"電話\"}}",
              consent_id);
    agency_world_sent_clear (w->world, w->elder);
    assert_int_equal (agency_world_request (w->elder, "POST", events, body, &reply), 202);
    json_decref (reply);
    letter = agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_CASE_EVENT, &len);
    assert_int_equal (agency_world_decode (letter, len, &env), TSG_OK);
    /* Sealed only to those the consent covers: pov, not dis. */
    assert_int_equal (env.letter->n_sealed_bodies, 1);
    assert_string_equal (env.letter->sealed_bodies[0]->recipient, "pov-a");
    memcpy (about, env.letter->message_id.data, sizeof about);
    tsg_envelope_clear (&env);
    assert_int_equal (agency_world_store_ack (w->world, w->elder, letter, len), TSG_OK);
    free (letter);
    error = s_withhold (w, w->elder, about, consent_id,
                        "withheld: consent revoked (the copy for pov-a)", &error_len, id);
    free (error);
    char show[96];
    snprintf (show, sizeof show, "/v1/cases/%s", w->case_id);
    assert_int_equal (agency_world_request (w->elder, "GET", show, NULL, &reply), 200);
    json_t *list = json_object_get (reply, "events");
    json_t *event = json_array_get (list, json_array_size (list) - 1);
    assert_string_equal (s_str (event, "status"), "stored");
    json_t *withheld = json_object_get (event, "withheld");
    assert_int_equal (json_array_size (withheld), 1);
    assert_non_null (strstr (s_str (json_array_get (withheld, 0), "message"), "pov-a"));
    assert_int_equal (json_array_size (json_object_get (reply, "rejected_events")), 0);
    json_decref (reply);
}

int
main (void)
{
    log_init ("test_agency_consents", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_grant_validation, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_grant_letter_and_sealed_bodies, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_hash_only_grant_has_no_personal_data, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_revoke_restricts_what_came_under_it, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_expiry, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_withheld_shown_at_the_sender, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_withheld_status_and_event, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
