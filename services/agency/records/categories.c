/* categories.c — the seven data categories of personal data (categories.h). */
#include <stdio.h>
#include <string.h>

#include "agency/records/categories.h"
#include "agency/records/json.h"

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
