/* mapping.c — the built-in mapping of the standard headers and the mapping file's sections
 * over it (mapping.h). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_agency_types.h"
#include "tsunagu/tsg_text.h"
#include "agency/imports/mapping.h"

#define PATH_STEPS_MAX 5  /* steps of a sheet path */
#define PATH_STEP_MAX  32 /* bytes of one */
#define PATH_INDEX_MAX 31 /* the largest list index */

/* The targets' names, in the order of agency_import_target_t. */
static const char *const s_targets[IMPORT_TARGET_COUNT] = {
    [IMPORT_IGNORE] = "ignore",
    [IMPORT_HOUSEHOLD] = "household",
    [IMPORT_FROM] = "from",
    [IMPORT_TO] = "to",
    [IMPORT_URGENCY] = "urgency",
    [IMPORT_TAGS] = "tags",
    [IMPORT_LEGAL_BASIS] = "legal_basis",
    [IMPORT_CONSENT_ID] = "consent_id",
    [IMPORT_CASE_ID] = "case_id",
    [IMPORT_DATA_CATEGORIES] = "data_categories",
    [IMPORT_CONSENT_METHOD] = "consent.method",
    [IMPORT_CONSENT_PURPOSE] = "consent.purpose",
    [IMPORT_CONSENT_FROM] = "consent.valid_from",
    [IMPORT_CONSENT_UNTIL] = "consent.valid_until",
    [IMPORT_CONSENT_DAYS] = "consent.valid_days",
    [IMPORT_CONSENT_SUBJECT] = "consent.subject",
    [IMPORT_CONSENT_FORM] = "consent.form_sha256",
    [IMPORT_SHEET] = "sheet",
};

/* The standard headers (docs/import.md's first table). */
static const struct {
    const char *header;
    const char *target;
} s_builtin[] = {
    { "世帯ID", "household" },
    { "紹介元", "from" },
    { "紹介先", "to" },
    { "緊急度", "urgency" },
    { "氏名", "sheet.members.0.name" },
    { "フリガナ", "sheet.members.0.kana" },
    { "生年月日", "sheet.members.0.birthdate" },
    { "続柄", "sheet.members.0.relation" },
    { "住所", "sheet.address" },
    { "電話", "sheet.phone" },
    { "課題タグ", "tags" },
    { "概要", "sheet.summary" },
};

const char *
agency_import_target_name (agency_import_target_t target)
{
    return target < IMPORT_TARGET_COUNT ? s_targets[target] : "?";
}

bool
agency_import_name_valid (const char *name)
{
    size_t n = name ? strlen (name) : 0;
    if (n == 0 || n > AGENCY_IMPORT_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!islower ((unsigned char) name[i]) && !isdigit ((unsigned char) name[i])
            && name[i] != '-' && name[i] != '_')
            return false;
    return true;
}

/* True when path is a sheet path: 1..PATH_STEPS_MAX steps of [A-Za-z0-9_], the first not a
 * number, a number (a step that starts with a digit) all digits and not above PATH_INDEX_MAX. */
static bool
s_sheet_path (const char *path)
{
    size_t steps = 0;
    const char *p = path;
    while (true) {
        const char *dot = strchr (p, '.');
        size_t n = dot ? (size_t) (dot - p) : strlen (p);
        if (n == 0 || n > PATH_STEP_MAX || ++steps > PATH_STEPS_MAX)
            return false;
        bool digits = true;
        for (size_t i = 0; i < n; i++) {
            if (!isalnum ((unsigned char) p[i]) && p[i] != '_')
                return false;
            digits = digits && isdigit ((unsigned char) p[i]);
        }
        if (digits && (steps == 1 || n > 2 || atoi (p) > PATH_INDEX_MAX))
            return false;
        if (!digits && isdigit ((unsigned char) p[0])) /* the rows read it as an index */
            return false;
        if (!dot)
            return true;
        p = dot + 1;
    }
}

/* How a sheet path's cells are read by default: an intake field of a type's policy that is
 * an integer as an integer, a date of birth or a *_date as a date. */
static agency_import_as_t
s_sheet_as (const char *path)
{
    size_t count = 0;
    const tsg_agency_policy_t *table = tsg_agency_policy_table (&count);
    for (size_t t = 0; t < count; t++)
        for (size_t i = 0; table[t].intake && table[t].intake[i].path; i++)
            if (strcmp (table[t].intake[i].path, path) == 0
                && table[t].intake[i].kind == TSG_INTAKE_INTEGER)
                return IMPORT_AS_INTEGER;
    size_t n = strlen (path);
    if ((n >= 9 && strcmp (path + n - 9, "birthdate") == 0)
        || (n >= 5 && strcmp (path + n - 5, "_date") == 0))
        return IMPORT_AS_DATE;
    return IMPORT_AS_TEXT;
}

/* Parses "target" or "target | date|integer|text" into place; NULL or the problem. */
static const char *
s_place (char *text, agency_import_place_t *place)
{
    memset (place, 0, sizeof *place);
    char *bar = strchr (text, '|');
    char *as = NULL;
    if (bar) {
        *bar = '\0';
        as = bar + 1;
        while (isspace ((unsigned char) *as))
            as++;
        for (char *end = as + strlen (as); end > as && isspace ((unsigned char) end[-1]);)
            *--end = '\0';
    }
    for (char *end = text + strlen (text); end > text && isspace ((unsigned char) end[-1]);)
        *--end = '\0';
    if (strncmp (text, "sheet.", 6) == 0) {
        if (!s_sheet_path (text + 6))
            return "a sheet path is sheet.NAME[.NAME...] of [A-Za-z0-9_] (a number "
                   "indexes a list: sheet.members.0.name)";
        place->target = IMPORT_SHEET;
        place->path = strdup (text + 6);
        place->as = s_sheet_as (text + 6);
    }
    else {
        int found = -1;
        for (int t = 0; t < IMPORT_TARGET_COUNT && found < 0; t++)
            if (t != IMPORT_SHEET && strcmp (s_targets[t], text) == 0)
                found = t;
        if (found < 0)
            return "unknown target (see docs/import.md: household, from, to, urgency, tags, "
                   "legal_basis, consent_id, case_id, data_categories, consent.*, sheet.PATH, "
                   "ignore)";
        place->target = (agency_import_target_t) found;
        place->as = found == IMPORT_CONSENT_FROM || found == IMPORT_CONSENT_UNTIL ? IMPORT_AS_DATE
                    : found == IMPORT_CONSENT_DAYS ? IMPORT_AS_INTEGER
                                                   : IMPORT_AS_TEXT;
    }
    if (as) {
        if (strcmp (as, "date") == 0)
            place->as = IMPORT_AS_DATE;
        else if (strcmp (as, "integer") == 0)
            place->as = IMPORT_AS_INTEGER;
        else if (strcmp (as, "text") == 0)
            place->as = IMPORT_AS_TEXT;
        else {
            free (place->path);
            place->path = NULL;
            return "after '|' comes date, integer or text";
        }
    }
    return NULL;
}

static bool
s_same_place (const agency_import_place_t *a, const agency_import_place_t *b)
{
    if (a->target != b->target)
        return false;
    return a->target != IMPORT_SHEET || strcmp (a->path, b->path) == 0;
}

/* Appends one item to a growing array of elements of size bytes; false when memory runs out
 * or there are AGENCY_IMPORT_ITEMS_MAX already. */
static bool
s_grow (void **items, size_t *count, size_t size)
{
    if (*count >= AGENCY_IMPORT_ITEMS_MAX)
        return false;
    void *more = realloc (*items, (*count + 1) * size);
    if (!more)
        return false;
    memset ((char *) more + *count * size, 0, size);
    *items = more;
    (*count)++;
    return true;
}

/* Adds (or replaces) the column header → place. */
static bool
s_add_column (agency_import_mapping_t *self, const char *header, agency_import_place_t *place,
              bool builtin)
{
    for (size_t i = 0; i < self->column_count; i++)
        if (strcmp (self->columns[i].header, header) == 0) {
            free (self->columns[i].place.path);
            self->columns[i].place = *place;
            self->columns[i].builtin = builtin;
            return true;
        }
    if (!s_grow ((void **) &self->columns, &self->column_count, sizeof *self->columns))
        return false;
    agency_import_column_t *column = &self->columns[self->column_count - 1];
    column->header = strdup (header);
    column->place = *place;
    column->builtin = builtin;
    return column->header != NULL;
}

/* Adds target = text to a list of values (a target given twice: the last one). */
static bool
s_add_value (agency_import_value_t **values, size_t *count, agency_import_place_t *place,
             const char *text)
{
    for (size_t i = 0; i < *count; i++)
        if (s_same_place (&(*values)[i].place, place)) {
            free ((*values)[i].place.path);
            free ((*values)[i].text);
            (*values)[i].place = *place;
            (*values)[i].text = strdup (text);
            return (*values)[i].text != NULL;
        }
    if (!s_grow ((void **) values, count, sizeof **values))
        return false;
    (*values)[*count - 1].place = *place;
    (*values)[*count - 1].text = strdup (text);
    return (*values)[*count - 1].text != NULL;
}

static int
s_fail (char *why, size_t size, size_t line, const char *fmt, ...)
{
    char text[200];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    if (line)
        snprintf (why, size, "line %zu: %s", line, text);
    else
        snprintf (why, size, "%s", text);
    return -1;
}

/* The section a "[...]" line opens: 0 columns, 1 defaults, 2 a row (its key in *key), or -1. */
static int
s_section (char *line, char **key)
{
    size_t n = strlen (line);
    if (n < 2 || line[n - 1] != ']')
        return -1;
    line[n - 1] = '\0';
    char *name = line + 1;
    if (strcmp (name, "columns") == 0)
        return 0;
    if (strcmp (name, "defaults") == 0)
        return 1;
    if (strncmp (name, "row ", 4) == 0) {
        *key = name + 4;
        while (**key == ' ')
            (*key)++;
        for (char *end = *key + strlen (*key); end > *key && end[-1] == ' ';)
            *--end = '\0';
        return **key ? 2 : -1;
    }
    return -1;
}

/* One "key = value" line of section into self.  NULL or the problem. */
static const char *
s_line (agency_import_mapping_t *self, int section, char *left, char *right)
{
    agency_import_place_t place;
    const char *problem = s_place (section == 0 ? right : left, &place);
    if (problem)
        return problem;
    bool ok;
    if (section == 0)
        ok = s_add_column (self, left, &place, false);
    else if (section == 1)
        ok = s_add_value (&self->defaults, &self->default_count, &place, right);
    else {
        agency_import_row_t *row = &self->rows[self->row_count - 1];
        ok = s_add_value (&row->values, &row->count, &place, right);
    }
    if (!ok) {
        free (place.path);
        return "too many lines, or out of memory";
    }
    return NULL;
}

/* Trims spaces at both ends of text, in place. */
static char *
s_trim (char *text)
{
    while (isspace ((unsigned char) *text))
        text++;
    for (char *end = text + strlen (text); end > text && isspace ((unsigned char) end[-1]);)
        *--end = '\0';
    return text;
}

/* Parses the file's lines into self; 0 or -1 with why. */
static int
s_file (agency_import_mapping_t *self, char *text, char *why, size_t why_size)
{
    int section = -1;
    size_t number = 0;
    for (char *next = text; next;) {
        char *line = next;
        next = strchr (line, '\n');
        if (next)
            *next++ = '\0';
        number++;
        for (const unsigned char *p = (const unsigned char *) line; *p;) {
            uint32_t cp;
            size_t n = tsg_utf8_decode (p, &cp);
            if (n == 0)
                return s_fail (why, why_size, number, "not UTF-8: save the file as UTF-8");
            p += n;
        }
        char *hash = strchr (line, '#');
        if (hash)
            *hash = '\0';
        line = s_trim (line);
        if (!*line)
            continue;
        if (*line == '[') {
            char *key = NULL;
            section = s_section (line, &key);
            if (section < 0)
                return s_fail (why, why_size, number,
                               "a section is [columns], [defaults] or [row HOUSEHOLD]");
            if (section == 2) {
                if (!s_grow ((void **) &self->rows, &self->row_count, sizeof *self->rows)
                    || !(self->rows[self->row_count - 1].household = strdup (key)))
                    return s_fail (why, why_size, number, "too many rows, or out of memory");
            }
            continue;
        }
        char *eq = strchr (line, '=');
        if (!eq)
            return s_fail (why, why_size, number, "expected KEY = VALUE");
        if (section < 0)
            return s_fail (why, why_size, number, "a value before any [section]");
        *eq = '\0';
        char *left = s_trim (line), *right = s_trim (eq + 1);
        if (!*left || !*right)
            return s_fail (why, why_size, number, "both sides of '=' must hold something");
        const char *problem = s_line (self, section, left, right);
        if (problem)
            return s_fail (why, why_size, number, "%s", problem);
    }
    return 0;
}

int
agency_import_mapping_parse (const char *name, const char *text, size_t len,
                             agency_import_mapping_t *out, char *why, size_t why_size)
{
    memset (out, 0, sizeof *out);
    why[0] = '\0';
    for (size_t i = 0; i < sizeof s_builtin / sizeof s_builtin[0]; i++) {
        agency_import_place_t place;
        char target[64];
        snprintf (target, sizeof target, "%s", s_builtin[i].target);
        if (s_place (target, &place) || !s_add_column (out, s_builtin[i].header, &place, true)) {
            agency_import_mapping_clear (out);
            return s_fail (why, why_size, 0, "out of memory");
        }
    }
    if (name && !(out->name = strdup (name))) {
        agency_import_mapping_clear (out);
        return s_fail (why, why_size, 0, "out of memory");
    }
    if (!text)
        return 0;
    if (len > AGENCY_IMPORT_MAPPING_MAX || memchr (text, '\0', len)) {
        agency_import_mapping_clear (out);
        return s_fail (why, why_size, 0, "a mapping file is text of at most 64 KiB");
    }
    if (len >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0) /* Notepad's byte order mark */
        text += 3, len -= 3;
    char *copy = strndup (text, len);
    int rc = copy ? s_file (out, copy, why, why_size) : s_fail (why, why_size, 0, "out of memory");
    free (copy);
    if (rc != 0)
        agency_import_mapping_clear (out);
    return rc;
}

int
agency_import_mapping_load (const char *dir, const char *name, agency_import_mapping_t *out,
                            char *why, size_t why_size)
{
    memset (out, 0, sizeof *out);
    if (!agency_import_name_valid (name) || !dir)
        return 1;
    char path[4096];
    snprintf (path, sizeof path, "%s/%s.conf", dir, name);
    FILE *file = fopen (path, "rb");
    if (!file) {
        if (errno == ENOENT)
            return 1;
        return s_fail (why, why_size, 0, "cannot read %s: %s", path, strerror (errno));
    }
    char *text = malloc (AGENCY_IMPORT_MAPPING_MAX + 1);
    size_t len = text ? fread (text, 1, AGENCY_IMPORT_MAPPING_MAX + 1, file) : 0;
    bool failed = !text || ferror (file);
    fclose (file);
    if (failed) {
        free (text);
        return s_fail (why, why_size, 0, "cannot read %s", path);
    }
    char inner[200];
    int rc = agency_import_mapping_parse (name, text, len, out, inner, sizeof inner);
    free (text);
    if (rc != 0)
        snprintf (why, why_size, "%s.conf: %s", name, inner);
    return rc;
}

static void
s_values_clear (agency_import_value_t *values, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free (values[i].place.path);
        free (values[i].text);
    }
    free (values);
}

void
agency_import_mapping_clear (agency_import_mapping_t *self)
{
    if (!self)
        return;
    for (size_t i = 0; i < self->column_count; i++) {
        free (self->columns[i].header);
        free (self->columns[i].place.path);
    }
    free (self->columns);
    s_values_clear (self->defaults, self->default_count);
    for (size_t i = 0; i < self->row_count; i++) {
        free (self->rows[i].household);
        s_values_clear (self->rows[i].values, self->rows[i].count);
    }
    free (self->rows);
    free (self->name);
    memset (self, 0, sizeof *self);
}

const agency_import_column_t *
agency_import_column_for (const agency_import_mapping_t *self, agency_import_target_t target,
                          const char *path)
{
    for (size_t i = 0; i < self->column_count; i++) {
        const agency_import_place_t *p = &self->columns[i].place;
        if (p->target == target
            && (target != IMPORT_SHEET || (path && p->path && strcmp (p->path, path) == 0)))
            return &self->columns[i];
    }
    return NULL;
}
