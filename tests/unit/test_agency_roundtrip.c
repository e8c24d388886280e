/* A つなぐシート from one agency's API to another's inbox and back as receipts, through
 * seal and open with generated keys, for every ordered pair of agency types. */
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

static const char *const s_types[] = { "eldercare", "disability", "child", "poverty" };

/* A sheet with what real ones hold: Japanese text, nesting, numbers, escapes. */
static const char s_sheet[] =
    "{\"household\":\"H-test\",\"members\":[{\"name\":\"山田 ハナ\",\"kana\":\"ヤマダ ハナ\","
    "\"birthdate\":\"1943-04-12\",\"relation\":\"本人\"},{\"name\":\"山田 一郎\",\"age\":53}],"
    "\"address\":\"つなぐ市中央町1-2-3\",\"phone\":\"000-0000-0001\",\"flags\":[true,false,null],"
    "\"score\":3.5,\"summary\":\"家賃滞納2か月。\\\"相談拒否\\\"\\n改行\\u3042\","
    "\"eldercare\":{\"care_insurance\":\"要介護1\"},\"disability\":{\"certificate\":\"療育手帳A\"},"
    "\"child\":{\"age\":15,\"school\":\"つなぐ市立東中学校\"},"
    "\"poverty\":{\"income_band\":\"年金のみ\"}}";

/* Moves every letter `from` sent into `to`, as the coordinator would, and returns how many. */
static size_t
s_forward (agency_world_t *world, tsg_agency_t *from, tsg_agency_t *to)
{
    size_t n = agency_world_sent_count (world, from);
    const uint8_t **frames = calloc (n ? n : 1, sizeof *frames);
    size_t *lens = calloc (n ? n : 1, sizeof *lens);
    for (size_t i = 0; i < n; i++)
        frames[i] = agency_world_sent (world, from, i, &lens[i]);
    if (n)
        assert_int_equal (agency_receive (to, frames, lens, n), TSG_OK);
    free (frames);
    free (lens);
    return n;
}

/* Posts sheet from `from` to `to` and checks it arrives whole, and that the receipts come
 * back: stored, then delivered. */
static void
s_round_trip (agency_world_t *world, tsg_agency_t *from, tsg_agency_t *to, const char *sheet_text)
{
    json_error_t error;
    json_t *sheet = json_loads (sheet_text, 0, &error);
    assert_non_null (sheet);
    /* An abuse report where the sender's type may make one; else under a consent. */
    bool report = from->policy->may_send_emergency;
    json_t *request = json_pack ("{s:s, s:s, s:[s,s], s:s, s:[s,s,s], s:O}", "to", to->config->id,
                                 "urgency", report ? "emergency" : "high", "tags", "虐待", "8050",
                                 "legal_basis", report ? "emergency" : "consent", "data_categories",
                                 "identity", "health", "family", "sheet", sheet);
    if (!report)
        json_object_set_new (request, "consent_id", json_string ("c-roundtrip"));
    char *body = json_dumps (request, 0);
    json_decref (request);

    agency_world_sent_clear (world, from);
    agency_world_sent_clear (world, to);
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (from, "POST", "/v1/referrals", body, &reply), 202);
    free (body);
    char referral_id[TSG_UUID_TEXT_SIZE], case_id[TSG_UUID_TEXT_SIZE], due[11];
    snprintf (referral_id, sizeof referral_id, "%s",
              json_string_value (json_object_get (reply, "referral_id")));
    snprintf (case_id, sizeof case_id, "%s",
              json_string_value (json_object_get (reply, "case_id")));
    snprintf (due, sizeof due, "%s", json_string_value (json_object_get (reply, "due_date")));
    json_decref (reply);

    /* The coordinator stores it (receipt to the sender) and forwards it. */
    assert_int_equal (agency_world_sent_count (world, from), 1);
    size_t len;
    const uint8_t *letter = agency_world_sent (world, from, 0, &len);
    assert_int_equal (agency_world_store_ack (world, from, letter, len), TSG_OK);
    uint64_t after = to->next_cursor - 1;
    assert_int_equal (s_forward (world, from, to), 1);
    agency_world_sent_clear (world, from);

    /* The recipient's inbox holds the sheet, decrypted, exactly as it was sent. */
    char path[64];
    snprintf (path, sizeof path, "/v1/inbox?after=%llu", (unsigned long long) after);
    assert_int_equal (agency_world_request (to, "GET", path, NULL, &reply), 200);
    json_t *items = json_object_get (reply, "items");
    assert_int_equal (json_array_size (items), 1);
    json_t *item = json_array_get (items, 0);
    assert_true (json_equal (json_object_get (item, "sheet"), sheet));
    assert_string_equal (json_string_value (json_object_get (item, "kind")), "referral");
    assert_string_equal (json_string_value (json_object_get (item, "referral_id")), referral_id);
    assert_string_equal (json_string_value (json_object_get (item, "case_id")), case_id);
    assert_string_equal (json_string_value (json_object_get (item, "from")), from->config->id);
    assert_string_equal (json_string_value (json_object_get (item, "from_type")),
                         from->policy->type);
    assert_string_equal (json_string_value (json_object_get (item, "from_name")), from->config->id);
    assert_string_equal (json_string_value (json_object_get (item, "urgency")),
                         report ? "emergency" : "high");
    assert_string_equal (json_string_value (json_object_get (item, "legal_basis")),
                         report ? "emergency" : "consent");
    assert_true (json_equal (json_object_get (item, "urgent"), json_boolean (report)));
    assert_int_equal (json_array_size (json_object_get (item, "data_categories")), 3);
    assert_true (json_is_false (json_object_get (item, "restricted")));
    assert_string_equal (json_string_value (json_object_get (item, "due_date")), due);
    assert_int_equal (json_array_size (json_object_get (item, "tags")), 2);
    assert_string_equal (json_string_value (json_array_get (json_object_get (item, "tags"), 0)),
                         "虐待");
    assert_int_equal (strlen (json_string_value (json_object_get (item, "message_id"))), 32);
    assert_true (json_is_string (json_object_get (item, "created_at")));
    assert_true (json_is_string (json_object_get (item, "received_at")));
    json_int_t cursor = json_integer_value (json_object_get (item, "cursor"));
    assert_int_equal (cursor, (json_int_t) after + 1);
    assert_int_equal (json_integer_value (json_object_get (reply, "next_cursor")), cursor);
    json_decref (reply);
    /* Nothing after it. */
    snprintf (path, sizeof path, "/v1/inbox?after=%lld", (long long) cursor);
    assert_int_equal (agency_world_request (to, "GET", path, NULL, &reply), 200);
    assert_int_equal (json_array_size (json_object_get (reply, "items")), 0);
    assert_int_equal (json_integer_value (json_object_get (reply, "next_cursor")), cursor);
    json_decref (reply);

    /* The recipient's receipt goes back; the sender shows 届きました and acknowledges. */
    assert_int_equal (s_forward (world, to, from), 1);
    agency_world_sent_clear (world, to);
    assert_int_equal (agency_world_sent_count (world, from), 1); /* the receipt's ack */
    tsg_envelope_t ack = { 0 };
    letter = agency_world_sent (world, from, 0, &len);
    assert_int_equal (agency_world_decode (letter, len, &ack), TSG_OK);
    assert_int_equal (ack.letter->kind, TSUNAGU__V1__KIND__KIND_RECEIPT);
    assert_int_equal (ack.letter->receipt->type, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED);
    assert_string_equal (ack.letter->recipient, to->config->id);
    assert_string_equal (ack.letter->header->referral_id, referral_id);
    tsg_envelope_clear (&ack);
    snprintf (path, sizeof path, "/v1/referrals/%s", referral_id);
    assert_int_equal (agency_world_request (from, "GET", path, NULL, &reply), 200);
    assert_string_equal (json_string_value (json_object_get (reply, "delivery")), "delivered");
    assert_string_equal (json_string_value (json_object_get (reply, "to_type")), to->policy->type);
    json_t *receipts = json_object_get (reply, "receipts");
    assert_true (json_is_string (json_object_get (receipts, "stored_at")));
    assert_true (json_is_string (json_object_get (receipts, "delivered_at")));
    json_t *history = json_object_get (reply, "history");
    assert_int_equal (json_array_size (history), 3);
    const char *events[] = { "requested", "stored", "delivered" };
    for (size_t i = 0; i < 3; i++)
        assert_string_equal (
            json_string_value (json_object_get (json_array_get (history, i), "event")), events[i]);
    assert_string_equal (json_string_value (json_object_get (json_array_get (history, 2), "by")),
                         to->config->id);
    json_decref (reply);
    assert_int_equal (agency_world_count (from, AGENCY_DB_OUTBOX), 0);
    agency_world_sent_clear (world, from);
    agency_world_sent_clear (world, to);
    json_decref (sheet);
}

static void
test_every_pair (void **state)
{
    (void) state;
    agency_world_t *world = agency_world_new ();
    tsg_agency_t *agencies[4];
    for (size_t i = 0; i < 4; i++) {
        char id[32];
        snprintf (id, sizeof id, "%s-chuo", s_types[i]);
        agencies[i] = agency_world_agency (world, id, s_types[i]);
        assert_non_null (agencies[i]);
    }
    agency_world_publish (world);
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < 4; b++)
            if (a != b)
                s_round_trip (world, agencies[a], agencies[b], s_sheet);
    /* Each inbox got one from each of the three others. */
    for (size_t i = 0; i < 4; i++)
        assert_int_equal (agency_world_count (agencies[i], AGENCY_DB_INBOX), 3);
    agency_world_destroy (&world);
}

static void
test_sealed_only_for_the_recipient (void **state)
{
    (void) state;
    agency_world_t *world = agency_world_new ();
    tsg_agency_t *elder = agency_world_agency (world, "elder-a", "eldercare");
    tsg_agency_t *child = agency_world_agency (world, "child-a", "child");
    tsg_agency_t *pov = agency_world_agency (world, "pov-a", "poverty");
    agency_world_publish (world);
    json_t *reply = NULL;
    char *body = NULL;
    assert_true (asprintf (&body,
                           "{\"to\":\"child-a\",\"legal_basis\":\"consent\",\"consent_id\":\"c-1\","
                           "\"data_categories\":[\"identity\"],\"sheet\":%s}",
                           s_sheet)
                 > 0);
    assert_int_equal (agency_world_request (elder, "POST", "/v1/referrals", body, &reply), 202);
    json_decref (reply);
    free (body);
    size_t len;
    const uint8_t *letter = agency_world_sent (world, elder, 0, &len);
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (letter, len, &env), TSG_OK);
    /* The addressee opens it; a third agency cannot, nor can the sender's own key pair
     * in the other direction. */
    Tsunagu__V1__Body *opened = NULL;
    const uint8_t *elder_box = tsg_keys_box_public (elder->config->keys);
    assert_int_equal (tsg_body_open (child->boxer, elder_box, env.letter->body.data,
                                     env.letter->body.len, &opened),
                      TSG_OK);
    assert_string_equal (opened->content_type, "application/json");
    json_t *got = json_loadb ((const char *) opened->content.data, opened->content.len, 0, NULL);
    json_t *want = json_loads (s_sheet, 0, NULL);
    assert_true (json_equal (got, want));
    json_decref (got);
    json_decref (want);
    tsunagu__v1__body__free_unpacked (opened, NULL);
    opened = NULL;
    assert_int_equal (
        tsg_body_open (pov->boxer, elder_box, env.letter->body.data, env.letter->body.len, &opened),
        TSG_ERR_CRYPTO);
    assert_null (opened);
    /* No personal data in the clear in the envelope. */
    assert_null (memmem (letter, len, "山田", strlen ("山田")));
    assert_null (memmem (letter, len, "000-0000-0001", 13));
    tsg_envelope_clear (&env);
    agency_world_destroy (&world);
}

/* The shared synthetic households, when the test run points at them. */
static void
test_shared_households (void **state)
{
    (void) state;
    const char *dir = getenv ("TSUNAGU_SHARED_DATA");
    if (!dir || !*dir)
        skip ();
    char path[1024];
    snprintf (path, sizeof path, "%s/households.json", dir);
    json_t *data = json_load_file (path, 0, NULL);
    if (!data)
        skip ();
    agency_world_t *world = agency_world_new ();
    tsg_agency_t *by_type[4];
    for (size_t i = 0; i < 4; i++)
        by_type[i] = agency_world_agency (world, s_types[i], s_types[i]);
    agency_world_publish (world);
    size_t i;
    json_t *household;
    json_array_foreach (json_object_get (data, "households"), i, household)
    {
        const char *from = json_string_value (json_object_get (household, "from"));
        const char *to = json_string_value (json_object_get (household, "to"));
        tsg_agency_t *a = NULL, *b = NULL;
        for (size_t t = 0; t < 4; t++) {
            if (from && strcmp (from, s_types[t]) == 0)
                a = by_type[t];
            if (to && strcmp (to, s_types[t]) == 0)
                b = by_type[t];
        }
        if (!a || !b || a == b)
            continue;
        char *text = json_dumps (household, 0);
        s_round_trip (world, a, b, text);
        free (text);
    }
    json_decref (data);
    agency_world_destroy (&world);
}

int
main (void)
{
    log_init ("test_agency_roundtrip", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_pair),
        cmocka_unit_test (test_sealed_only_for_the_recipient),
        cmocka_unit_test (test_shared_households),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
