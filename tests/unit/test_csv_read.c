/* test_csv_read.c — spreadsheets as Excel writes them (tsg_csv_read.h): the two exports of
 * the synthetic municipality (UTF-8 with BOM, and CP932) decode to the same text and parse to
 * the same rows; Excel's quoting (commas, line breaks and doubled quotes inside quotes), CRLF
 * and LF, blank rows skipped with Excel's row numbers kept; and every broken file refused with
 * its row and why: invalid in every encoding, a NUL byte, a quote left open, a character after
 * a closing quote, too many fields, a field too long. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tsunagu/tsg_csv_read.h"
#include "tsunagu/tsunagu.h"

/* What a parse collected: each row's number and its fields joined by '|'. */
typedef struct {
    size_t rows;           /* rows seen */
    size_t numbers[32];    /* their numbers */
    char joined[32][2048]; /* their fields, '|' between */
    size_t stop_after;     /* stop after this many (0: never) */
} s_rows_t;

static bool
s_collect (void *arg, const tsg_csv_row_t *row)
{
    s_rows_t *r = arg;
    if (r->rows < 32) {
        r->numbers[r->rows] = row->number;
        char *out = r->joined[r->rows];
        out[0] = '\0';
        for (size_t i = 0; i < row->count; i++) {
            if (i)
                strncat (out, "|", 2047 - strlen (out));
            strncat (out, row->fields[i], 2047 - strlen (out));
        }
    }
    r->rows++;
    return !(r->stop_after && r->rows == r->stop_after);
}

/* Decodes and parses bytes; returns the parse's code (the decode must succeed). */
static int
s_parse_bytes (const char *bytes, size_t len, s_rows_t *rows, tsg_csv_problem_t *problem,
               tsg_csv_encoding_t *encoding)
{
    tsg_csv_text_t text;
    char why[256];
    int rc = tsg_csv_decode ((const uint8_t *) bytes, len, &text, why, sizeof why);
    if (rc != TSG_OK)
        fail_msg ("decode: %s", why);
    if (encoding)
        *encoding = text.encoding;
    memset (rows, 0, sizeof *rows);
    rc = tsg_csv_parse (text.data, text.len, s_collect, rows, problem);
    tsg_csv_text_free (&text);
    return rc;
}

/* The contents of the shared data file name (caller frees), its length in *len. */
static char *
s_read_data (const char *name, size_t *len)
{
    const char *dir = getenv ("TSUNAGU_SHARED_DATA");
    assert_non_null (dir);
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen (path, "rb");
    assert_non_null (f);
    char *data = malloc (1 << 20);
    assert_non_null (data);
    *len = fread (data, 1, 1 << 20, f);
    fclose (f);
    return data;
}

static void
test_the_two_exports (void **state)
{
    (void) state;
    size_t len_bom, len_cp932;
    char *bom = s_read_data ("referrals-utf8-bom.csv", &len_bom);
    char *cp932 = s_read_data ("referrals-excel-cp932.csv", &len_cp932);
    s_rows_t *a = malloc (sizeof *a), *b = malloc (sizeof *b);
    tsg_csv_problem_t problem;
    tsg_csv_encoding_t ea, eb;
    assert_int_equal (s_parse_bytes (bom, len_bom, a, &problem, &ea), TSG_OK);
    assert_int_equal (s_parse_bytes (cp932, len_cp932, b, &problem, &eb), TSG_OK);
    assert_int_equal (ea, TSG_CSV_UTF8_BOM);
    assert_int_equal (eb, TSG_CSV_CP932);
    assert_int_equal (a->rows, 11); /* the header and ten households */
    assert_int_equal (b->rows, a->rows);
    for (size_t i = 0; i < a->rows; i++) {
        assert_string_equal (a->joined[i], b->joined[i]);
        assert_int_equal (a->numbers[i], i + 1);
    }
    assert_non_null (strstr (a->joined[0], "世帯ID|紹介元|紹介先|緊急度|氏名"));
    assert_non_null (strstr (a->joined[1], "H001|eldercare|poverty|normal|山田 ハナ"));
    free (a);
    free (b);
    free (bom);
    free (cp932);
}

static void
test_excel_quoting_and_line_ends (void **state)
{
    (void) state;
    const char csv[] = "id,note\r\n"
                       "1,\"a, b\"\r\n"
                       "\r\n"
                       ",\r\n"
                       "2,\"two\r\nlines\"\r\n"
                       "3,\"say \"\"hi\"\"\"\n"
                       "4,last";
    s_rows_t *r = malloc (sizeof *r);
    tsg_csv_problem_t problem;
    tsg_csv_encoding_t e;
    assert_int_equal (s_parse_bytes (csv, sizeof csv - 1, r, &problem, &e), TSG_OK);
    assert_int_equal (e, TSG_CSV_UTF8);
    assert_int_equal (r->rows, 5);
    assert_string_equal (r->joined[1], "1|a, b");
    assert_string_equal (r->joined[2], "2|two\r\nlines");
    assert_string_equal (r->joined[3], "3|say \"hi\"");
    assert_string_equal (r->joined[4], "4|last");
    /* Excel's row numbers: the blank row and the row of empty fields still count. */
    assert_int_equal (r->numbers[1], 2);
    assert_int_equal (r->numbers[2], 5);
    assert_int_equal (r->numbers[3], 6);
    assert_int_equal (r->numbers[4], 7);
    /* The callback may stop the parse. */
    memset (r, 0, sizeof *r);
    r->stop_after = 2;
    tsg_csv_text_t text;
    char why[256];
    assert_int_equal (
        tsg_csv_decode ((const uint8_t *) csv, sizeof csv - 1, &text, why, sizeof why), TSG_OK);
    assert_int_equal (tsg_csv_parse (text.data, text.len, s_collect, r, &problem), TSG_OK);
    assert_int_equal (r->rows, 2);
    tsg_csv_text_free (&text);
    free (r);
}

/* Decoding bytes fails, its sentence holding expected. */
static void
s_refused_decode (const char *bytes, size_t len, const char *expected)
{
    tsg_csv_text_t text;
    char why[256];
    assert_int_equal (tsg_csv_decode ((const uint8_t *) bytes, len, &text, why, sizeof why),
                      TSG_ERR_BAD_INPUT);
    assert_null (text.data);
    if (!strstr (why, expected))
        fail_msg ("decode said \"%s\", expected \"%s\" in it", why, expected);
}

/* Parsing csv fails at row, its sentence holding expected. */
static void
s_refused_parse (const char *csv, size_t len, size_t row, const char *expected)
{
    s_rows_t *r = malloc (sizeof *r);
    tsg_csv_problem_t problem;
    assert_int_equal (s_parse_bytes (csv, len, r, &problem, NULL), TSG_ERR_BAD_INPUT);
    assert_int_equal (problem.row, row);
    if (!strstr (problem.why, expected))
        fail_msg ("parse said \"%s\", expected \"%s\" in it", problem.why, expected);
    free (r);
}

static void
test_broken_files (void **state)
{
    (void) state;
    s_refused_decode ("", 0, "empty");
    s_refused_decode ("a,b\n\x00,c\n", 8, "line 2 holds a NUL");
    /* 0x80 0x20: not UTF-8 and not CP932 (0x80 is unassigned there). */
    s_refused_decode ("id\n1\n\x80\x20\n", 7, "neither UTF-8");
    s_refused_decode ("\xEF\xBB\xBFid\n\xFF\n", 8, "line 2 is not UTF-8");
    s_refused_parse ("id,note\n1,\"open\n2,x\n", 20, 2, "never closed");
    s_refused_parse ("id,note\n1,\"a\"b\n", 15, 2, "after its closing quote");
    char *wide = malloc (300 * 2 + 1);
    for (int i = 0; i < 300; i++)
        memcpy (wide + 2 * i, "x,", 2);
    wide[599] = '\n';
    wide[600] = '\0';
    s_refused_parse (wide, 600, 1, "more than 256 fields");
    free (wide);
    size_t big = TSG_CSV_FIELD_MAX + 10;
    char *longf = malloc (big + 8);
    memcpy (longf, "id\n", 3);
    memset (longf + 3, 'y', big);
    memcpy (longf + 3 + big, "\n", 2);
    s_refused_parse (longf, big + 4, 2, "longer than 64 KiB");
    free (longf);
}

static void
test_columns (void **state)
{
    (void) state;
    tsg_csv_row_t header = { .count = 3, .fields = { "世帯ID", " 紹介先 ", "氏名" } };
    for (size_t i = 0; i < 3; i++)
        header.lengths[i] = strlen (header.fields[i]);
    assert_int_equal (tsg_csv_column (&header, "世帯ID"), 0);
    assert_int_equal (tsg_csv_column (&header, "紹介先"), 1);
    assert_int_equal (tsg_csv_column (&header, "住所"), -1);
    assert_string_equal (tsg_csv_encoding_name (TSG_CSV_CP932), "cp932");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_the_two_exports),
        cmocka_unit_test (test_excel_quoting_and_line_ends),
        cmocka_unit_test (test_broken_files),
        cmocka_unit_test (test_columns),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
