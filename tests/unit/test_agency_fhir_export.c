/* test_agency_fhir_export.c — the referral as FHIR (api/fhir_view.c) and the referrals as CSV
 * (api/export_view.c), on agencies in memory: what each side can show (the Patient from the
 * sheet only at the recipient), a refused letter's Task, the CSV rows and their personal
 * columns, and the export's arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_csv_write.h"
#include "agency/api/views.h"
#include "agency_world.h"

/* An emergency report from eldercare to child (no consent needed), with a sheet. */
static const char s_request[] =
    "{\"to\":\"child-a\",\"urgency\":\"emergency\",\"tags\":[\"虐待\",\"8050\"],"
    "\"legal_basis\":\"emergency\",\"data_categories\":[\"identity\",\"family\"],"
    "\"sheet\":{\"household_id\":\"H004\",\"members\":[{\"name\":\"=田中 太郎\","
    "\"relation\":\"長男\"},{\"name\":\"田中 花子\",\"kana\":\"タナカ ハナコ\","
    "\"birthdate\":\"1940-02-29\",\"relation\":\"本人\"}],\"summary\":\"あざが見られた。\","
    "\"eldercare\":{\"care_insurance\":\"要介護2\"}}}";

typedef struct {
    agency_world_t *world;
    tsg_agency_t *elder, *child;
    char rid[TSG_UUID_TEXT_SIZE];
} s_fixture_t;

/* Posts the request; the coordinator stores it (or refuses it) and, when stored, forwards. */
static void
s_send (s_fixture_t *f, bool refuse, char rid[TSG_UUID_TEXT_SIZE])
{
    json_t *reply = NULL;
    agency_world_sent_clear (f->world, f->elder);
    assert_int_equal (agency_world_request (f->elder, "POST", "/v1/referrals", s_request, &reply),
                      202);
    snprintf (rid, TSG_UUID_TEXT_SIZE, "%s",
              json_string_value (json_object_get (reply, "referral_id")));
    json_decref (reply);
    size_t len;
    const uint8_t *letter = agency_world_sent (f->world, f->elder, 0, &len);
    assert_non_null (letter);
    uint8_t *copy = malloc (len);
    memcpy (copy, letter, len);
    if (refuse) {
        assert_int_equal (agency_world_error (f->world, f->elder, copy, len,
                                              TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
                                              true),
                          TSG_OK);
    }
    else {
        assert_int_equal (agency_world_store_ack (f->world, f->elder, copy, len), TSG_OK);
        assert_int_equal (agency_world_deliver (f->child, copy, len), TSG_OK);
    }
    free (copy);
    agency_world_sent_clear (f->world, f->elder);
    agency_world_sent_clear (f->world, f->child);
}

static int
s_setup (void **state)
{
    s_fixture_t *f = calloc (1, sizeof *f);
    tsg_agency_t *agencies[4];
    f->world = agency_world_with (4, agencies);
    assert_non_null (f->world);
    f->elder = agencies[0];
    f->child = agencies[3];
    s_send (f, false, f->rid);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *f = *state;
    agency_world_destroy (&f->world);
    free (f);
    return 0;
}

/* The one resource of kind in bundle (borrowed); fails the test unless there is one. */
static json_t *
s_one (json_t *bundle, const char *kind)
{
    json_t *found = NULL;
    size_t i, n = 0;
    json_t *entry;
    json_array_foreach (json_object_get (bundle, "entry"), i, entry)
    {
        json_t *resource = json_object_get (entry, "resource");
        const char *type = json_string_value (json_object_get (resource, "resourceType"));
        if (type && strcmp (type, kind) == 0) {
            found = resource;
            n++;
        }
    }
    assert_int_equal (n, 1);
    return found;
}

static const char *
s_str (json_t *object, const char *path)
{
    return json_string_value (json_object_get (object, path));
}

static void
test_fhir_both_sides (void **state)
{
    s_fixture_t *f = *state;
    json_t *sent = agency_referral_fhir (f->elder, f->rid);
    json_t *got = agency_referral_fhir (f->child, f->rid);
    assert_non_null (sent);
    assert_non_null (got);
    assert_string_equal (s_str (sent, "type"), "collection");
    /* The sender: requested and delivered?  Stored (the recipient's receipt has not come). */
    json_t *task = s_one (sent, "Task");
    assert_string_equal (s_str (task, "status"), "requested");
    json_t *business =
        json_array_get (json_object_get (json_object_get (task, "businessStatus"), "coding"), 0);
    assert_string_equal (s_str (business, "code"), "stored");
    json_t *sr = s_one (sent, "ServiceRequest");
    assert_string_equal (s_str (sr, "priority"), "stat");
    assert_string_equal (s_str (sr, "status"), "active");
    assert_null (json_object_get (s_one (sent, "Patient"), "name"));
    assert_null (json_object_get (sr, "reasonCode"));
    /* The recipient: the Patient from the sheet, the person (本人) not the first member. */
    json_t *patient = s_one (got, "Patient");
    json_t *name = json_array_get (json_object_get (patient, "name"), 0);
    assert_string_equal (s_str (name, "text"), "田中 花子");
    assert_string_equal (s_str (name, "family"), "田中");
    assert_string_equal (s_str (patient, "birthDate"), "1940-02-29");
    assert_string_equal (
        s_str (json_array_get (json_object_get (s_one (got, "ServiceRequest"), "reasonCode"), 0),
               "text"),
        "あざが見られた。");
    /* No consent named: no Consent resource, no supportingInfo. */
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (got, "entry"), i, entry)
    {
        assert_string_not_equal (s_str (json_object_get (entry, "resource"), "resourceType"),
                                 "Consent");
        assert_memory_equal (s_str (entry, "fullUrl"), "urn:uuid:", 9);
    }
    /* Both sides name the ServiceRequest and the Task alike. */
    assert_string_equal (s_str (s_one (sent, "Task"), "id"), s_str (s_one (got, "Task"), "id"));
    assert_string_equal (s_str (sr, "id"), s_str (s_one (got, "ServiceRequest"), "id"));
    json_decref (sent);
    json_decref (got);
    /* Neither side's, or no referral at all. */
    tsg_agency_t *other = agency_world_agency (f->world, "dis-b", "disability");
    assert_null (agency_referral_fhir (other, f->rid));
    assert_null (agency_referral_fhir (f->elder, "not-a-uuid"));
}

static void
test_fhir_refused_is_failed (void **state)
{
    s_fixture_t *f = *state;
    char rid[TSG_UUID_TEXT_SIZE];
    s_send (f, true, rid);
    json_t *bundle = agency_referral_fhir (f->elder, rid);
    assert_non_null (bundle);
    json_t *task = s_one (bundle, "Task");
    assert_string_equal (s_str (task, "status"), "failed");
    json_t *business =
        json_array_get (json_object_get (json_object_get (task, "businessStatus"), "coding"), 0);
    assert_string_equal (s_str (business, "code"), "refused");
    assert_non_null (json_object_get (task, "statusReason"));
    assert_string_equal (s_str (s_one (bundle, "ServiceRequest"), "status"), "revoked");
    json_decref (bundle);
}

/* The export of today as text (UTF-8 without its BOM checked and dropped). */
static char *
s_export (tsg_agency_t *agency, const char *direction, bool personal, bool cp932, size_t *len)
{
    char today[11];
    tsg_date_jst_plus_days (tsg_now_ms (), 0, today);
    json_t *fields = json_object ();
    agency_export_query_t q;
    assert_true (agency_export_parse (today, today, direction, cp932 ? "cp932" : NULL,
                                      personal ? "true" : NULL, &q, fields));
    json_decref (fields);
    char *out = NULL;
    json_t *error = NULL;
    assert_int_equal (agency_export_referrals (agency, &q, &out, len, &error), 200);
    assert_null (error);
    if (!cp932)
        assert_memory_equal (out, "\xEF\xBB\xBF", 3);
    return out;
}

static size_t
s_count (const char *text, const char *what)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr (p, what)); p += strlen (what))
        n++;
    return n;
}

static void
test_export_rows (void **state)
{
    s_fixture_t *f = *state;
    size_t len;
    char *csv = s_export (f->elder, NULL, true, false, &len);
    /* The header with the personal columns, one sent row, no personal data at the sender. */
    assert_memory_equal (csv + 3, "方向,紹介ID,ケースID,作成日時,紹介元,紹介先,緊急度,法的根拠,",
                         strlen ("方向,紹介ID,ケースID,作成日時,紹介元,紹介先,緊急度,法的根拠,"));
    assert_non_null (strstr (csv, ",回答期限,世帯ID,氏名\r\n"));
    assert_int_equal (s_count (csv, "\r\n"), 2);
    assert_non_null (strstr (csv, "\r\n送信,"));
    assert_non_null (strstr (csv, f->rid));
    assert_non_null (strstr (csv, ",緊急,"));
    assert_null (strstr (csv, "H004"));
    assert_true (csv[len - 3] == ',' && csv[len - 2] == '\r'); /* 氏名 empty, then CRLF */
    free (csv);
    /* The recipient: the household id and the person's name; a name starting with = would be
     * guarded, but 本人 is the second member. */
    csv = s_export (f->child, "received", true, false, &len);
    assert_non_null (strstr (csv, "\r\n受信,"));
    assert_non_null (strstr (csv, ",H004,田中 花子\r\n"));
    free (csv);
    csv = s_export (f->child, "received", false, false, &len);
    assert_null (strstr (csv, "H004"));
    assert_null (strstr (csv, "田中"));
    free (csv);
    /* The recipient sent nothing. */
    csv = s_export (f->child, "sent", false, false, &len);
    assert_int_equal (s_count (csv, "\r\n"), 1);
    free (csv);
    /* CP932: the same text in Shift_JIS. */
    char *utf8 = s_export (f->child, "all", true, false, &len);
    size_t sjis_len, again_len;
    char *sjis = s_export (f->child, "all", true, true, &sjis_len);
    char *again = tsg_csv_cp932 (utf8 + 3, len - 3, &again_len);
    assert_int_equal (again_len, sjis_len);
    assert_memory_equal (again, sjis, sjis_len);
    free (utf8);
    free (sjis);
    free (again);
}

static void
test_export_arguments (void **state)
{
    (void) state;
    agency_export_query_t q;
    static const char *const bad[][5] = {
        { NULL, "2026-12-01", NULL, NULL, NULL },
        { "2026-12-01", NULL, NULL, NULL, NULL },
        { "2026-12-31", "2026-12-01", NULL, NULL, NULL },
        { "2026-02-30", "2026-12-01", NULL, NULL, NULL },
        { "2026-12-01", "2026-12-01", "both", NULL, NULL },
        { "2026-12-01", "2026-12-01", NULL, "sjis", NULL },
        { "2026-12-01", "2026-12-01", NULL, NULL, "1" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *fields = json_object ();
        assert_false (agency_export_parse (bad[i][0], bad[i][1], bad[i][2], bad[i][3], bad[i][4],
                                           &q, fields));
        assert_true (json_object_size (fields) >= 1);
        json_decref (fields);
    }
    json_t *fields = json_object ();
    assert_true (
        agency_export_parse ("2026-12-01", "2026-12-31", "sent", "cp932", "false", &q, fields));
    assert_true (q.sent && !q.received && q.cp932 && !q.personal);
    assert_string_equal (q.from, "2026-12-01");
    assert_string_equal (q.to, "2026-12-31");
    assert_true (agency_export_parse ("2026-12-01", "2026-12-01", NULL, "utf-8", NULL, &q, fields));
    assert_true (q.sent && q.received && !q.cp932);
    json_decref (fields);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_fhir_both_sides, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_fhir_refused_is_failed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_export_rows, s_setup, s_teardown),
        cmocka_unit_test (test_export_arguments),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
