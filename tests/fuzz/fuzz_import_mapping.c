/* fuzz_import_mapping.c — any bytes as a mapping file and a spreadsheet (agency/imports): the
 * input is split at its first NUL or "\n---\n" into the mapping's text and the file's bytes; the
 * mapping either parses or is refused with its line, leaving nothing behind; the file is decoded
 * and parsed, its header read against the mapping and every row planned into its requests, as
 * POST /v1/imports/referrals does before it sends anything.  Nothing may crash, leak or read
 * past its input; every plan names its row, its key is household/to, its referral is an object
 * with a client_ref "import:..." and every problem names a row or none and says what is wrong. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_csv_read.h"
#include "agency/imports/mapping.h"
#include "agency/imports/rows.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define SEPARATOR "\n---\n"

/* The import's state while the rows come. */
typedef struct {
    const agency_import_mapping_t *mapping;
    agency_import_header_t header;
    agency_import_self_t self;
    bool have_header;
    json_t *problems;
    json_t *warnings;
    size_t rows; /* data rows planned */
} s_state_t;

/* A plan must keep to what the import relies on. */
static void
s_check_plan (const agency_import_plan_t *plan, const tsg_csv_row_t *row)
{
    if (plan->row != row->number || !memchr (plan->key, '\0', sizeof plan->key)
        || !memchr (plan->client_ref, '\0', sizeof plan->client_ref)
        || !memchr (plan->skip, '\0', sizeof plan->skip))
        abort ();
    if (!plan->referral) /* only when memory ran out */
        return;
    if (!json_is_object (plan->referral) || strncmp (plan->client_ref, "import:", 7) != 0)
        abort ();
    if (!json_is_object (json_object_get (plan->referral, "sheet"))
        || !json_is_array (json_object_get (plan->referral, "data_categories")))
        abort ();
    if (plan->consent && !json_is_object (plan->consent))
        abort ();
    /* The requests are what the pipeline is handed: they must serialize. */
    char *text = json_dumps (plan->referral, JSON_COMPACT);
    free (text);
    if (plan->consent) {
        text = json_dumps (plan->consent, JSON_COMPACT);
        free (text);
    }
}

static bool
s_row (void *arg, const tsg_csv_row_t *row)
{
    s_state_t *s = arg;
    if (!s->have_header) {
        s->have_header = true;
        return agency_import_header_read (s->mapping, row, &s->header, s->problems, s->warnings)
               == 0;
    }
    agency_import_plan_t plan;
    agency_import_row_plan (&s->header, row, &s->self, &plan, s->problems);
    s_check_plan (&plan, row);
    agency_import_plan_clear (&plan);
    if (plan.referral || plan.consent) /* clear leaves nothing */
        abort ();
    s->rows++;
    return s->rows < 2000; /* enough for any input the fuzzer makes */
}

/* Every problem is {row, column, field, problem} with a sentence. */
static void
s_check_problems (const json_t *problems)
{
    size_t i;
    json_t *p;
    json_array_foreach (problems, i, p)
    {
        const char *text = json_string_value (json_object_get (p, "problem"));
        json_t *row = json_object_get (p, "row");
        if (!text || !*text || !(json_is_null (row) || json_integer_value (row) > 0))
            abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    /* The mapping's text ends at the first NUL or separator; the file is what follows. */
    size_t cut = size, skip = 0;
    const uint8_t *nul = memchr (data, '\0', size);
    if (nul)
        cut = (size_t) (nul - data), skip = 1;
    const uint8_t *sep = memmem (data, cut, SEPARATOR, strlen (SEPARATOR));
    if (sep)
        cut = (size_t) (sep - data), skip = strlen (SEPARATOR);
    const char *mapping_text = (const char *) data;
    const uint8_t *file = data + cut + skip;
    size_t file_len = size - cut - skip;

    agency_import_mapping_t mapping;
    char why[300];
    memset (why, 'x', sizeof why);
    /* An empty mapping part is the built-in mapping alone (no ?mapping=). */
    int rc = agency_import_mapping_parse (cut ? "fuzz" : NULL, cut ? mapping_text : NULL, cut,
                                          &mapping, why, sizeof why);
    if (!memchr (why, '\0', sizeof why))
        abort ();
    if (rc != 0) {
        if (rc != -1 || why[0] == '\0' || mapping.columns || mapping.defaults || mapping.rows
            || mapping.name || mapping.column_count || mapping.default_count || mapping.row_count)
            abort ();
        /* A refused mapping: the import stops there.  Read the file through the built-in one. */
        if (agency_import_mapping_parse (NULL, NULL, 0, &mapping, why, sizeof why) != 0)
            abort ();
    }
    else if (mapping.column_count < 12) /* a file replaces standard columns, never drops one */
        abort ();

    tsg_csv_text_t text;
    if (file_len && tsg_csv_decode (file, file_len, &text, why, sizeof why) == TSG_OK) {
        s_state_t state = { .mapping = &mapping,
                            .self = { .type = "eldercare", .id = "tsunagu-eldercare" },
                            .problems = json_array (),
                            .warnings = json_array () };
        memcpy (state.self.today, "2026-12-03", 11);
        tsg_csv_problem_t problem;
        (void) tsg_csv_parse (text.data, text.len, s_row, &state, &problem);
        s_check_problems (state.problems);
        agency_import_header_clear (&state.header);
        json_decref (state.problems);
        json_decref (state.warnings);
        tsg_csv_text_free (&text);
    }
    agency_import_mapping_clear (&mapping);
    return 0;
}
