/* The mapping of a spreadsheet's columns (agency/imports/mapping.h): the built-in standard
 * headers, つなぐ市's mapping file from docs/examples over them, what a [columns] line replaces
 * and how its cells are read, and every mistake of an administrator's file refused with the line
 * it is on; mapping files found by name in a folder, and names that could leave it refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency/imports/mapping.h"
#include "test_helpers.h"

/* The column of header, or NULL. */
static const agency_import_column_t *
s_column (const agency_import_mapping_t *m, const char *header)
{
    for (size_t i = 0; i < m->column_count; i++)
        if (strcmp (m->columns[i].header, header) == 0)
            return &m->columns[i];
    return NULL;
}

/* The value of target (path for sheet values) in a list of values, or NULL. */
static const agency_import_value_t *
s_value (const agency_import_value_t *values, size_t count, agency_import_target_t target,
         const char *path)
{
    for (size_t i = 0; i < count; i++)
        if (values[i].place.target == target
            && (target != IMPORT_SHEET || strcmp (values[i].place.path, path) == 0))
            return &values[i];
    return NULL;
}

/* The [row KEY] section of household, or NULL. */
static const agency_import_row_t *
s_row (const agency_import_mapping_t *m, const char *household)
{
    for (size_t i = 0; i < m->row_count; i++)
        if (strcmp (m->rows[i].household, household) == 0)
            return &m->rows[i];
    return NULL;
}

/* Parses text (a C string) and returns the rc; why gets the problem. */
static int
s_parse (const char *text, agency_import_mapping_t *m, char *why, size_t why_size)
{
    return agency_import_mapping_parse ("test", text, strlen (text), m, why, why_size);
}

/* Asserts that text is refused and that the problem names line and holds words. */
static void
s_refused (const char *text, size_t line, const char *words)
{
    agency_import_mapping_t m;
    char why[300] = "", expected[32];
    if (s_parse (text, &m, why, sizeof why) == 0) {
        agency_import_mapping_clear (&m);
        fail_msg ("accepted: %s", text);
    }
    snprintf (expected, sizeof expected, "line %zu: ", line);
    if (strncmp (why, expected, strlen (expected)) != 0)
        fail_msg ("'%s' does not start with '%s' (text: %s)", why, expected, text);
    if (words && !strstr (why, words))
        fail_msg ("'%s' does not say '%s'", why, words);
    /* A refused mapping is left empty. */
    assert_int_equal (m.column_count, 0);
    assert_null (m.columns);
    assert_int_equal (m.default_count, 0);
    assert_int_equal (m.row_count, 0);
    assert_null (m.name);
}

static void
test_builtin_mapping (void **state)
{
    (void) state;
    agency_import_mapping_t m;
    char why[200] = "x";
    assert_int_equal (agency_import_mapping_parse (NULL, NULL, 0, &m, why, sizeof why), 0);
    assert_string_equal (why, "");
    assert_null (m.name);
    assert_int_equal (m.column_count, 12);
    assert_int_equal (m.default_count, 0);
    assert_int_equal (m.row_count, 0);
    const agency_import_column_t *c = s_column (&m, "世帯ID");
    assert_non_null (c);
    assert_int_equal (c->place.target, IMPORT_HOUSEHOLD);
    assert_true (c->builtin);
    c = s_column (&m, "紹介先");
    assert_non_null (c);
    assert_int_equal (c->place.target, IMPORT_TO);
    assert_int_equal (s_column (&m, "紹介元")->place.target, IMPORT_FROM);
    assert_int_equal (s_column (&m, "緊急度")->place.target, IMPORT_URGENCY);
    assert_int_equal (s_column (&m, "課題タグ")->place.target, IMPORT_TAGS);
    c = s_column (&m, "生年月日");
    assert_non_null (c);
    assert_int_equal (c->place.target, IMPORT_SHEET);
    assert_string_equal (c->place.path, "members.0.birthdate");
    assert_int_equal (c->place.as, IMPORT_AS_DATE);
    c = s_column (&m, "氏名");
    assert_string_equal (c->place.path, "members.0.name");
    assert_int_equal (c->place.as, IMPORT_AS_TEXT);
    assert_string_equal (s_column (&m, "住所")->place.path, "address");
    assert_string_equal (s_column (&m, "概要")->place.path, "summary");
    assert_ptr_equal (agency_import_column_for (&m, IMPORT_TO, NULL), s_column (&m, "紹介先"));
    assert_ptr_equal (agency_import_column_for (&m, IMPORT_SHEET, "members.0.kana"),
                      s_column (&m, "フリガナ"));
    assert_null (agency_import_column_for (&m, IMPORT_SHEET, "members.1.kana"));
    assert_null (agency_import_column_for (&m, IMPORT_LEGAL_BASIS, NULL));
    agency_import_mapping_clear (&m);
    agency_import_mapping_clear (&m); /* safe twice */
    assert_null (m.columns);
}

static void
test_target_names (void **state)
{
    (void) state;
    assert_string_equal (agency_import_target_name (IMPORT_LEGAL_BASIS), "legal_basis");
    assert_string_equal (agency_import_target_name (IMPORT_CONSENT_METHOD), "consent.method");
    assert_string_equal (agency_import_target_name (IMPORT_SHEET), "sheet");
    assert_string_equal (agency_import_target_name (IMPORT_TARGET_COUNT), "?");
    for (int t = 0; t < IMPORT_TARGET_COUNT; t++)
        assert_non_null (agency_import_target_name ((agency_import_target_t) t));
}

/* The example's path in the source tree: beside the shared test data the tests are given. */
static char *
s_read_example (size_t *len)
{
    const char *data = getenv ("TSUNAGU_SHARED_DATA");
    char path[2048];
    if (data && *data)
        snprintf (path, sizeof path, "%s/../../../docs/examples/import-mapping-tsunagu-city.conf",
                  data);
    else { /* this file's folder, tests/unit */
        const char *slash = strrchr (__FILE__, '/');
        int n = slash ? (int) (slash - __FILE__) : 1;
        snprintf (path, sizeof path, "%.*s/../../docs/examples/import-mapping-tsunagu-city.conf", n,
                  slash ? __FILE__ : ".");
    }
    FILE *f = fopen (path, "rb");
    if (!f)
        fail_msg ("cannot open %s", path);
    char *text = malloc (AGENCY_IMPORT_MAPPING_MAX + 1);
    assert_non_null (text);
    *len = fread (text, 1, AGENCY_IMPORT_MAPPING_MAX + 1, f);
    fclose (f);
    return text;
}

static void
test_example_mapping (void **state)
{
    (void) state;
    size_t len;
    char *text = s_read_example (&len);
    agency_import_mapping_t m;
    char why[300] = "";
    int rc = agency_import_mapping_parse ("tsunagu-city", text, len, &m, why, sizeof why);
    free (text);
    if (rc != 0)
        fail_msg ("the example is refused: %s", why);
    assert_string_equal (m.name, "tsunagu-city");
    assert_int_equal (m.column_count, 12 + 13); /* the standard ones and the example's */
    const agency_import_column_t *c = s_column (&m, "要介護度");
    assert_non_null (c);
    assert_false (c->builtin);
    assert_int_equal (c->place.target, IMPORT_SHEET);
    assert_string_equal (c->place.path, "eldercare.care_insurance");
    assert_int_equal (c->place.as, IMPORT_AS_TEXT);
    c = s_column (&m, "年齢");
    assert_string_equal (c->place.path, "child.age");
    assert_int_equal (c->place.as, IMPORT_AS_INTEGER); /* an integer intake field */
    assert_int_equal (s_column (&m, "法的根拠")->place.target, IMPORT_LEGAL_BASIS);
    assert_int_equal (s_column (&m, "同意方法")->place.target, IMPORT_CONSENT_METHOD);
    c = s_column (&m, "同意日");
    assert_int_equal (c->place.target, IMPORT_CONSENT_FROM);
    assert_int_equal (c->place.as, IMPORT_AS_DATE);
    c = s_column (&m, "同意期限");
    assert_int_equal (c->place.target, IMPORT_CONSENT_UNTIL);
    assert_int_equal (c->place.as, IMPORT_AS_DATE);
    assert_int_equal (s_column (&m, "情報区分")->place.target, IMPORT_DATA_CATEGORIES);
    assert_true (s_column (&m, "世帯ID")->builtin);

    assert_int_equal (m.default_count, 5);
    const agency_import_value_t *v =
        s_value (m.defaults, m.default_count, IMPORT_LEGAL_BASIS, NULL);
    assert_non_null (v);
    assert_string_equal (v->text, "consent");
    assert_string_equal (s_value (m.defaults, m.default_count, IMPORT_CONSENT_METHOD, NULL)->text,
                         "verbal");
    v = s_value (m.defaults, m.default_count, IMPORT_CONSENT_DAYS, NULL);
    assert_string_equal (v->text, "180");
    assert_int_equal (v->place.as, IMPORT_AS_INTEGER);
    v = s_value (m.defaults, m.default_count, IMPORT_SHEET, "members.0.relation");
    assert_non_null (v);
    assert_string_equal (v->text, "本人");

    assert_int_equal (m.row_count, 10);
    const agency_import_row_t *r = s_row (&m, "H003");
    assert_non_null (r);
    assert_int_equal (r->count, 2);
    v = s_value (r->values, r->count, IMPORT_SHEET, "child.age");
    assert_string_equal (v->text, "3");
    assert_int_equal (v->place.as, IMPORT_AS_INTEGER);
    assert_string_equal (s_value (r->values, r->count, IMPORT_SHEET, "child.nursery")->text,
                         "つなぐ保育園");
    r = s_row (&m, "H001");
    assert_int_equal (r->count, 1);
    assert_string_equal (
        s_value (r->values, r->count, IMPORT_SHEET, "eldercare.care_insurance")->text, "要介護1");
    assert_null (s_row (&m, "H011"));
    agency_import_mapping_clear (&m);
}

static void
test_columns_replace_and_read_as (void **state)
{
    (void) state;
    agency_import_mapping_t m;
    char why[300] = "";
    const char *text = "# an office's list\r\n"
                       "[columns]\r\n"
                       "紹介先 = ignore   # this list's 紹介先 is a name, not an agency\r\n"
                       "送付先 = to\r\n"
                       "生年月日 = sheet.members.0.birthdate | text\r\n"
                       "受付日 = sheet.intake_date\r\n"
                       "件数 = sheet.poverty.count | integer\r\n"
                       "面談 = sheet.note.met | date\r\n"
                       "  年齢  =   sheet.child.age  \r\n"
                       "学年 = sheet.child.grade\r\n"
                       "期限日数 = consent.valid_days\r\n"
                       "[defaults]\n"
                       "urgency = 至急\n"
                       "urgency = 緊急 # the last one counts\n"
                       "sheet.members.1.relation = 長男\n";
    if (s_parse (text, &m, why, sizeof why) != 0)
        fail_msg ("refused: %s", why);
    const agency_import_column_t *c = s_column (&m, "紹介先");
    assert_int_equal (c->place.target, IMPORT_IGNORE);
    assert_false (c->builtin); /* replaced */
    assert_int_equal (m.column_count, 12 + 7);
    assert_int_equal (s_column (&m, "送付先")->place.target, IMPORT_TO);
    assert_ptr_equal (agency_import_column_for (&m, IMPORT_TO, NULL), s_column (&m, "送付先"));
    c = s_column (&m, "生年月日");
    assert_string_equal (c->place.path, "members.0.birthdate");
    assert_int_equal (c->place.as, IMPORT_AS_TEXT);
    assert_int_equal (s_column (&m, "受付日")->place.as, IMPORT_AS_DATE); /* *_date */
    c = s_column (&m, "件数");
    assert_string_equal (c->place.path, "poverty.count");
    assert_int_equal (c->place.as, IMPORT_AS_INTEGER);
    assert_int_equal (s_column (&m, "面談")->place.as, IMPORT_AS_DATE);
    c = s_column (&m, "年齢");
    assert_non_null (c);
    assert_string_equal (c->place.path, "child.age");
    assert_int_equal (c->place.as, IMPORT_AS_INTEGER);
    assert_int_equal (s_column (&m, "学年")->place.as, IMPORT_AS_TEXT);
    assert_int_equal (s_column (&m, "期限日数")->place.as, IMPORT_AS_INTEGER);
    assert_int_equal (m.default_count, 2);
    assert_string_equal (s_value (m.defaults, m.default_count, IMPORT_URGENCY, NULL)->text, "緊急");
    agency_import_mapping_clear (&m);

    /* An empty file, and one of comments only, are the built-in mapping. */
    assert_int_equal (s_parse ("", &m, why, sizeof why), 0);
    assert_int_equal (m.column_count, 12);
    assert_string_equal (m.name, "test");
    agency_import_mapping_clear (&m);
    assert_int_equal (s_parse ("# nothing\n\n   \n", &m, why, sizeof why), 0);
    assert_int_equal (m.column_count, 12);
    agency_import_mapping_clear (&m);
}

static void
test_refusals_name_the_line (void **state)
{
    (void) state;
    s_refused ("[columns]\n要介護度 = sheet.eldercare.care_insurance\n区分 = category\n", 3,
               "unknown target");
    s_refused ("[defaults]\nlegal-basis = consent\n", 2, "unknown target");
    s_refused ("[columns]\nX = sheet\n", 2, "unknown target");
    s_refused ("[columns]\nX = sheet.\n", 2, "sheet path");
    s_refused ("[columns]\nX = sheet.0.x\n", 2, "sheet path");
    s_refused ("[columns]\nX = sheet.a..b\n", 2, "sheet path");
    s_refused ("[columns]\nX = sheet.a.\n", 2, "sheet path");
    s_refused ("[columns]\nX = sheet.a.b.c.d.e.f\n", 2, "sheet path");
    s_refused ("[columns]\nX = sheet.members.32.name\n", 2, "sheet path");
    s_refused ("[columns]\nX = sheet.members.001.name\n", 2, "sheet path");
    s_refused ("[columns]\nX = sheet.members.0.na-me\n", 2, "sheet path");
    s_refused ("[columns]\nX = sheet.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 2, "sheet path");
    s_refused ("[columns]\nX = sheet.a | number\n", 2, "after '|'");
    s_refused ("[columns]\nX = to | bogus\n", 2, "after '|'");
    s_refused ("# comment\n要介護度 = sheet.eldercare.care_insurance\n", 2, "before any [section]");
    s_refused ("[columns]\n[rows H001]\n", 2, "a section is");
    s_refused ("\n\n[column]\n", 3, "a section is");
    s_refused ("[row ]\n", 1, "a section is");
    s_refused ("[defaults\n", 1, "a section is");
    s_refused ("[columns]\n要介護度 sheet.eldercare.care_insurance\n", 2, "KEY = VALUE");
    s_refused ("[columns]\n = to\n", 2, "both sides");
    s_refused ("[columns]\n送付先 = \n", 2, "both sides");
    s_refused ("[defaults]\nlegal_basis = # none\n", 2, "both sides");
    s_refused ("[columns]\r\nA = to\r\nB = to\r\nC = tags\r\nD = nowhere\r\n", 5, "unknown target");
}

/* A sheet path's list index is a number of at most two digits, not above 31: a step that
 * starts with a digit and goes on with letters ("99999x") is no name and no index — the rows
 * read it as the index 99999 and make a list that long. */
static void
test_index_with_letters_refused (void **state)
{
    (void) state;
    s_refused ("[columns]\nX = sheet.members.2147483647x.name\n", 2, "sheet path");
    s_refused ("[columns]\nX = sheet.members.0x\n", 2, "sheet path");
    s_refused ("[defaults]\nsheet.a.99999b = 1\n", 2, "sheet path");
}

static void
test_refusals_of_the_whole_text (void **state)
{
    (void) state;
    agency_import_mapping_t m;
    char why[300] = "";
    const char nul[] = "[columns]\nA = to\0B = tags\n";
    assert_int_equal (agency_import_mapping_parse ("t", nul, sizeof nul - 1, &m, why, sizeof why),
                      -1);
    assert_non_null (strstr (why, "64 KiB"));
    assert_null (m.columns);

    size_t len = AGENCY_IMPORT_MAPPING_MAX + 1;
    char *big = malloc (len);
    assert_non_null (big);
    memset (big, '#', len); /* comments only: it would be valid but for its size */
    big[0] = '\n';
    assert_int_equal (agency_import_mapping_parse ("t", big, len, &m, why, sizeof why), -1);
    assert_non_null (strstr (why, "64 KiB"));
    assert_null (m.columns);
    /* Exactly 64 KiB is allowed. */
    assert_int_equal (agency_import_mapping_parse ("t", big, len - 1, &m, why, sizeof why), 0);
    agency_import_mapping_clear (&m);
    free (big);

    /* The text need not end in a NUL: len says where it stops. */
    const char *text = "[columns]\nA = to\nB = nowhere\n";
    assert_int_equal (agency_import_mapping_parse ("t", text, strlen ("[columns]\nA = to\n"), &m,
                                                   why, sizeof why),
                      0);
    assert_int_equal (s_column (&m, "A")->place.target, IMPORT_TO);
    assert_null (s_column (&m, "B"));
    agency_import_mapping_clear (&m);
}

/* Notepad on a Japanese Windows PC saves "UTF-8" with a byte order mark: the file is still
 * read, its first line too. */
static void
test_byte_order_mark (void **state)
{
    (void) state;
    agency_import_mapping_t m;
    char why[300] = "";
    if (s_parse ("\xEF\xBB\xBF# つなぐ市\n[columns]\n要介護度 = sheet.eldercare.care_insurance\n",
                 &m, why, sizeof why)
        != 0)
        fail_msg ("refused: %s", why);
    assert_non_null (s_column (&m, "要介護度"));
    agency_import_mapping_clear (&m);
    if (s_parse ("\xEF\xBB\xBF[columns]\n年齢 = sheet.child.age\n", &m, why, sizeof why) != 0)
        fail_msg ("refused: %s", why);
    agency_import_mapping_clear (&m);
}

/* The same file saved as CP932 (Shift_JIS) holds no header a UTF-8 spreadsheet could match and
 * values no request can carry: it is refused at its first such line, saying so. */
static void
test_not_utf8_refused (void **state)
{
    (void) state;
    /* 要介護度 = ..., and [defaults] 続柄's value 本人, in CP932 */
    s_refused ("[columns]\n\x97\x76\x89\xee\x8c\xec\x93\x78 = sheet.eldercare.care_insurance\n", 2,
               "UTF-8");
    s_refused ("[defaults]\nlegal_basis = consent\nsheet.members.0.relation = \x96\x7b\x90\x6c\n",
               3, "UTF-8");
    s_refused ("[row H\xff]\n", 1, "UTF-8");
}

static void
test_names (void **state)
{
    (void) state;
    assert_true (agency_import_name_valid ("tsunagu-city"));
    assert_true (agency_import_name_valid ("a_1"));
    assert_false (agency_import_name_valid (NULL));
    assert_false (agency_import_name_valid (""));
    assert_false (agency_import_name_valid ("A"));
    assert_false (agency_import_name_valid ("../x"));
    assert_false (agency_import_name_valid ("a.conf"));
    assert_false (agency_import_name_valid ("a/b"));
    char long_name[AGENCY_IMPORT_NAME_MAX + 2];
    memset (long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_false (agency_import_name_valid (long_name));
    long_name[AGENCY_IMPORT_NAME_MAX] = '\0';
    assert_true (agency_import_name_valid (long_name));
}

static void
s_write (const char *dir, const char *file, const char *text)
{
    char path[1200];
    snprintf (path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen (path, "wb");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
}

static void
test_load (void **state)
{
    (void) state;
    char dir[1024];
    test_tmpdir (dir, sizeof dir, "import-mapping");
    s_write (dir, "office.conf", "[columns]\n要介護度 = sheet.eldercare.care_insurance\n");
    s_write (dir, "broken.conf", "[columns]\n\n要介護度 = sheet.eldercare.\n");
    s_write (dir, "x.conf", "[columns]\nA = to\n"); /* what "../x" would reach from a subdir */
    agency_import_mapping_t m;
    char why[400] = "";
    assert_int_equal (agency_import_mapping_load (dir, "office", &m, why, sizeof why), 0);
    assert_string_equal (m.name, "office");
    assert_int_equal (m.column_count, 13);
    assert_non_null (s_column (&m, "要介護度"));
    agency_import_mapping_clear (&m);

    assert_int_equal (agency_import_mapping_load (dir, "missing", &m, why, sizeof why), 1);
    assert_null (m.columns);
    char sub[1100];
    snprintf (sub, sizeof sub, "%s/sub", dir);
    tsg_mkdir_p (sub, 0700);
    assert_int_equal (agency_import_mapping_load (sub, "../x", &m, why, sizeof why), 1);
    assert_int_equal (agency_import_mapping_load (dir, "A", &m, why, sizeof why), 1);
    assert_int_equal (agency_import_mapping_load (dir, "", &m, why, sizeof why), 1);
    assert_int_equal (agency_import_mapping_load (NULL, "office", &m, why, sizeof why), 1);
    assert_null (m.columns);

    why[0] = '\0';
    assert_int_equal (agency_import_mapping_load (dir, "broken", &m, why, sizeof why), -1);
    assert_non_null (strstr (why, "broken.conf: line 3: "));
    assert_null (m.columns);

    /* A file over 64 KiB is refused, not cut. */
    char path[1200];
    snprintf (path, sizeof path, "%s/big.conf", dir);
    FILE *f = fopen (path, "wb");
    assert_non_null (f);
    fputs ("[columns]\n", f);
    while (ftell (f) <= AGENCY_IMPORT_MAPPING_MAX)
        fputs ("# a comment line\n", f);
    fclose (f);
    assert_int_equal (agency_import_mapping_load (dir, "big", &m, why, sizeof why), -1);
    assert_non_null (strstr (why, "64 KiB"));
    test_rmtree (dir);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_builtin_mapping),
        cmocka_unit_test (test_target_names),
        cmocka_unit_test (test_example_mapping),
        cmocka_unit_test (test_columns_replace_and_read_as),
        cmocka_unit_test (test_refusals_name_the_line),
        cmocka_unit_test (test_index_with_letters_refused),
        cmocka_unit_test (test_refusals_of_the_whole_text),
        cmocka_unit_test (test_byte_order_mark),
        cmocka_unit_test (test_not_utf8_refused),
        cmocka_unit_test (test_names),
        cmocka_unit_test (test_load),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
