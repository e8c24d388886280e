/* Spreadsheet rows read through a mapping into their requests (agency/imports/rows.h): a file
 * without the column every row needs refused at its header, the columns nobody reads warned
 * about; a row of つなぐ市's list becomes the referral an agency would have typed (to or to_type,
 * urgency, tags, the sheet at its paths, client_ref from the row key, the data categories it
 * holds) and the consent the office's standing answer registers; another agency's row is
 * skipped; an impossible date is a problem naming row, column and field; the cell beats the
 * [row] section, which beats the defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "agency/imports/rows.h"

#define NOW_MS 1796266800000ULL /* 2026-12-03T03:00:00Z, noon in Japan */
#define TODAY  "2026-12-03"
#define PLANS  16
#define HEADER "世帯ID,紹介元,紹介先,緊急度,氏名,フリガナ,生年月日,住所,電話,課題タグ,概要\n"
#define H001                                                                                       \
    "H001,eldercare,poverty,緊急,山田 ハナ,ヤマダ "                                       \
    "ハナ,昭和18年4月12日,つなぐ市中央町1-2-3,000-0000-0001,介護・8050、ひきこもり,訪問時に把握\n"
#define H002                                                                                       \
    "H002,child,disability,high,佐藤 みき,サトウ "                                          \
    "ミキ,2011-06-03,つなぐ市東町4-5-6,000-0000-0002,ヤングケアラー,担任から相談\n"
#define H003                                                                                       \
    "H003,eldercare,child,normal,鈴木 恵,スズキ "                                            \
    "メグミ,1986/11/11,つなぐ市西町7-8-9,000-0000-0003,ダブルケア,健診で把握\n"

/* つなぐ市's mapping, as docs/examples has it (the rows the tests use). */
static const char s_city[] = "[columns]\n"
                             "要介護度 = sheet.eldercare.care_insurance\n"
                             "年齢 = sheet.child.age\n"
                             "保育園 = sheet.child.nursery\n"
                             "法的根拠 = legal_basis\n"
                             "同意ID = consent_id\n"
                             "同意方法 = consent.method\n"
                             "同意期限 = consent.valid_until\n"
                             "情報区分 = data_categories\n"
                             "[defaults]\n"
                             "legal_basis = consent\n"
                             "consent.method = verbal\n"
                             "consent.purpose = referral\n"
                             "consent.valid_days = 180\n"
                             "sheet.members.0.relation = 本人\n"
                             "[row H001]\n"
                             "sheet.eldercare.care_insurance = 要介護1\n"
                             "[row H002]\n"
                             "sheet.child.age = 15\n"
                             "[row H003]\n"
                             "sheet.child.age = 3\n"
                             "sheet.child.nursery = つなぐ保育園\n";

/* One file read through one mapping, as the import reads it. */
typedef struct {
    agency_import_mapping_t mapping;
    agency_import_header_t header;
    agency_import_self_t self;
    int header_rc;                     /* what agency_import_header_read returned */
    bool header_seen;                  /* the first row was read */
    agency_import_plan_t plans[PLANS]; /* one per data row */
    size_t count;                      /* how many */
    json_t *problems;
    json_t *warnings;
} s_file_t;

static uint64_t
s_clock (void)
{
    return NOW_MS;
}

static bool
s_on_row (void *arg, const tsg_csv_row_t *row)
{
    s_file_t *f = arg;
    if (!f->header_seen) {
        f->header_seen = true;
        f->header_rc =
            agency_import_header_read (&f->mapping, row, &f->header, f->problems, f->warnings);
        return f->header_rc == 0;
    }
    assert_true (f->count < PLANS);
    agency_import_row_plan (&f->header, row, &f->self, &f->plans[f->count++], f->problems);
    return true;
}

/* Reads csv (UTF-8 text) through mapping (NULL: the built-in one) as the agency type/id. */
static s_file_t *
s_read (const char *mapping, const char *csv, const char *type, const char *id)
{
    s_file_t *f = calloc (1, sizeof *f);
    assert_non_null (f);
    char why[300] = "";
    int rc =
        agency_import_mapping_parse (mapping ? "test" : NULL, mapping,
                                     mapping ? strlen (mapping) : 0, &f->mapping, why, sizeof why);
    if (rc != 0)
        fail_msg ("mapping refused: %s", why);
    f->self.type = type;
    f->self.id = id;
    snprintf (f->self.today, sizeof f->self.today, "%s", TODAY);
    f->problems = json_array ();
    f->warnings = json_array ();
    tsg_csv_text_t text;
    assert_int_equal (tsg_csv_decode ((const uint8_t *) csv, strlen (csv), &text, why, sizeof why),
                      TSG_OK);
    tsg_csv_problem_t problem;
    assert_int_equal (tsg_csv_parse (text.data, text.len, s_on_row, f, &problem), TSG_OK);
    tsg_csv_text_free (&text);
    assert_true (f->header_seen);
    return f;
}

static void
s_free (s_file_t **pf)
{
    s_file_t *f = *pf;
    for (size_t i = 0; i < f->count; i++)
        agency_import_plan_clear (&f->plans[i]);
    agency_import_header_clear (&f->header);
    agency_import_header_clear (&f->header); /* safe twice */
    agency_import_mapping_clear (&f->mapping);
    json_decref (f->problems);
    json_decref (f->warnings);
    free (f);
    *pf = NULL;
}

/* The member at a dotted path of json ("sheet.members.0.name"), or NULL. */
static json_t *
s_at (json_t *json, const char *path)
{
    char copy[256];
    snprintf (copy, sizeof copy, "%s", path);
    json_t *at = json;
    for (char *step = strtok (copy, "."); step && at; step = strtok (NULL, "."))
        at = json_is_array (at) ? json_array_get (at, (size_t) atoi (step))
                                : json_object_get (at, step);
    return at;
}

static const char *
s_str (json_t *json, const char *path)
{
    return json_string_value (s_at (json, path));
}

/* Asserts that json at path is the JSON text expected (compact, keys as given). */
static void
s_json_is (json_t *json, const char *path, const char *expected)
{
    json_t *want = json_loads (expected, JSON_DECODE_ANY, NULL);
    assert_non_null (want);
    json_t *got = path ? s_at (json, path) : json;
    if (!json_equal (got, want)) {
        char *dump = got ? json_dumps (got, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        fail_msg ("%s is %s, expected %s", path ? path : "the value", dump ? dump : "absent",
                  expected);
    }
    json_decref (want);
}

/* The problem of problems whose column is column (NULL: any), or NULL. */
static json_t *
s_problem_of (json_t *problems, const char *column)
{
    size_t i;
    json_t *p;
    json_array_foreach (problems, i, p)
    {
        if (!column
            || (json_is_string (json_object_get (p, "column"))
                && strcmp (s_str (p, "column"), column) == 0))
            return p;
    }
    return NULL;
}

static void
test_header_without_recipient (void **state)
{
    (void) state;
    s_file_t *f = s_read (NULL, "世帯ID,紹介元,氏名,備考,\nH001,eldercare,山田 ハナ,メモ,\n",
                          "eldercare", "tsunagu-eldercare");
    assert_int_equal (f->header_rc, -1);
    assert_int_equal (f->count, 0); /* the import stops at the header */
    assert_int_equal (json_array_size (f->problems), 1);
    json_t *p = json_array_get (f->problems, 0);
    assert_string_equal (s_str (p, "column"), "紹介先");
    assert_string_equal (s_str (p, "field"), "to");
    assert_int_equal (json_integer_value (json_object_get (p, "row")), 1);
    assert_non_null (strstr (s_str (p, "problem"), "紹介先"));
    /* 備考 is not read: a warning; the blank header is no column at all. */
    assert_int_equal (json_array_size (f->warnings), 1);
    assert_string_equal (s_str (json_array_get (f->warnings, 0), "column"), "備考");
    s_free (&f);

    f = s_read (NULL, "紹介元,紹介先\neldercare,poverty\n", "eldercare", "tsunagu-eldercare");
    assert_int_equal (f->header_rc, -1);
    assert_string_equal (s_str (json_array_get (f->problems, 0), "column"), "世帯ID");
    assert_string_equal (s_str (json_array_get (f->problems, 0), "field"), "household");
    s_free (&f);

    /* A column the mapping names "ignore" is read and dropped without a warning. */
    f = s_read ("[columns]\n備考 = ignore\n", "世帯ID,紹介先,備考\nH001,poverty,メモ\n",
                "eldercare", "tsunagu-eldercare");
    assert_int_equal (f->header_rc, 0);
    assert_int_equal (json_array_size (f->warnings), 0);
    assert_int_equal (f->count, 1);
    assert_null (s_at (f->plans[0].referral, "sheet.備考"));
    s_free (&f);
}

/* [defaults] give a value "for a row whose cell is empty or whose file has no such column"
 * (mapping.h): a list for one recipient names it in the mapping, not in a 紹介先 column. */
static void
test_recipient_from_the_defaults (void **state)
{
    (void) state;
    s_file_t *f = s_read ("[defaults]\nto = poverty\n", "世帯ID,氏名\nH001,山田 ハナ\n",
                          "eldercare", "tsunagu-eldercare");
    assert_int_equal (f->header_rc, 0);
    assert_int_equal (json_array_size (f->problems), 0);
    assert_int_equal (f->count, 1);
    assert_true (f->plans[0].ok);
    assert_string_equal (s_str (f->plans[0].referral, "to_type"), "poverty");
    assert_string_equal (f->plans[0].key, "H001/poverty");
    s_free (&f);
}

static void
test_a_row_of_the_city_list (void **state)
{
    (void) state;
    s_file_t *f = s_read (s_city, HEADER H001, "eldercare", "tsunagu-eldercare");
    assert_int_equal (f->header_rc, 0);
    assert_int_equal (json_array_size (f->warnings), 0);
    if (json_array_size (f->problems) != 0)
        fail_msg ("problems: %s", json_dumps (f->problems, JSON_COMPACT));
    assert_int_equal (f->count, 1);
    agency_import_plan_t *plan = &f->plans[0];
    assert_true (plan->ok);
    assert_int_equal (plan->row, 2);
    assert_string_equal (plan->skip, "");
    assert_string_equal (plan->key, "H001/poverty");
    assert_string_equal (plan->to, "poverty");
    assert_string_equal (plan->client_ref, "import:H001/poverty");
    json_t *r = plan->referral;
    assert_non_null (r);
    assert_string_equal (s_str (r, "to_type"), "poverty");
    assert_null (json_object_get (r, "to"));
    assert_string_equal (s_str (r, "urgency"), "emergency");
    assert_string_equal (s_str (r, "legal_basis"), "consent");
    assert_string_equal (s_str (r, "client_ref"), "import:H001/poverty");
    s_json_is (r, "tags", "[\"介護\",\"8050\",\"ひきこもり\"]");
    s_json_is (r, "data_categories", "[\"identity\",\"health\",\"free-text\"]");
    s_json_is (r, "sheet",
               "{\"household_id\":\"H001\","
               "\"members\":[{\"name\":\"山田 ハナ\",\"kana\":\"ヤマダ ハナ\","
               "\"birthdate\":\"1943-04-12\",\"relation\":\"本人\"}],"
               "\"address\":\"つなぐ市中央町1-2-3\",\"phone\":\"000-0000-0001\","
               "\"summary\":\"訪問時に把握\",\"eldercare\":{\"care_insurance\":\"要介護1\"}}");
    assert_null (json_object_get (r, "consent_id"));
    assert_null (json_object_get (r, "case_id"));
    assert_null (json_object_get (r, "from"));

    json_t *c = plan->consent;
    assert_non_null (c);
    assert_string_equal (s_str (c, "subject"), "H001-1");
    s_json_is (c, "cover_types", "[\"poverty\"]");
    assert_null (json_object_get (c, "cover_agencies"));
    s_json_is (c, "categories", "[\"identity\",\"health\",\"free-text\"]");
    assert_string_equal (s_str (c, "purpose"), "referral");
    assert_string_equal (s_str (c, "method"), "verbal");
    char until[11];
    tsg_date_jst_plus_days (NOW_MS, 180, until);
    assert_string_equal (until, "2027-06-01");
    assert_string_equal (s_str (c, "valid_until"), until);
    assert_null (json_object_get (c, "valid_from"));
    s_free (&f);
}

static void
test_recipient_by_agency_id (void **state)
{
    (void) state;
    s_file_t *f = s_read (s_city,
                          "世帯ID,紹介元,紹介先,概要\n"
                          "H010,tsunagu-eldercare,poverty-north-1,相談\n"
                          "H011,eldercare,つなぐ市社協,相談\n",
                          "eldercare", "tsunagu-eldercare");
    assert_int_equal (f->count, 2);
    agency_import_plan_t *plan = &f->plans[0];
    assert_true (plan->ok);
    assert_string_equal (plan->skip, ""); /* our own id as 紹介元 */
    assert_string_equal (s_str (plan->referral, "to"), "poverty-north-1");
    assert_null (json_object_get (plan->referral, "to_type"));
    assert_string_equal (s_str (plan->referral, "client_ref"), "import:H010/poverty-north-1");
    s_json_is (plan->consent, "cover_agencies", "[\"poverty-north-1\"]");
    assert_null (json_object_get (plan->consent, "cover_types"));
    s_json_is (plan->referral, "data_categories", "[\"identity\",\"free-text\"]");
    /* A recipient that is neither: a problem of the row, naming 紹介先. */
    assert_false (f->plans[1].ok);
    json_t *p = s_problem_of (f->problems, "紹介先");
    assert_non_null (p);
    assert_int_equal (json_integer_value (json_object_get (p, "row")), 3);
    assert_string_equal (s_str (p, "field"), "to");
    s_free (&f);
}

static void
test_another_senders_row_is_skipped (void **state)
{
    (void) state;
    s_file_t *f = s_read (s_city, HEADER H001 H002, "eldercare", "tsunagu-eldercare");
    assert_int_equal (f->count, 2);
    assert_string_equal (f->plans[0].skip, "");
    agency_import_plan_t *plan = &f->plans[1];
    assert_int_equal (plan->row, 3);
    assert_true (strlen (plan->skip) > 0);
    assert_non_null (strstr (plan->skip, "child"));
    assert_non_null (strstr (plan->skip, "tsunagu-eldercare"));
    assert_string_equal (plan->key, "H002/disability");
    assert_int_equal (json_array_size (f->problems), 0);
    s_free (&f);

    /* The same file as the child agency: H001 is the other one's. */
    f = s_read (s_city, HEADER H001 H002, "child", "tsunagu-child");
    assert_true (strlen (f->plans[0].skip) > 0);
    assert_string_equal (f->plans[1].skip, "");
    assert_true (f->plans[1].ok);
    assert_string_equal (s_str (f->plans[1].referral, "to_type"), "disability");
    assert_string_equal (s_str (f->plans[1].referral, "urgency"), "high");
    s_free (&f);

    /* A 紹介元 that is no agency is a problem, not a skip. */
    f = s_read (s_city, HEADER "H009,つなぐ市,poverty,,山田,,,,,,\n", "eldercare",
                "tsunagu-eldercare");
    assert_string_equal (f->plans[0].skip, "");
    assert_false (f->plans[0].ok);
    json_t *p = s_problem_of (f->problems, "紹介元");
    assert_non_null (p);
    assert_string_equal (s_str (p, "field"), "from");
    s_free (&f);

    /* Another agency's row with a problem is its to fix: it does not stop this import. */
    f = s_read (s_city, HEADER H001 "H005,child,poverty,緊急,田中 陽太,,2023-02-30,,,虐待,通告\n",
                "eldercare", "tsunagu-eldercare");
    assert_true (f->plans[0].ok);
    assert_true (strlen (f->plans[1].skip) > 0);
    assert_int_equal (json_array_size (f->problems), 0);
    s_free (&f);
}

static void
test_impossible_date_is_a_problem (void **state)
{
    (void) state;
    s_file_t *f = s_read (NULL,
                          HEADER H001 "H004,eldercare,poverty,緊急,高橋 正,タカハシ タダシ,"
                                      "2023-02-30,つなぐ市南町10-11,000-0000-0004,虐待,通報\n",
                          "eldercare", "tsunagu-eldercare");
    assert_int_equal (f->count, 2);
    assert_true (f->plans[0].ok);
    assert_false (f->plans[1].ok);
    assert_int_equal (json_array_size (f->problems), 1);
    json_t *p = json_array_get (f->problems, 0);
    assert_int_equal (json_integer_value (json_object_get (p, "row")), 3);
    assert_string_equal (s_str (p, "column"), "生年月日");
    assert_string_equal (s_str (p, "field"), "sheet.members.0.birthdate");
    assert_non_null (strstr (s_str (p, "problem"), "2023-02-30"));
    /* Without a mapping there is no legal basis and no consent; the rest of the row is read. */
    assert_null (f->plans[1].consent);
    assert_null (json_object_get (f->plans[1].referral, "legal_basis"));
    assert_null (s_at (f->plans[1].referral, "sheet.members.0.birthdate"));
    assert_string_equal (s_str (f->plans[1].referral, "sheet.members.0.name"), "高橋 正");
    s_free (&f);

    /* Words that are not urgencies nor legal bases, and an age that is not a number. */
    f = s_read (s_city,
                "世帯ID,紹介元,紹介先,緊急度,法的根拠,年齢\n"
                "H002,child,disability,とても,同意,十五\n",
                "child", "tsunagu-child");
    assert_false (f->plans[0].ok);
    assert_string_equal (s_str (s_problem_of (f->problems, "緊急度"), "field"), "urgency");
    assert_string_equal (s_str (s_problem_of (f->problems, "年齢"), "field"), "sheet.child.age");
    assert_null (s_problem_of (f->problems, "法的根拠"));
    s_free (&f);
}

static void
test_row_section_applies_to_its_household_only (void **state)
{
    (void) state;
    s_file_t *f = s_read (s_city, HEADER H001 H002 H003, "child", "tsunagu-child");
    assert_int_equal (f->count, 3);
    json_t *h3 = f->plans[2].referral;
    s_json_is (h3, "sheet.child", "{\"age\":3,\"nursery\":\"つなぐ保育園\"}");
    assert_null (s_at (h3, "sheet.eldercare"));
    s_json_is (f->plans[1].referral, "sheet.child", "{\"age\":15}");
    assert_null (s_at (f->plans[0].referral, "sheet.child"));
    s_json_is (f->plans[0].referral, "sheet.eldercare", "{\"care_insurance\":\"要介護1\"}");
    s_json_is (h3, "data_categories", "[\"identity\",\"children\",\"free-text\"]");
    assert_int_equal (json_array_size (f->problems), 0);
    s_free (&f);
}

static void
test_cell_beats_row_section_and_default (void **state)
{
    (void) state;
    s_file_t *f = s_read (s_city,
                          "世帯ID,紹介元,紹介先,続柄,年齢,法的根拠,同意方法,情報区分\n"
                          "H002,child,disability,長女,１６歳,,written,\n"
                          "H003,child,eldercare,,,支援会議,,identity・children\n",
                          "child", "tsunagu-child");
    assert_int_equal (f->count, 2);
    if (json_array_size (f->problems) != 0)
        fail_msg ("problems: %s", json_dumps (f->problems, JSON_COMPACT));
    json_t *r = f->plans[0].referral;
    assert_string_equal (s_str (r, "sheet.members.0.relation"), "長女"); /* over 本人 */
    s_json_is (r, "sheet.child.age", "16");                              /* over [row] 15 */
    assert_string_equal (s_str (r, "legal_basis"), "consent");           /* empty: the default */
    assert_string_equal (s_str (f->plans[0].consent, "method"), "written");
    r = f->plans[1].referral;
    assert_string_equal (s_str (r, "sheet.members.0.relation"), "本人");
    s_json_is (r, "sheet.child.age", "3");
    assert_string_equal (s_str (r, "legal_basis"), "support-meeting");
    assert_null (f->plans[1].consent); /* a consent only goes with legal basis consent */
    s_json_is (r, "data_categories", "[\"identity\",\"children\"]");
    s_free (&f);

    /* A consent given by id is not registered again. */
    f = s_read (s_city,
                "世帯ID,紹介元,紹介先,同意ID,同意期限\n"
                "H001,eldercare,poverty,5a7d8d3e-0d4e-4f7a-9a43-6c1b7c1e2f00,\n"
                "H004,eldercare,poverty,,令和9年3月31日\n",
                "eldercare", "tsunagu-eldercare");
    assert_null (f->plans[0].consent);
    assert_string_equal (s_str (f->plans[0].referral, "consent_id"),
                         "5a7d8d3e-0d4e-4f7a-9a43-6c1b7c1e2f00");
    assert_string_equal (s_str (f->plans[1].consent, "valid_until"), "2027-03-31");
    s_free (&f);
}

/* The row key is household/recipient: two households that differ only after 150 bytes are two
 * keys, not one (two keys alike are "the same row" to the import, and the second file's
 * client_ref would say "already sent" of a referral never sent). */
static void
test_long_households_keep_their_keys_apart (void **state)
{
    (void) state;
    char household[201];
    memset (household, 'A', 199);
    household[200] = '\0';
    char csv[1024];
    household[199] = '1';
    int n = snprintf (csv, sizeof csv, "世帯ID,紹介元,紹介先\n%s,eldercare,poverty\n", household);
    household[199] = '2';
    snprintf (csv + n, sizeof csv - (size_t) n, "%s,eldercare,child\n", household);
    s_file_t *f = s_read (NULL, csv, "eldercare", "tsunagu-eldercare");
    assert_int_equal (f->count, 2);
    if (f->plans[0].ok && f->plans[1].ok) {
        assert_string_not_equal (f->plans[0].key, f->plans[1].key);
        assert_string_not_equal (f->plans[0].client_ref, f->plans[1].client_ref);
    }
    else { /* or both refused, naming the column */
        assert_false (f->plans[0].ok);
        assert_false (f->plans[1].ok);
        json_t *p = s_problem_of (f->problems, "世帯ID");
        assert_non_null (p);
        assert_string_equal (s_str (p, "field"), "household");
    }
    s_free (&f);
}

/* A problem names the whole field, however long the mapping's path (5 steps of 32 bytes). */
static void
test_problem_names_a_long_field (void **state)
{
    (void) state;
    char path[200], mapping[300], field[220];
    snprintf (path, sizeof path, "%s.%s.%s.%s.visit_date", "eldercare",
              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
              "cccccccccccccccccccccccccccccccc");
    snprintf (mapping, sizeof mapping, "[columns]\n訪問日 = sheet.%s\n", path);
    snprintf (field, sizeof field, "sheet.%s", path);
    s_file_t *f = s_read (mapping, "世帯ID,紹介先,訪問日\nH001,poverty,2023-02-30\n", "eldercare",
                          "tsunagu-eldercare");
    json_t *p = s_problem_of (f->problems, "訪問日");
    assert_non_null (p);
    assert_string_equal (s_str (p, "field"), field);
    s_free (&f);
}

/* Every row of the municipality's file (the synthetic export in the shared test data) is
 * planned through the example mapping without a problem, as each of the four agencies. */
static void
test_the_city_file_as_every_agency (void **state)
{
    (void) state;
    const char *dir = getenv ("TSUNAGU_SHARED_DATA");
    if (!dir || !*dir)
        skip ();
    char path[2048];
    snprintf (path, sizeof path, "%s/referrals-excel-cp932.csv", dir);
    FILE *file = fopen (path, "rb");
    assert_non_null (file);
    char *bytes = malloc (1 << 20);
    assert_non_null (bytes);
    size_t len = fread (bytes, 1, (1 << 20) - 1, file);
    fclose (file);
    snprintf (path, sizeof path, "%s/../../../docs/examples/import-mapping-tsunagu-city.conf", dir);
    file = fopen (path, "rb");
    assert_non_null (file);
    char *mapping = malloc (AGENCY_IMPORT_MAPPING_MAX + 1);
    assert_non_null (mapping);
    size_t mapping_len = fread (mapping, 1, AGENCY_IMPORT_MAPPING_MAX, file);
    mapping[mapping_len] = '\0';
    fclose (file);
    tsg_csv_text_t text;
    char why[200];
    assert_int_equal (tsg_csv_decode ((const uint8_t *) bytes, len, &text, why, sizeof why),
                      TSG_OK);
    assert_int_equal (text.encoding, TSG_CSV_CP932);
    static const char *const types[] = { "eldercare", "disability", "child", "poverty" };
    size_t ours = 0;
    for (size_t t = 0; t < 4; t++) {
        s_file_t *f = s_read (mapping, text.data, types[t], "tsunagu-test");
        assert_int_equal (f->header_rc, 0);
        assert_int_equal (f->count, 10);
        if (json_array_size (f->problems) != 0)
            fail_msg ("%s: problems: %s", types[t], json_dumps (f->problems, JSON_COMPACT));
        for (size_t i = 0; i < f->count; i++) {
            assert_true (f->plans[i].ok);
            assert_non_null (f->plans[i].consent);
            ours += f->plans[i].skip[0] == '\0';
        }
        s_free (&f);
    }
    assert_int_equal (ours, 10); /* each row is one agency's */
    tsg_csv_text_free (&text);
    free (mapping);
    free (bytes);
}

static void
test_problem_and_refusal (void **state)
{
    (void) state;
    json_t *problems = json_array ();
    agency_import_problem (problems, 0, NULL, NULL, "the file is empty");
    s_json_is (problems, NULL,
               "[{\"row\":null,\"column\":null,\"field\":null,\"problem\":\"the file is empty\"}]");
    json_array_clear (problems);

    agency_import_mapping_t m;
    char why[200];
    assert_int_equal (
        agency_import_mapping_parse ("t", s_city, strlen (s_city), &m, why, sizeof why), 0);
    agency_import_header_t h = { .mapping = &m };
    json_t *reply = json_loads ("{\"error\":\"invalid_request\",\"message\":\"bad\",\"fields\":{"
                                "\"sheet.members.0.birthdate\":\"not a date\","
                                "\"tags[1]\":\"unknown tag\","
                                "\"sheet.disability.certificate\":\"required\"}}",
                                0, NULL);
    agency_import_refusal (&h, 4, "", reply, problems);
    assert_int_equal (json_array_size (problems), 3);
    json_t *p = s_problem_of (problems, "生年月日");
    assert_non_null (p);
    assert_string_equal (s_str (p, "field"), "sheet.members.0.birthdate");
    assert_int_equal (json_integer_value (json_object_get (p, "row")), 4);
    assert_string_equal (s_str (s_problem_of (problems, "課題タグ"), "field"), "tags[1]");
    size_t i;
    json_t *item;
    bool advised = false;
    json_array_foreach (problems, i, item)
    {
        if (strcmp (s_str (item, "field"), "sheet.disability.certificate") == 0) {
            assert_true (json_is_null (json_object_get (item, "column")));
            advised = strstr (s_str (item, "problem"), "no column of this file") != NULL;
        }
    }
    assert_true (advised);
    json_decref (reply);
    json_array_clear (problems);

    reply = json_loads ("{\"error\":\"invalid_request\",\"message\":\"bad\",\"fields\":{"
                        "\"method\":\"must be written or verbal\"}}",
                        0, NULL);
    agency_import_refusal (&h, 5, "consent.", reply, problems);
    p = json_array_get (problems, 0);
    assert_string_equal (s_str (p, "column"), "同意方法");
    assert_string_equal (s_str (p, "field"), "consent.method");
    json_decref (reply);
    json_array_clear (problems);

    reply = json_loads ("{\"error\":\"conflict\",\"message\":\"no such case\"}", 0, NULL);
    agency_import_refusal (&h, 6, "", reply, problems);
    s_json_is (problems, NULL,
               "[{\"row\":6,\"column\":null,\"field\":null,\"problem\":\"no such case\"}]");
    json_decref (reply);
    agency_import_mapping_clear (&m);
    json_decref (problems);
}

static int
s_setup (void **state)
{
    (void) state;
    tsg_clock_set (s_clock);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    tsg_clock_set (NULL);
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_header_without_recipient),
        cmocka_unit_test (test_recipient_from_the_defaults),
        cmocka_unit_test (test_a_row_of_the_city_list),
        cmocka_unit_test (test_recipient_by_agency_id),
        cmocka_unit_test (test_another_senders_row_is_skipped),
        cmocka_unit_test (test_impossible_date_is_a_problem),
        cmocka_unit_test (test_row_section_applies_to_its_household_only),
        cmocka_unit_test (test_cell_beats_row_section_and_default),
        cmocka_unit_test (test_long_households_keep_their_keys_apart),
        cmocka_unit_test (test_problem_names_a_long_field),
        cmocka_unit_test (test_the_city_file_as_every_agency),
        cmocka_unit_test (test_problem_and_refusal),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
