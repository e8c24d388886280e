/* One spreadsheet cell read the way a Japanese office writes it (agency/imports/cells.h): the
 * dates of a 生年月日 column in the western and the Japanese calendar, full-width digits and
 * Excel's time after a date; the impossible dates refused with a sentence; whole numbers (年齢
 * "15歳"); the words of 緊急度 and 法的根拠; the lists of 課題タグ. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "agency/imports/cells.h"

/* Asserts that text reads as the date expected. */
static void
s_date_is (const char *text, const char *expected)
{
    char out[11] = "", why[160] = "";
    if (!agency_cell_date (text, out, why, sizeof why))
        fail_msg ("'%s' was refused: %s", text, why);
    assert_string_equal (out, expected);
}

/* Asserts that text is refused with a sentence, leaving out as it was. */
static void
s_date_refused (const char *text)
{
    char out[11] = "unchanged", why[160] = "";
    if (agency_cell_date (text, out, why, sizeof why))
        fail_msg ("'%s' was read as %s", text, out);
    assert_true (strlen (why) > 0);
    assert_string_equal (out, "unchanged");
}

static void
test_western_dates (void **state)
{
    (void) state;
    s_date_is ("1943-04-12", "1943-04-12");
    s_date_is ("1943/4/12", "1943-04-12");
    s_date_is ("1943.4.12", "1943-04-12");
    s_date_is ("1943年4月12日", "1943-04-12");
    s_date_is ("  1943/4/12  ", "1943-04-12");
    s_date_is ("2024-02-29", "2024-02-29"); /* a leap year */
    s_date_is ("2000-02-29", "2000-02-29"); /* divisible by 400 */
}

static void
test_japanese_calendar (void **state)
{
    (void) state;
    s_date_is ("昭和18年4月12日", "1943-04-12");
    s_date_is ("S18.4.12", "1943-04-12");
    s_date_is ("s18/4/12", "1943-04-12");
    s_date_is ("平成元年1月8日", "1989-01-08");
    s_date_is ("H1.1.8", "1989-01-08");
    s_date_is ("令和6年2月29日", "2024-02-29"); /* 令和6年 is 2024, a leap year */
    s_date_is ("R6.2.29", "2024-02-29");
    s_date_is ("大正15年12月24日", "1926-12-24");
    s_date_is ("明治45年7月29日", "1912-07-29");
}

static void
test_full_width_and_excel_time (void **state)
{
    (void) state;
    s_date_is ("１９４３／４／１２", "1943-04-12");
    s_date_is ("１９４３－０４－１２", "1943-04-12");
    s_date_is ("昭和１８年４月１２日", "1943-04-12");
    s_date_is ("\u3000"
               "1943/4/12"
               "\u3000",
               "1943-04-12"); /* ideographic spaces */
    s_date_is ("1943/4/12 0:00", "1943-04-12");
    s_date_is ("1943/4/12 00:00:00", "1943-04-12");
    s_date_is ("１９４３／４／１２　０：００", "1943-04-12");
}

static void
test_dates_refused (void **state)
{
    (void) state;
    s_date_refused ("2023-02-30");
    s_date_refused ("2023-13-01");
    s_date_refused ("2023-00-10");
    s_date_refused ("2023-04-00");
    s_date_refused ("2023-04-31");
    s_date_refused ("1900-02-29"); /* 1900 is not a leap year */
    s_date_refused ("2023-02-29");
    s_date_refused ("令和5年2月29日");
    s_date_refused ("abc");
    s_date_refused ("");
    s_date_refused ("   ");
    s_date_refused ("2023-02");
    s_date_refused ("2023");
    s_date_refused ("1943-04-12x");
    s_date_refused ("1943-04-12 午前");
    s_date_refused ("1943/4/12 0:00 JST");
    s_date_refused ("1867-12-31"); /* before the first era the calendar reads */
    s_date_refused ("S.4.12");
    s_date_refused ("12/4/1943"); /* day first is not read as a date */
}

static void
test_date_refusal_names_the_date (void **state)
{
    (void) state;
    char out[11], why[160] = "";
    assert_false (agency_cell_date ("2023-02-30", out, why, sizeof why));
    assert_non_null (strstr (why, "2023-02-30"));
    char big[400];
    memset (big, '1', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_false (agency_cell_date (big, out, why, sizeof why));
    assert_true (strlen (why) > 0);
}

/* An era's year 0 does not exist (its first year is 元年, 1): 昭和0年 is no date. */
static void
test_era_year_zero_refused (void **state)
{
    (void) state;
    s_date_refused ("昭和0年4月12日");
    s_date_refused ("H0.1.8");
}

/* A date of an era must fall in the days it ran. */
static void
test_era_ends_refused (void **state)
{
    (void) state;
    s_date_is ("昭和64年1月7日", "1989-01-07");
    s_date_refused ("昭和64年1月8日");
    s_date_refused ("昭和65年1月1日");
    s_date_is ("平成31年4月30日", "2019-04-30");
    s_date_refused ("平成31年5月1日");
    s_date_is ("令和元年5月1日", "2019-05-01");
    s_date_refused ("令和元年4月30日");
    s_date_refused ("T16.1.1");
}

static void
test_integers (void **state)
{
    (void) state;
    long n = -1;
    char why[160] = "";
    assert_true (agency_cell_integer ("15", &n, why, sizeof why));
    assert_int_equal (n, 15);
    n = -1;
    assert_true (agency_cell_integer ("１５", &n, why, sizeof why));
    assert_int_equal (n, 15);
    n = -1;
    assert_true (agency_cell_integer ("15歳", &n, why, sizeof why));
    assert_int_equal (n, 15);
    n = -1;
    assert_true (agency_cell_integer ("１５歳", &n, why, sizeof why));
    assert_int_equal (n, 15);
    n = -1;
    assert_true (agency_cell_integer (" 0 ", &n, why, sizeof why));
    assert_int_equal (n, 0);
    assert_true (agency_cell_integer ("100000", &n, why, sizeof why));
    assert_int_equal (n, 100000);

    static const char *const refused[] = { "-1", "1.5", "",    "100001",
                                           "歳", "abc", "1e3", "99999999999999999999",
                                           NULL };
    for (size_t i = 0; refused[i]; i++) {
        n = 7;
        why[0] = '\0';
        if (agency_cell_integer (refused[i], &n, why, sizeof why))
            fail_msg ("'%s' was read as %ld", refused[i], n);
        assert_int_equal (n, 7);
        assert_true (strlen (why) > 0);
    }
}

static void
test_urgency_words (void **state)
{
    (void) state;
    assert_string_equal (agency_cell_urgency ("normal"), "normal");
    assert_string_equal (agency_cell_urgency ("high"), "high");
    assert_string_equal (agency_cell_urgency ("emergency"), "emergency");
    assert_string_equal (agency_cell_urgency ("通常"), "normal");
    assert_string_equal (agency_cell_urgency ("普通"), "normal");
    assert_string_equal (agency_cell_urgency ("至急"), "high");
    assert_string_equal (agency_cell_urgency ("高"), "high");
    assert_string_equal (agency_cell_urgency ("緊急"), "emergency");
    assert_string_equal (agency_cell_urgency (" 緊急 "), "emergency");
    assert_string_equal (agency_cell_urgency ("\u3000至急\u3000"), "high");
    assert_null (agency_cell_urgency (""));
    assert_null (agency_cell_urgency ("urgent"));
    assert_null (agency_cell_urgency ("低"));
    assert_null (agency_cell_urgency ("緊急度"));
    assert_null (agency_cell_urgency ("consent"));
    /* The English words in any case, full-width too. */
    assert_string_equal (agency_cell_urgency ("High"), "high");
    assert_string_equal (agency_cell_urgency ("ＥＭＥＲＧＥＮＣＹ"), "emergency");
    assert_string_equal (agency_cell_legal_basis ("Consent"), "consent");
}

static void
test_legal_basis_words (void **state)
{
    (void) state;
    assert_string_equal (agency_cell_legal_basis ("consent"), "consent");
    assert_string_equal (agency_cell_legal_basis ("support-meeting"), "support-meeting");
    assert_string_equal (agency_cell_legal_basis ("statutory-meeting"), "statutory-meeting");
    assert_string_equal (agency_cell_legal_basis ("emergency"), "emergency");
    assert_string_equal (agency_cell_legal_basis ("none"), "none");
    assert_string_equal (agency_cell_legal_basis ("同意"), "consent");
    assert_string_equal (agency_cell_legal_basis ("本人同意"), "consent");
    assert_string_equal (agency_cell_legal_basis ("支援会議"), "support-meeting");
    assert_string_equal (agency_cell_legal_basis ("法定会議"), "statutory-meeting");
    assert_string_equal (agency_cell_legal_basis ("緊急"), "emergency");
    assert_string_equal (agency_cell_legal_basis ("緊急通報"), "emergency");
    assert_string_equal (agency_cell_legal_basis ("なし"), "none");
    assert_string_equal (agency_cell_legal_basis (" 同意 "), "consent");
    assert_null (agency_cell_legal_basis (""));
    assert_null (agency_cell_legal_basis ("meeting"));
    assert_null (agency_cell_legal_basis ("不同意"));
    assert_null (agency_cell_legal_basis ("normal"));
}

/* Asserts that list is a JSON array of exactly the strings expected (NULL-terminated). */
static void
s_list_is (const char *text, const char *const *expected)
{
    json_t *list = agency_cell_list (text);
    assert_non_null (list);
    assert_true (json_is_array (list));
    size_t n = 0;
    while (expected[n])
        n++;
    if (json_array_size (list) != n) {
        char *dump = json_dumps (list, JSON_COMPACT);
        fail_msg ("'%s' split into %s, expected %zu items", text, dump, n);
    }
    for (size_t i = 0; i < n; i++)
        assert_string_equal (json_string_value (json_array_get (list, i)), expected[i]);
    json_decref (list);
}

static void
test_lists (void **state)
{
    (void) state;
    s_list_is ("介護・8050、ひきこもり", (const char *[]){ "介護", "8050", "ひきこもり", NULL });
    s_list_is ("a, b;c／d", (const char *[]){ "a", "b", "c", "d", NULL });
    s_list_is ("a，b；c｜d|e/f", (const char *[]){ "a", "b", "c", "d", "e", "f", NULL });
    s_list_is ("介護\r\n8050\nひきこもり", (const char *[]){ "介護", "8050", "ひきこもり", NULL });
    s_list_is ("介護", (const char *[]){ "介護", NULL });
    s_list_is ("  ", (const char *[]){ NULL });
    s_list_is (",,", (const char *[]){ NULL });
    s_list_is ("", (const char *[]){ NULL });
    s_list_is ("・、・", (const char *[]){ NULL });
    s_list_is (" 介護 ・ ・ 8050 ", (const char *[]){ "介護", "8050", NULL });
}

/* The ideographic space a Japanese keyboard types is trimmed at both ends of an item. */
static void
test_list_trims_ideographic_spaces (void **state)
{
    (void) state;
    s_list_is ("\u3000介護\u3000・\u30008050\u3000", (const char *[]){ "介護", "8050", NULL });
    s_list_is ("\u3000\u3000", (const char *[]){ NULL });
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_western_dates),
        cmocka_unit_test (test_japanese_calendar),
        cmocka_unit_test (test_full_width_and_excel_time),
        cmocka_unit_test (test_dates_refused),
        cmocka_unit_test (test_date_refusal_names_the_date),
        cmocka_unit_test (test_era_year_zero_refused),
        cmocka_unit_test (test_era_ends_refused),
        cmocka_unit_test (test_integers),
        cmocka_unit_test (test_urgency_words),
        cmocka_unit_test (test_legal_basis_words),
        cmocka_unit_test (test_lists),
        cmocka_unit_test (test_list_trims_ideographic_spaces),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
