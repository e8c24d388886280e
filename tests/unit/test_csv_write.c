/* test_csv_write.c — the common CSV writer (tsg_csv_write.h): what Excel needs to open a file
 * as it was meant (BOM, CRLF, RFC 4180 quoting), CP932 with '?' for what it lacks, the
 * formula guard, and failures reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tsunagu/tsg_csv_write.h"

/* Writes rows through a writer of encoding into memory; returns the bytes (caller frees). */
typedef void (s_write_fn) (tsg_csv_t *csv);

static char *
s_run (tsg_csv_encoding_t encoding, unsigned flags, s_write_fn *fn, size_t *len, bool *ok)
{
    char *bytes = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&bytes, &size);
    assert_non_null (out);
    tsg_csv_t *csv = tsg_csv_new (out, encoding, flags);
    assert_non_null (csv);
    fn (csv);
    *ok = tsg_csv_destroy (&csv);
    assert_null (csv);
    assert_int_equal (fclose (out), 0);
    *len = size;
    return bytes;
}

static void
s_basic (tsg_csv_t *csv)
{
    tsg_csv_row (csv, "紹介ID", "状態", "概要", NULL);
    tsg_csv_field (csv, "plain");
    tsg_csv_field (csv, "a,b");
    tsg_csv_field (csv, "say \"hi\"");
    tsg_csv_end_row (csv);
    tsg_csv_field (csv, "line\r\nbreak");
    tsg_csv_field (csv, NULL);
    tsg_csv_field (csv, "");
    tsg_csv_fieldf (csv, "%d", -3);
    tsg_csv_end_row (csv);
    assert_int_equal (tsg_csv_rows (csv), 3);
    assert_true (tsg_csv_ok (csv));
}

static void
test_utf8_bom_crlf_quoting (void **state)
{
    (void) state;
    size_t len;
    bool ok;
    char *bytes = s_run (TSG_CSV_UTF8_BOM, 0, s_basic, &len, &ok);
    assert_true (ok);
    const char expected[] = "\xEF\xBB\xBF"
                            "紹介ID,状態,概要\r\n"
                            "plain,\"a,b\",\"say \"\"hi\"\"\"\r\n"
                            "\"line\r\nbreak\",,,-3\r\n";
    assert_int_equal (len, sizeof expected - 1);
    assert_memory_equal (bytes, expected, len);
    free (bytes);
}

static void
s_japanese (tsg_csv_t *csv)
{
    /* 髙 (U+9AD9) is in CP932 (an IBM extension), 🙂 is not; ～ (U+FF5E) is CP932's wave
     * dash. */
    tsg_csv_row (csv, "方向", "山田 ハナ", "髙橋", "2026年04月～2026年05月", NULL);
    tsg_csv_row (csv, "顔🙂です", "a\"b", NULL);
}

static void
test_cp932_round_trip (void **state)
{
    (void) state;
    size_t len, utf8_len;
    bool ok;
    char *sjis = s_run (TSG_CSV_CP932, 0, s_japanese, &len, &ok);
    assert_true (ok);
    char *utf8 = s_run (TSG_CSV_UTF8_BOM, 0, s_japanese, &utf8_len, &ok);
    assert_true (ok);
    /* No BOM; 方 is 95 FB in Shift_JIS. */
    assert_memory_equal (sjis, "\x95\xfb\x8c\xfc,", 5);
    assert_true (len > 3 && memcmp (sjis, "\xEF\xBB\xBF", 3) != 0);
    assert_non_null (strstr (sjis, "\r\n"));
    /* The emoji became one '?', the rest is as it was. */
    char *cp932_again = tsg_csv_cp932 (utf8 + 3, utf8_len - 3, &utf8_len);
    assert_non_null (cp932_again);
    assert_int_equal (utf8_len, len);
    assert_memory_equal (cp932_again, sjis, len);
    assert_non_null (strstr (sjis, "?\x82\xc5\x82\xb7")); /* ?です */
    assert_non_null (strstr (sjis, ",\"a\"\"b\"\r\n"));
    free (cp932_again);
    free (sjis);
    free (utf8);
}

static void
test_cp932_replaces_what_is_missing (void **state)
{
    (void) state;
    size_t len = 0;
    char *out = tsg_csv_cp932 ("A\xF0\x9F\x99\x82"
                               "B\xFF"
                               "C",
                               8, &len);
    assert_non_null (out);
    assert_int_equal (len, 5);
    assert_string_equal (out, "A?B?C");
    free (out);
    out = tsg_csv_cp932 ("", 0, &len);
    assert_non_null (out);
    assert_int_equal (len, 0);
    free (out);
}

static void
s_formulas (tsg_csv_t *csv)
{
    tsg_csv_row (csv, "=1+2", "+81", "-x", "@SUM(A1)", "ok=1", NULL);
    tsg_csv_fieldf (csv, "%d", -1);
    tsg_csv_end_row (csv);
}

static void
test_formula_guard (void **state)
{
    (void) state;
    size_t len;
    bool ok;
    char *bytes = s_run (TSG_CSV_UTF8_BOM, TSG_CSV_FORMULA_GUARD, s_formulas, &len, &ok);
    assert_true (ok);
    const char expected[] = "\xEF\xBB\xBF\"'=1+2\",\"'+81\",\"'-x\",\"'@SUM(A1)\",ok=1\r\n-1\r\n";
    assert_int_equal (len, sizeof expected - 1);
    assert_memory_equal (bytes, expected, len);
    free (bytes);
    bytes = s_run (TSG_CSV_UTF8_BOM, 0, s_formulas, &len, &ok);
    assert_non_null (strstr (bytes, "=1+2,+81,-x,@SUM(A1),ok=1\r\n"));
    free (bytes);
}

static void
s_long (tsg_csv_t *csv)
{
    /* A field longer than the converter's buffer, with characters it lacks at the edges. */
    size_t n = 5000;
    char *text = malloc (n * 3 + 8);
    assert_non_null (text);
    char *p = text;
    for (size_t i = 0; i < n; i++) {
        memcpy (p, i % 997 == 0 ? "\xF0\x9F\x99\x82" : "あ", i % 997 == 0 ? 4 : 3);
        p += i % 997 == 0 ? 4 : 3;
    }
    *p = '\0';
    tsg_csv_field (csv, text);
    tsg_csv_end_row (csv);
    free (text);
}

static void
test_cp932_long_field (void **state)
{
    (void) state;
    size_t len;
    bool ok;
    char *bytes = s_run (TSG_CSV_CP932, 0, s_long, &len, &ok);
    assert_true (ok);
    size_t questions = 0;
    for (size_t i = 0; i < len; i++)
        questions += bytes[i] == '?';
    assert_int_equal (questions, 6); /* i = 0, 997, ..., 4985 */
    assert_int_equal (len, (5000 - 6) * 2 + 6 + 2);
    free (bytes);
}

static void
s_many (tsg_csv_t *csv)
{
    for (int i = 0; i < 100; i++)
        tsg_csv_row (csv, "some text that fills the buffer", NULL);
}

static void
test_write_failure_reported (void **state)
{
    (void) state;
    char buffer[64];
    FILE *out = fmemopen (buffer, sizeof buffer, "w");
    assert_non_null (out);
    setvbuf (out, NULL, _IONBF, 0);
    tsg_csv_t *csv = tsg_csv_new (out, TSG_CSV_UTF8_BOM, 0);
    s_many (csv);
    assert_false (tsg_csv_ok (csv));
    assert_false (tsg_csv_destroy (&csv));
    assert_false (tsg_csv_destroy (&csv)); /* twice: safe */
    fclose (out);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_utf8_bom_crlf_quoting),
        cmocka_unit_test (test_cp932_round_trip),
        cmocka_unit_test (test_cp932_replaces_what_is_missing),
        cmocka_unit_test (test_formula_guard),
        cmocka_unit_test (test_cp932_long_field),
        cmocka_unit_test (test_write_failure_reported),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
