/* Writing CSV the way Excel on a Japanese office PC opens it: RFC 4180 fields (quoted, their
 * quotes doubled, only when they hold a comma, a quote, CR or LF), rows ended by CRLF, and
 * the text either UTF-8 after a byte order mark or CP932 (glibc's iconv; a character CP932
 * lacks becomes '?').  The writer streams to a FILE (a socket's, a pipe's, open_memstream's):
 * it keeps no row, so an export of any length takes the memory of one field.
 *
 *     tsg_csv_t *csv = tsg_csv_new (out, TSG_CSV_UTF8_BOM, TSG_CSV_FORMULA_GUARD);
 *     tsg_csv_row (csv, "紹介ID", "状態", NULL);
 *     tsg_csv_field (csv, id);
 *     tsg_csv_fieldf (csv, "%d", n);
 *     tsg_csv_end_row (csv);
 *     bool ok = tsg_csv_destroy (&csv);   // false when a write or a conversion failed
 *
 * Used by the coordinator's report (coordinator/web/report_csv.c) and the agency's export of
 * its referrals (agency/api/export_view.c). */
#ifndef TSG_CSV_WRITE_H_INCLUDED
#define TSG_CSV_WRITE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum {
    TSG_CSV_UTF8_BOM, /* UTF-8, the file opened by EF BB BF (Excel then reads it as UTF-8) */
    TSG_CSV_CP932,    /* Shift_JIS as Windows extends it, no BOM */
} tsg_csv_encoding_t;

/* Flags of tsg_csv_new. */
#define TSG_CSV_FORMULA_GUARD                                                                      \
    1u /* a text field that starts with = + - @ TAB or CR gets a                                   \
          leading apostrophe, so that a spreadsheet shows it as text                               \
          instead of running it as a formula (data from people) */

typedef struct _tsg_csv_t tsg_csv_t;

/* A writer to out (borrowed; the caller closes it after tsg_csv_destroy).  The BOM, for
 * TSG_CSV_UTF8_BOM, is written at once.  NULL when memory runs out or iconv has no CP932. */
tsg_csv_t *tsg_csv_new (FILE *out, tsg_csv_encoding_t encoding, unsigned flags);

/* Ends the writer and frees it; safe on NULL and twice.  Returns true when every write and
 * conversion went through (a character CP932 lacks, written as '?', is no failure). */
bool tsg_csv_destroy (tsg_csv_t **self_p);

/* Adds one text field (UTF-8; NULL is an empty field) to the current row. */
void tsg_csv_field (tsg_csv_t *self, const char *text);

/* Adds one field made by printf (numbers: never guarded as a formula). */
void tsg_csv_fieldf (tsg_csv_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Ends the current row (CRLF); a row with no field is an empty line. */
void tsg_csv_end_row (tsg_csv_t *self);

/* A whole row of text fields, the list ended by NULL. */
void tsg_csv_row (tsg_csv_t *self, const char *first, ...) __attribute__ ((sentinel));

/* Rows ended so far. */
size_t tsg_csv_rows (const tsg_csv_t *self);

/* True while every write went through. */
bool tsg_csv_ok (const tsg_csv_t *self);

/* len bytes of UTF-8 in CP932 (caller frees; NUL-terminated, its length in *out_len), a
 * character CP932 lacks or a byte that is not UTF-8 as '?'.  NULL when iconv cannot be opened
 * or memory runs out. */
char *tsg_csv_cp932 (const char *utf8, size_t len, size_t *out_len);

#endif
