/* rows.c — one spreadsheet row through the mapping into its requests (rows.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_agency_types.h"
#include "agency/imports/cells.h"
#include "agency/imports/rows.h"

/* The categories of personal data, in the order the requests list them. */
static const char *const s_categories[] = { "identity", "health",   "disability", "finances",
                                            "family",   "children", "free-text",  NULL };

void
agency_import_problem (json_t *problems, size_t row, const char *column, const char *field,
                       const char *problem)
{
    json_t *item = json_object ();
    json_object_set_new (item, "row", row ? json_integer ((json_int_t) row) : json_null ());
    json_object_set_new (item, "column", column ? json_string (column) : json_null ());
    json_object_set_new (item, "field", field ? json_string (field) : json_null ());
    json_object_set_new (item, "problem", json_string (problem));
    json_array_append_new (problems, item);
}

int
agency_import_header_read (const agency_import_mapping_t *mapping, const tsg_csv_row_t *header,
                           agency_import_header_t *out, json_t *problems, json_t *warnings)
{
    out->mapping = mapping;
    out->field = calloc (mapping->column_count ? mapping->column_count : 1, sizeof *out->field);
    if (!out->field) {
        agency_import_problem (problems, 0, NULL, NULL, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < mapping->column_count; i++)
        out->field[i] = tsg_csv_column (header, mapping->columns[i].header);
    for (size_t f = 0; f < header->count; f++) {
        bool mapped = false;
        for (size_t i = 0; i < mapping->column_count && !mapped; i++)
            mapped = out->field[i] == (int) f;
        if (!mapped && header->lengths[f] > 0)
            json_array_append_new (warnings,
                                   json_pack ("{s:s, s:s}", "column", header->fields[f], "problem",
                                              "not mapped: its cells are not sent"));
    }
    int rc = 0;
    static const agency_import_target_t needed[] = { IMPORT_HOUSEHOLD, IMPORT_TO };
    for (size_t n = 0; n < 2; n++) {
        const agency_import_column_t *column = agency_import_column_for (mapping, needed[n], NULL);
        bool found = false;
        for (size_t i = 0; i < mapping->column_count; i++)
            found = found || (mapping->columns[i].place.target == needed[n] && out->field[i] >= 0);
        for (size_t i = 0; i < mapping->default_count; i++) /* a default stands for the column */
            found = found || mapping->defaults[i].place.target == needed[n];
        if (!found) {
            char why[200];
            snprintf (why, sizeof why, "the file has no column %s (%s): every row needs one",
                      column ? column->header : "?", agency_import_target_name (needed[n]));
            agency_import_problem (problems, 1, column ? column->header : NULL,
                                   agency_import_target_name (needed[n]), why);
            rc = -1;
        }
    }
    return rc;
}

void
agency_import_header_clear (agency_import_header_t *self)
{
    free (self->field);
    self->field = NULL;
}

/* Where a value came from, for the problems. */
typedef struct {
    const char *text;   /* the text, or NULL */
    const char *column; /* the column's header, or NULL when the mapping gave it */
} s_value_t;

/* The values of one row by target (the sheet's are put straight into it). */
typedef struct {
    s_value_t by[IMPORT_TARGET_COUNT];
    json_t *sheet;
    size_t row;
    json_t *problems;
    bool ok;
} s_row_t;

static void
s_problem (s_row_t *r, const char *column, const char *field, const char *problem)
{
    agency_import_problem (r->problems, r->row, column, field, problem);
    r->ok = false;
}

/* Sets sheet.path = value, making the objects and lists on the way. */
static void
s_sheet_set (json_t *sheet, const char *path, json_t *value)
{
    json_t *at = sheet;
    char step[40];
    const char *p = path;
    while (true) {
        const char *dot = strchr (p, '.');
        size_t n = dot ? (size_t) (dot - p) : strlen (p);
        snprintf (step, sizeof step, "%.*s", (int) n, p);
        const char *next = dot ? dot + 1 : NULL;
        bool next_index = next && next[0] >= '0' && next[0] <= '9';
        json_t *child = NULL;
        if (json_is_array (at)) {
            size_t index = (size_t) atoi (step);
            while (json_array_size (at) <= index)
                json_array_append_new (at, json_object ());
            if (!next) {
                json_array_set_new (at, index, value);
                return;
            }
            child = json_array_get (at, index);
            if (next_index ? !json_is_array (child) : !json_is_object (child)) {
                child = next_index ? json_array () : json_object ();
                json_array_set_new (at, index, child);
            }
        }
        else {
            if (!next) {
                json_object_set_new (at, step, value);
                return;
            }
            child = json_object_get (at, step);
            if (next_index ? !json_is_array (child) : !json_is_object (child)) {
                child = next_index ? json_array () : json_object ();
                json_object_set_new (at, step, child);
            }
        }
        at = child;
        p = next;
    }
}

/* One value for its place: the sheet's converted into it, the others kept by target. */
static void
s_take (s_row_t *r, const agency_import_place_t *place, const char *text, const char *column)
{
    if (place->target == IMPORT_IGNORE || !text || !*text)
        return;
    if (place->target != IMPORT_SHEET) {
        r->by[place->target] = (s_value_t){ text, column };
        return;
    }
    char field[192], why[160]; /* "sheet." and a path of 5 steps of 32 bytes */
    snprintf (field, sizeof field, "sheet.%s", place->path);
    json_t *value = NULL;
    if (place->as == IMPORT_AS_DATE) {
        char date[11];
        if (!agency_cell_date (text, date, why, sizeof why)) {
            s_problem (r, column, field, why);
            return;
        }
        value = json_string (date);
    }
    else if (place->as == IMPORT_AS_INTEGER) {
        long number;
        if (!agency_cell_integer (text, &number, why, sizeof why)) {
            s_problem (r, column, field, why);
            return;
        }
        value = json_integer (number);
    }
    else
        value = json_string (text);
    if (!value) {
        s_problem (r, column, field, "not UTF-8 text");
        return;
    }
    s_sheet_set (r->sheet, place->path, value);
}

/* The cell of mapping column i in row, trimmed into buf, or NULL when empty or absent. */
static const char *
s_cell (const agency_import_header_t *h, const tsg_csv_row_t *row, size_t i, char **buf)
{
    int f = h->field[i];
    if (f < 0 || (size_t) f >= row->count)
        return NULL;
    const char *text = row->fields[f];
    size_t n = row->lengths[f];
    while (n > 0 && (*text == ' ' || *text == '\t'))
        text++, n--;
    while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\r'))
        n--;
    if (n == 0)
        return NULL;
    *buf = strndup (text, n);
    return *buf;
}

/* Every value of the row: the defaults, then its [row] section, then its cells (each over
 * the one before).  The cells' copies are kept in owned (freed by the caller). */
static void
s_gather (const agency_import_header_t *h, const tsg_csv_row_t *row, s_row_t *r, char **owned)
{
    const agency_import_mapping_t *m = h->mapping;
    for (size_t i = 0; i < m->default_count; i++)
        s_take (r, &m->defaults[i].place, m->defaults[i].text, NULL);
    const char *household = NULL;
    for (size_t i = 0; i < m->column_count; i++)
        if (m->columns[i].place.target == IMPORT_HOUSEHOLD && !household)
            household = s_cell (h, row, i, &owned[i]);
    if (!household)
        household = r->by[IMPORT_HOUSEHOLD].text;
    for (size_t s = 0; household && s < m->row_count; s++)
        if (strcmp (m->rows[s].household, household) == 0)
            for (size_t i = 0; i < m->rows[s].count; i++)
                s_take (r, &m->rows[s].values[i].place, m->rows[s].values[i].text, NULL);
    for (size_t i = 0; i < m->column_count; i++) {
        const char *text = owned[i] ? owned[i] : s_cell (h, row, i, &owned[i]);
        s_take (r, &m->columns[i].place, text, m->columns[i].header);
    }
}

/* The categories of personal data the filled sheet holds, by its top-level members. */
static json_t *
s_auto_categories (const json_t *sheet)
{
    bool has[7] = { false };
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) sheet, key, value)
    {
        if (strcmp (key, "eldercare") == 0)
            has[1] = true;
        else if (strcmp (key, "disability") == 0)
            has[2] = true;
        else if (strcmp (key, "poverty") == 0)
            has[3] = true;
        else if (strcmp (key, "family") == 0)
            has[4] = true;
        else if (strcmp (key, "child") == 0)
            has[5] = true;
        else if (strcmp (key, "summary") == 0 || strcmp (key, "note") == 0)
            has[6] = true;
        else
            has[0] = true; /* members, household_id, address, phone ... */
    }
    json_t *list = json_array ();
    for (size_t i = 0; s_categories[i]; i++)
        if (has[i])
            json_array_append_new (list, json_string (s_categories[i]));
    return list;
}

/* Sets a string member of request from the value of target, when there is one. */
static void
s_member (json_t *request, const char *name, const s_value_t *value)
{
    if (value->text)
        json_object_set_new (request, name, json_string (value->text));
}

/* The recipient: to_type for a type's name, to for an agency id. */
static void
s_recipient (s_row_t *r, agency_import_plan_t *plan, json_t *referral)
{
    const s_value_t *to = &r->by[IMPORT_TO];
    if (!to->text) {
        s_problem (r, to->column, "to", "required: the agency type or the agency it goes to");
        return;
    }
    snprintf (plan->to, sizeof plan->to, "%s", to->text);
    if (tsg_agency_policy_find (to->text))
        json_object_set_new (referral, "to_type", json_string (to->text));
    else if (tsg_agency_id_valid (to->text))
        json_object_set_new (referral, "to", json_string (to->text));
    else
        s_problem (r, to->column, "to",
                   "not an agency type (eldercare, disability, child, poverty) nor an agency id");
}

/* The words of a closed list (urgency, legal basis) read into request's member name. */
static void
s_word (s_row_t *r, json_t *request, const char *name, agency_import_target_t target,
        const char *(*read) (const char *), const char *expected)
{
    const s_value_t *value = &r->by[target];
    if (!value->text)
        return;
    const char *wire = read (value->text);
    if (wire)
        json_object_set_new (request, name, json_string (wire));
    else
        s_problem (r, value->column, name, expected);
}

/* The consent the import registers for the row: with legal basis consent, no consent id and
 * a consent method given. */
static json_t *
s_consent (s_row_t *r, const json_t *referral, const char *household)
{
    const char *basis = json_string_value (json_object_get (referral, "legal_basis"));
    if (!basis || strcmp (basis, "consent") != 0 || json_object_get (referral, "consent_id")
        || !r->by[IMPORT_CONSENT_METHOD].text)
        return NULL;
    json_t *consent = json_object ();
    char subject[80], why[160];
    snprintf (subject, sizeof subject, "%s-1", household ? household : "");
    json_object_set_new (consent, "subject",
                         json_string (r->by[IMPORT_CONSENT_SUBJECT].text
                                          ? r->by[IMPORT_CONSENT_SUBJECT].text
                                          : subject));
    const json_t *to_type = json_object_get (referral, "to_type");
    json_object_set_new (consent, to_type ? "cover_types" : "cover_agencies",
                         json_pack ("[O]", to_type ? to_type : json_object_get (referral, "to")));
    json_object_set (consent, "categories", json_object_get (referral, "data_categories"));
    json_object_set_new (consent, "purpose",
                         json_string (r->by[IMPORT_CONSENT_PURPOSE].text
                                          ? r->by[IMPORT_CONSENT_PURPOSE].text
                                          : "referral"));
    s_member (consent, "method", &r->by[IMPORT_CONSENT_METHOD]);
    s_member (consent, "case_id", &r->by[IMPORT_CASE_ID]);
    s_member (consent, "form_sha256", &r->by[IMPORT_CONSENT_FORM]);
    static const agency_import_target_t dates[] = { IMPORT_CONSENT_FROM, IMPORT_CONSENT_UNTIL };
    static const char *const names[] = { "valid_from", "valid_until" };
    for (size_t i = 0; i < 2; i++) {
        const s_value_t *value = &r->by[dates[i]];
        char date[11];
        if (!value->text)
            continue;
        if (agency_cell_date (value->text, date, why, sizeof why))
            json_object_set_new (consent, names[i], json_string (date));
        else
            s_problem (r, value->column, agency_import_target_name (dates[i]), why);
    }
    const s_value_t *days = &r->by[IMPORT_CONSENT_DAYS];
    if (!json_object_get (consent, "valid_until") && days->text) {
        long n;
        char until[11];
        if (agency_cell_integer (days->text, &n, why, sizeof why) && n >= 1 && n <= 3660) {
            tsg_date_jst_plus_days (tsg_now_ms (), (int) n, until);
            json_object_set_new (consent, "valid_until", json_string (until));
        }
        else
            s_problem (r, days->column, "consent.valid_days",
                       "must be a number of days, 1 to 3660");
    }
    return consent;
}

/* The row key and the referral's client_ref made from it: "import:KEY" when that is short
 * and plain, else "import:" and 32 hex digits of its BLAKE2b. */
static void
s_key (agency_import_plan_t *plan, const char *household)
{
    snprintf (plan->key, sizeof plan->key, "%s/%s", household, plan->to);
    int n = snprintf (plan->client_ref, sizeof plan->client_ref, "import:%s", plan->key);
    bool plain = n > 0 && (size_t) n < sizeof plan->client_ref;
    for (const char *p = plan->key; plain && *p; p++)
        plain = (unsigned char) *p >= 0x20 && *p != 0x7f;
    if (plain)
        return;
    uint8_t hash[16];
    crypto_generichash (hash, sizeof hash, (const uint8_t *) plan->key, strlen (plan->key), NULL,
                        0);
    char hex[33];
    sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
    snprintf (plan->client_ref, sizeof plan->client_ref, "import:%s", hex);
}

/* Whether the row is another agency's to send: its 紹介元 names another type or agency. */
static void
s_sender (s_row_t *r, const agency_import_self_t *self, agency_import_plan_t *plan)
{
    const s_value_t *from = &r->by[IMPORT_FROM];
    if (!from->text || strcmp (from->text, self->type) == 0 || strcmp (from->text, self->id) == 0)
        return;
    if (!tsg_agency_policy_find (from->text) && !tsg_agency_id_valid (from->text)) {
        s_problem (r, from->column, "from",
                   "not an agency type (eldercare, disability, child, poverty) nor an agency id");
        return;
    }
    snprintf (plan->skip, sizeof plan->skip, "sent by %s, not by this agency (%s)", from->text,
              self->id);
}

void
agency_import_row_plan (const agency_import_header_t *h, const tsg_csv_row_t *row,
                        const agency_import_self_t *self, agency_import_plan_t *plan,
                        json_t *problems)
{
    memset (plan, 0, sizeof *plan);
    plan->row = row->number;
    size_t problems_before = json_array_size (problems);
    s_row_t r = { .sheet = json_object (), .row = row->number, .problems = problems, .ok = true };
    char **owned = calloc (h->mapping->column_count + 1, sizeof *owned);
    if (!owned || !r.sheet) {
        agency_import_problem (problems, row->number, NULL, NULL, "out of memory");
        free (owned);
        json_decref (r.sheet);
        return;
    }
    s_gather (h, row, &r, owned);
    s_sender (&r, self, plan);
    const s_value_t *household = &r.by[IMPORT_HOUSEHOLD];
    json_t *referral = json_object ();
    if (!household->text)
        s_problem (&r, household->column, "household", "required: the household's id (世帯ID)");
    else
        json_object_set_new (r.sheet, "household_id", json_string (household->text));
    s_recipient (&r, plan, referral);
    if (household->text && strlen (household->text) + 1 + strlen (plan->to) >= sizeof plan->key)
        s_problem (&r, household->column, "household",
                   "too long: the household's id and the recipient make the row key, at most "
                   "158 bytes");
    s_word (&r, referral, "urgency", IMPORT_URGENCY, agency_cell_urgency,
            "must be normal, high or emergency (通常, 至急, 緊急)");
    s_word (&r, referral, "legal_basis", IMPORT_LEGAL_BASIS, agency_cell_legal_basis,
            "must be consent, support-meeting, statutory-meeting, emergency or none (同意, "
            "支援会議, 法定会議, 緊急, なし)");
    if (r.by[IMPORT_TAGS].text)
        json_object_set_new (referral, "tags", agency_cell_list (r.by[IMPORT_TAGS].text));
    s_member (referral, "consent_id", &r.by[IMPORT_CONSENT_ID]);
    s_member (referral, "case_id", &r.by[IMPORT_CASE_ID]);
    json_object_set_new (referral, "data_categories",
                         r.by[IMPORT_DATA_CATEGORIES].text
                             ? agency_cell_list (r.by[IMPORT_DATA_CATEGORIES].text)
                             : s_auto_categories (r.sheet));
    json_object_set (referral, "sheet", r.sheet);
    s_key (plan, household->text ? household->text : "");
    json_object_set_new (referral, "client_ref", json_string (plan->client_ref));
    plan->consent = s_consent (&r, referral, household->text);
    plan->referral = referral;
    plan->ok = r.ok;
    /* Another agency's row is its to check: its problems do not stop this agency's import. */
    while (plan->skip[0] && json_array_size (problems) > problems_before)
        json_array_remove (problems, json_array_size (problems) - 1);
    for (size_t i = 0; i < h->mapping->column_count; i++)
        free (owned[i]);
    free (owned);
    json_decref (r.sheet);
}

void
agency_import_plan_clear (agency_import_plan_t *plan)
{
    json_decref (plan->referral);
    json_decref (plan->consent);
    plan->referral = plan->consent = NULL;
}

/* The column of the request field (its path; "sheet.x.y", "tags[2]", "consent.method"). */
static const char *
s_column_of (const agency_import_mapping_t *m, const char *field)
{
    char base[160];
    snprintf (base, sizeof base, "%s", field);
    char *bracket = strchr (base, '[');
    if (bracket)
        *bracket = '\0';
    if (strncmp (base, "sheet.", 6) == 0) {
        const agency_import_column_t *c = agency_import_column_for (m, IMPORT_SHEET, base + 6);
        return c ? c->header : NULL;
    }
    static const struct {
        const char *field;
        agency_import_target_t target;
    } fields[] = {
        { "to", IMPORT_TO },
        { "to_type", IMPORT_TO },
        { "urgency", IMPORT_URGENCY },
        { "tags", IMPORT_TAGS },
        { "legal_basis", IMPORT_LEGAL_BASIS },
        { "consent_id", IMPORT_CONSENT_ID },
        { "case_id", IMPORT_CASE_ID },
        { "data_categories", IMPORT_DATA_CATEGORIES },
        { "consent.method", IMPORT_CONSENT_METHOD },
        { "consent.purpose", IMPORT_CONSENT_PURPOSE },
        { "consent.valid_from", IMPORT_CONSENT_FROM },
        { "consent.valid_until", IMPORT_CONSENT_UNTIL },
        { "consent.subject", IMPORT_CONSENT_SUBJECT },
        { "consent.form_sha256", IMPORT_CONSENT_FORM },
        { "consent.categories", IMPORT_DATA_CATEGORIES },
        { "consent.cover_types", IMPORT_TO },
        { "consent.cover_agencies", IMPORT_TO },
        { "consent.case_id", IMPORT_CASE_ID },
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcmp (fields[i].field, base) == 0) {
            const agency_import_column_t *c = agency_import_column_for (m, fields[i].target, NULL);
            return c ? c->header : NULL;
        }
    return NULL;
}

void
agency_import_refusal (const agency_import_header_t *h, size_t row, const char *prefix,
                       const json_t *reply, json_t *problems)
{
    const json_t *fields = json_object_get (reply, "fields");
    const char *message = json_string_value (json_object_get (reply, "message"));
    if (json_object_size (fields) == 0) {
        agency_import_problem (problems, row, NULL, NULL, message ? message : "refused");
        return;
    }
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) fields, key, value)
    {
        char field[128], problem[512];
        snprintf (field, sizeof field, "%s%s", prefix, key);
        const char *column = s_column_of (h->mapping, field);
        const char *text = json_string_value (value);
        bool absent = text && strncmp (text, "required", 8) == 0;
        if (absent && !column)
            snprintf (problem, sizeof problem,
                      "%s — no column of this file gives it: add one, or give it in the "
                      "mapping (docs/import.md)",
                      text);
        else
            snprintf (problem, sizeof problem, "%s", text ? text : "invalid");
        agency_import_problem (problems, row, column, field, problem);
    }
}
