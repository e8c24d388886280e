/* template.c — the spreadsheet to fill in for an import: the header row of a mapping, the
 * way Excel opens it (import.h). */
#include <stdio.h>
#include <stdlib.h>

#include "tsunagu/tsg_csv_write.h"
#include "agency/imports/import.h"
#include "agency/imports/mapping.h"
#include "agency/records/json.h"

int
agency_import_template (const char *mappings_dir, const char *mapping, bool cp932, char **csv,
                        size_t *len, json_t **error)
{
    agency_import_mapping_t m;
    char why[300] = "";
    int rc = mapping ? agency_import_mapping_load (mappings_dir, mapping, &m, why, sizeof why)
                     : agency_import_mapping_parse (NULL, NULL, 0, &m, why, sizeof why);
    if (rc == 1) {
        *error = agency_json_error ("no_such_mapping", "no mapping of this name", NULL);
        return 404;
    }
    if (rc != 0) {
        *error = agency_json_error ("invalid_mapping", why, NULL);
        return 400;
    }
    FILE *out = open_memstream (csv, len);
    tsg_csv_t *w = out ? tsg_csv_new (out, cp932 ? TSG_CSV_CP932 : TSG_CSV_UTF8_BOM, 0) : NULL;
    for (size_t i = 0; w && i < m.column_count; i++)
        if (m.columns[i].place.target != IMPORT_IGNORE)
            tsg_csv_field (w, m.columns[i].header);
    if (w)
        tsg_csv_end_row (w);
    bool ok = w && tsg_csv_destroy (&w);
    if (out)
        fclose (out);
    agency_import_mapping_clear (&m);
    if (!ok) {
        free (*csv);
        *csv = NULL;
        *error = agency_json_error ("internal", "the template could not be written", NULL);
        return 500;
    }
    return 200;
}
