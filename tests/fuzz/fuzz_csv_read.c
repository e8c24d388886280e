/* fuzz_csv_read.c — any bytes as a spreadsheet (tsg_csv_read.h): decoding either refuses with a
 * sentence or gives NUL-free UTF-8 text and says which encoding; parsing never crashes or reads
 * past the text, hands over rows in increasing row numbers within the limits, each field valid
 * UTF-8 of the length it says, and a refusal names a row and why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_csv_read.h"
#include "tsunagu/tsg_text.h"
#include "tsunagu/tsunagu.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* What the rows must keep to. */
typedef struct {
    size_t last; /* the last row number seen */
} s_state_t;

/* True when text[0..len) is UTF-8 (empty counts). */
static bool
s_utf8 (const char *text, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = tsg_utf8_decode ((const unsigned char *) text + i, &cp);
        if (n == 0 || i + n > len)
            return false;
        i += n;
    }
    return true;
}

static bool
s_row (void *arg, const tsg_csv_row_t *row)
{
    s_state_t *s = arg;
    if (row->number <= s->last || row->count == 0 || row->count > TSG_CSV_FIELDS_MAX)
        abort ();
    s->last = row->number;
    for (size_t i = 0; i < row->count; i++) {
        if (row->lengths[i] > TSG_CSV_FIELD_MAX || strlen (row->fields[i]) != row->lengths[i])
            abort ();
        if (!s_utf8 (row->fields[i], row->lengths[i]))
            abort ();
    }
    return true;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    tsg_csv_text_t text;
    char why[160];
    int rc = tsg_csv_decode (data, size, &text, why, sizeof why);
    if (rc != TSG_OK) {
        if (text.data || (rc == TSG_ERR_BAD_INPUT && why[0] == '\0'))
            abort ();
        return 0;
    }
    if (!text.data || strlen (text.data) != text.len || !s_utf8 (text.data, text.len))
        abort ();
    if (text.encoding != TSG_CSV_UTF8 && text.encoding != TSG_CSV_UTF8_BOM
        && text.encoding != TSG_CSV_CP932)
        abort ();
    s_state_t state = { 0 };
    tsg_csv_problem_t problem;
    rc = tsg_csv_parse (text.data, text.len, s_row, &state, &problem);
    if (rc == TSG_ERR_BAD_INPUT && (problem.row == 0 || problem.why[0] == '\0'))
        abort ();
    if (rc == TSG_OK && problem.why[0] != '\0')
        abort ();
    tsg_csv_text_free (&text);
    return 0;
}
