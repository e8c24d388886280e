/* Reading a spreadsheet the way a Japanese office PC's Excel writes it: the encoding detected
 * (UTF-8 with or without a byte order mark, or CP932 — Shift_JIS as Windows writes it), CRLF or
 * LF line ends, Excel's quoting (a field in double quotes may hold commas, line breaks and
 * doubled quotes), parsed with libcsv into rows of UTF-8 fields.  Every problem is reported with
 * its row (and field) and changes nothing: a text that is not valid in any of the encodings, a
 * row longer than the limits, a quote left open.
 *
 *     tsg_csv_text_t text;
 *     char why[160];
 *     if (tsg_csv_decode (bytes, len, &text, why, sizeof why) != TSG_OK) ...;  // text.encoding
 *     tsg_csv_parse (text.data, text.len, on_row, arg, &problem);               // row 1 = header
 *     tsg_csv_text_free (&text);
 */
#ifndef TSG_CSV_READ_H_INCLUDED
#define TSG_CSV_READ_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSG_CSV_FIELDS_MAX 256                /* fields in one row */
#define TSG_CSV_FIELD_MAX  (64 * 1024)        /* bytes of one field */
#define TSG_CSV_ROWS_MAX   100000             /* rows in one file (the header counts) */
#define TSG_CSV_BYTES_MAX  (16 * 1024 * 1024) /* bytes of one file */

/* The encoding a file was written in. */
typedef enum {
    TSG_CSV_UTF8 = 1, /* UTF-8 without a byte order mark */
    TSG_CSV_UTF8_BOM, /* UTF-8 starting with EF BB BF (Excel's "CSV UTF-8") */
    TSG_CSV_CP932,    /* Shift_JIS as Windows writes it (Excel's plain "CSV") */
} tsg_csv_encoding_t;

/* "utf-8", "utf-8-bom", "cp932". */
const char *tsg_csv_encoding_name (tsg_csv_encoding_t encoding);

/* A file's text in UTF-8, without its byte order mark. */
typedef struct {
    char *data;                  /* NUL-terminated (owned) */
    size_t len;                  /* its length */
    tsg_csv_encoding_t encoding; /* what the file was written in */
} tsg_csv_text_t;

/* Detects the encoding of bytes[0..len) and decodes it into *text: a BOM says UTF-8; else valid
 * UTF-8 is UTF-8; else text that converts from CP932 (glibc's iconv) is CP932.  TSG_OK, or
 * TSG_ERR_BAD_INPUT with a sentence in why (empty, too large, a NUL byte, valid in none of them —
 * saying at which line the text stops being CP932), or TSG_ERR_NOMEM; *text is then empty. */
int tsg_csv_decode (const uint8_t *bytes, size_t len, tsg_csv_text_t *text, char *why,
                    size_t why_size);

/* Frees what decode kept; safe twice. */
void tsg_csv_text_free (tsg_csv_text_t *text);

/* One row as parsed: its number (from 1, the header being row 1; a quoted field's line breaks
 * do not start a row) and its fields, each NUL-terminated UTF-8 (borrowed for the call). */
typedef struct {
    size_t number;                          /* the row's number in the file */
    size_t count;                           /* fields in it */
    const char *fields[TSG_CSV_FIELDS_MAX]; /* the fields ("" for an empty one) */
    size_t lengths[TSG_CSV_FIELDS_MAX];     /* their lengths */
} tsg_csv_row_t;

/* Called for each row; return false to stop. */
typedef bool (tsg_csv_row_fn) (void *arg, const tsg_csv_row_t *row);

/* What stopped a parse. */
typedef struct {
    size_t row;    /* the row it was in (0: none) */
    char why[160]; /* an English sentence ("" when the parse went to the end) */
} tsg_csv_problem_t;

/* Parses text[0..len) (UTF-8 from tsg_csv_decode) and calls fn for each row that holds anything
 * (a blank line, or one of empty fields only, is skipped: Excel writes ",,,," for them).  TSG_OK
 * when every row was read (or fn stopped it); TSG_ERR_BAD_INPUT with *problem saying which row
 * and why (a quote left open, a character after a closing quote, a row of more than
 * TSG_CSV_FIELDS_MAX fields or a field of more than TSG_CSV_FIELD_MAX bytes, more than
 * TSG_CSV_ROWS_MAX rows); TSG_ERR_NOMEM. */
int tsg_csv_parse (const char *text, size_t len, tsg_csv_row_fn *fn, void *arg,
                   tsg_csv_problem_t *problem);

/* The index of the field of row equal to name after trimming spaces at both ends (a header's
 * column), or -1 when none is. */
int tsg_csv_column (const tsg_csv_row_t *header, const char *name);

#endif
