/* csv_read.c — a spreadsheet as Excel writes it, decoded and parsed into rows (tsg_csv_read.h).
 * libcsv does the quoting; this file does the encodings, the row numbers Excel shows and the
 * limits. */
#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_csv_read.h"
#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_text.h"

#define CSV_CHUNK 65536 /* bytes handed to libcsv at a time (limits are checked between) */

const char *
tsg_csv_encoding_name (tsg_csv_encoding_t encoding)
{
    switch (encoding) {
    case TSG_CSV_UTF8: return "utf-8";
    case TSG_CSV_UTF8_BOM: return "utf-8-bom";
    case TSG_CSV_CP932: return "cp932";
    }
    return "unknown";
}

/* The line (from 1) of offset in bytes. */
static size_t
s_line_of (const uint8_t *bytes, size_t offset)
{
    size_t line = 1;
    for (size_t i = 0; i < offset; i++)
        if (bytes[i] == '\n')
            line++;
    return line;
}

/* True when bytes[0..len) is UTF-8 as tsg_utf8_decode reads it (no NUL, no overlong form, no
 * surrogate); else *bad is the offset of the first byte that is not. */
static bool
s_utf8 (const uint8_t *bytes, size_t len, size_t *bad)
{
    size_t i = 0;
    while (i < len) {
        if (bytes[i] == 0) {
            *bad = i;
            return false;
        }
        if (bytes[i] < 0x80) {
            i++;
            continue;
        }
        /* tsg_utf8_decode stops at a NUL, and every text here is NUL-terminated past len only
         * if the caller made it so: copy the few bytes a character may span. */
        uint8_t ch[5] = { 0 };
        size_t n = len - i < 4 ? len - i : 4;
        memcpy (ch, bytes + i, n);
        uint32_t cp;
        size_t used = tsg_utf8_decode (ch, &cp);
        if (used == 0 || used > n) {
            *bad = i;
            return false;
        }
        i += used;
    }
    return true;
}

/* Converts CP932 bytes into UTF-8 in *out; false with *bad the offset it stopped at. */
static bool
s_from_cp932 (const uint8_t *bytes, size_t len, char **out, size_t *out_len, size_t *bad,
              bool *nomem)
{
    *out = NULL;
    *nomem = false;
    iconv_t cd = iconv_open ("UTF-8", "CP932");
    if (cd == (iconv_t) -1) {
        *bad = 0;
        return false;
    }
    size_t cap = len * 3 + 1; /* a CP932 character is one or two bytes, its UTF-8 up to three */
    char *buf = malloc (cap);
    if (!buf) {
        iconv_close (cd);
        *nomem = true;
        return false;
    }
    char *in = (char *) bytes, *o = buf;
    size_t in_left = len, out_left = cap - 1;
    size_t rc = iconv (cd, &in, &in_left, &o, &out_left);
    bool ok = rc != (size_t) -1 && in_left == 0;
    if (ok)
        ok = iconv (cd, NULL, NULL, &o, &out_left) != (size_t) -1;
    iconv_close (cd);
    if (!ok) {
        *bad = (size_t) (in - (char *) bytes);
        free (buf);
        return false;
    }
    *o = '\0';
    *out = buf;
    *out_len = (size_t) (o - buf);
    return true;
}

int
tsg_csv_decode (const uint8_t *bytes, size_t len, tsg_csv_text_t *text, char *why, size_t why_size)
{
    memset (text, 0, sizeof *text);
    if (why_size)
        why[0] = '\0';
    if (!bytes || len == 0) {
        snprintf (why, why_size, "the file is empty");
        return TSG_ERR_BAD_INPUT;
    }
    if (len > TSG_CSV_BYTES_MAX) {
        snprintf (why, why_size, "the file is larger than %d MiB", TSG_CSV_BYTES_MAX >> 20);
        return TSG_ERR_BAD_INPUT;
    }
    bool bom = len >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF;
    const uint8_t *body = bom ? bytes + 3 : bytes;
    size_t body_len = bom ? len - 3 : len;
    size_t bad = 0;
    if (memchr (body, 0, body_len)) {
        bad = (size_t) ((const uint8_t *) memchr (body, 0, body_len) - body);
        snprintf (why, why_size, "line %zu holds a NUL byte: this is not a text file",
                  s_line_of (body, bad));
        return TSG_ERR_BAD_INPUT;
    }
    if (bom || s_utf8 (body, body_len, &bad)) {
        if (bom && !s_utf8 (body, body_len, &bad)) {
            snprintf (why, why_size,
                      "the file starts as UTF-8 (a byte order mark) but line %zu is not UTF-8",
                      s_line_of (body, bad));
            return TSG_ERR_BAD_INPUT;
        }
        text->data = malloc (body_len + 1);
        if (!text->data)
            return TSG_ERR_NOMEM;
        memcpy (text->data, body, body_len);
        text->data[body_len] = '\0';
        text->len = body_len;
        text->encoding = bom ? TSG_CSV_UTF8_BOM : TSG_CSV_UTF8;
        return TSG_OK;
    }
    size_t utf8_bad = bad, cp932_bad = 0;
    bool nomem = false;
    if (s_from_cp932 (body, body_len, &text->data, &text->len, &cp932_bad, &nomem)
        && !memchr (text->data, 0, text->len)) {
        text->encoding = TSG_CSV_CP932;
        return TSG_OK;
    }
    tsg_csv_text_free (text);
    if (nomem)
        return TSG_ERR_NOMEM;
    snprintf (why, why_size,
              "the file is neither UTF-8 (it stops being UTF-8 at line %zu) nor Shift_JIS/CP932 "
              "(at line %zu): save it from Excel as \"CSV UTF-8\" or \"CSV\"",
              s_line_of (body, utf8_bad), s_line_of (body, cp932_bad));
    return TSG_ERR_BAD_INPUT;
}

void
tsg_csv_text_free (tsg_csv_text_t *text)
{
    free (text->data);
    memset (text, 0, sizeof *text);
}

/* The state of one parse. */
typedef struct {
    tsg_csv_row_fn *fn;               /* the caller's function */
    void *arg;                        /* its argument */
    tsg_csv_problem_t *problem;       /* where a problem goes */
    tsg_csv_row_t row;                /* the row being read */
    char *fields[TSG_CSV_FIELDS_MAX]; /* its fields' copies (owned) */
    size_t number;                    /* the current row's number */
    int last_end;                     /* the character that ended the last row (-2: none yet) */
    bool failed;                      /* a limit or memory stopped it */
    bool stopped;                     /* fn asked to stop */
    bool nomem;                       /* memory ran out */
} s_parse_t;

/* Stops the parse at row with why (the first problem is the one told). */
static void
s_fail (s_parse_t *p, size_t row, const char *why)
{
    if (p->failed)
        return;
    p->failed = true;
    p->problem->row = row;
    snprintf (p->problem->why, sizeof p->problem->why, "%s", why);
}

static void
s_clear_row (s_parse_t *p)
{
    for (size_t i = 0; i < p->row.count; i++) {
        free (p->fields[i]);
        p->fields[i] = NULL;
    }
    p->row.count = 0;
}

/* libcsv: one field of the current row. */
static void
s_field (void *data, size_t len, void *arg)
{
    s_parse_t *p = arg;
    if (p->failed || p->stopped)
        return;
    if (p->row.count == TSG_CSV_FIELDS_MAX) {
        s_fail (p, p->number + 1, "the row has more than 256 fields");
        return;
    }
    if (len > TSG_CSV_FIELD_MAX) {
        s_fail (p, p->number + 1, "a field is longer than 64 KiB");
        return;
    }
    char *copy = malloc (len + 1);
    if (!copy) {
        p->nomem = true;
        s_fail (p, p->number + 1, "out of memory");
        return;
    }
    if (len)
        memcpy (copy, data, len);
    copy[len] = '\0';
    p->fields[p->row.count] = copy;
    p->row.fields[p->row.count] = copy;
    p->row.lengths[p->row.count] = len;
    p->row.count++;
}

/* True when every field of the row is empty (Excel's ",,,," for a blank row). */
static bool
s_blank (const tsg_csv_row_t *row)
{
    for (size_t i = 0; i < row->count; i++)
        if (row->lengths[i] > 0)
            return false;
    return true;
}

/* libcsv: the end of a row (c is what ended it, -1 at the end of the text). */
static void
s_row_end (int c, void *arg)
{
    s_parse_t *p = arg;
    /* With CSV_REPALL_NL libcsv reports every line end: CR LF is one, as Excel means it. */
    bool second_half = c == '\n' && p->last_end == '\r' && p->row.count == 0;
    p->last_end = c;
    if (second_half)
        return;
    p->number++;
    if (!p->failed && !p->stopped && p->number > TSG_CSV_ROWS_MAX)
        s_fail (p, p->number, "the file has more than 100000 rows");
    if (!p->failed && !p->stopped && p->row.count > 0 && !s_blank (&p->row)) {
        p->row.number = p->number;
        if (!p->fn (p->arg, &p->row))
            p->stopped = true;
    }
    s_clear_row (p);
}

int
tsg_csv_parse (const char *text, size_t len, tsg_csv_row_fn *fn, void *arg,
               tsg_csv_problem_t *problem)
{
    memset (problem, 0, sizeof *problem);
    s_parse_t *p = calloc (1, sizeof *p);
    if (!p)
        return TSG_ERR_NOMEM;
    p->fn = fn;
    p->arg = arg;
    p->problem = problem;
    p->last_end = -2;
    struct csv_parser parser;
    if (csv_init (&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0) {
        free (p);
        return TSG_ERR_NOMEM;
    }
    int rc = TSG_OK;
    for (size_t off = 0; off < len && !p->failed && !p->stopped; off += CSV_CHUNK) {
        size_t n = len - off < CSV_CHUNK ? len - off : CSV_CHUNK;
        if (csv_parse (&parser, text + off, n, s_field, s_row_end, p) != n) {
            int err = csv_error (&parser);
            if (err == CSV_ENOMEM || err == CSV_ETOOBIG)
                p->nomem = true;
            s_fail (p, p->number + 1,
                    err == CSV_EPARSE ? "a quoted field is not closed right (a character "
                                        "after its closing quote)"
                                      : "the row could not be read");
        }
    }
    if (!p->failed && !p->stopped && csv_fini (&parser, s_field, s_row_end, p) != 0) {
        s_fail (p, p->number + 1, "a quoted field is never closed: the file ends inside quotes");
    }
    if (p->failed)
        rc = p->nomem ? TSG_ERR_NOMEM : TSG_ERR_BAD_INPUT;
    s_clear_row (p);
    csv_free (&parser);
    free (p);
    return rc;
}

int
tsg_csv_column (const tsg_csv_row_t *header, const char *name)
{
    size_t want = strlen (name);
    for (size_t i = 0; i < header->count; i++) {
        const char *f = header->fields[i];
        size_t n = header->lengths[i];
        while (n && (*f == ' ' || *f == '\t')) {
            f++;
            n--;
        }
        while (n && (f[n - 1] == ' ' || f[n - 1] == '\t'))
            n--;
        if (n == want && memcmp (f, name, n) == 0)
            return (int) i;
    }
    return -1;
}
