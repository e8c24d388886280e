/* The legal basis of personal data at the API: data categories and the basis rules. */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "legal.h"

const char *const agency_data_categories[] = {
    "identity", "health", "disability", "finances", "family", "children", "free-text", NULL,
};

bool
agency_data_category_valid (const char *name)
{
    for (int i = 0; name && agency_data_categories[i]; i++)
        if (strcmp (name, agency_data_categories[i]) == 0)
            return true;
    return false;
}

json_t *
agency_categories_parse (json_t *value, const char *path, json_t *fields)
{
    if (!value || json_is_null (value))
        return NULL;
    if (!json_is_array (value)) {
        agency_json_field (fields, path, "must be an array of data categories");
        return NULL;
    }
    bool good = true;
    size_t i;
    json_t *item;
    json_array_foreach (value, i, item)
    {
        char at[64];
        snprintf (at, sizeof at, "%s[%zu]", path, i);
        const char *name = json_string_value (item);
        if (!agency_data_category_valid (name)) {
            agency_json_field (fields, at,
                               "must be identity, health, disability, finances, family, "
                               "children or free-text");
            good = false;
            continue;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp (name, json_string_value (json_array_get (value, k))) == 0) {
                agency_json_field (fields, at, "named twice");
                good = false;
            }
    }
    return good ? value : NULL;
}

bool
agency_categories_has (const json_t *categories, const char *name)
{
    size_t i;
    json_t *item;
    json_array_foreach (categories, i, item)
    {
        if (json_is_string (item) && strcmp (json_string_value (item), name) == 0)
            return true;
    }
    return false;
}

void
agency_categories_header (tsg_header_t *header, const json_t *categories,
                          char *slots[AGENCY_CATEGORIES_MAX])
{
    size_t n = 0;
    size_t i;
    json_t *item;
    json_array_foreach (categories, i, item)
    {
        if (n < AGENCY_CATEGORIES_MAX && json_is_string (item))
            slots[n++] = (char *) json_string_value (item);
    }
    if (n == 0)
        return;
    header->n_data_categories = n;
    header->data_categories = slots;
}

json_t *
agency_categories_of_header (const tsg_header_t *header)
{
    json_t *out = json_array ();
    for (size_t i = 0; header && i < header->n_data_categories && i < 64; i++)
        if (agency_data_category_valid (header->data_categories[i]))
            json_array_append_new (out, json_string (header->data_categories[i]));
    return out;
}

void
agency_basis_rules (Tsunagu__V1__LegalBasis basis, const char *consent_id, bool has_case,
                    const json_t *categories, const char *categories_path, json_t *fields)
{
    size_t n = json_array_size (categories);
    switch (basis) {
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE:
        if (n > 0)
            agency_json_field (fields, categories_path,
                               "must be empty for legal_basis none (no personal data)");
        return;
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT:
        if (!consent_id || !*consent_id)
            agency_json_field (fields, "consent_id",
                               "required for legal_basis consent: the consent that covers it");
        break;
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING:
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING:
        if (!has_case)
            agency_json_field (fields, "case_id",
                               "required for a meeting's legal basis: the case whose roster "
                               "covers it");
        break;
    default: break;
    }
    if (n == 0)
        agency_json_field (fields, categories_path,
                           "required unless legal_basis is none: the personal-data categories "
                           "it holds (identity, health, disability, finances, family, children, "
                           "free-text)");
}

json_t *
agency_legal_refusal (const char *field, const char *problem, const char *message)
{
    json_t *fields = field ? json_pack ("{s:s}", field, problem) : NULL;
    return agency_json_error ("missing_legal_basis", message, fields);
}
