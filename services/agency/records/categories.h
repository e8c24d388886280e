/* The data categories of personal data a letter names (DESIGN §4): identity, health,
 * disability, finances, family, children, free-text; as requests, records and headers carry
 * them. */
#ifndef AGENCY_RECORDS_CATEGORIES_H_INCLUDED
#define AGENCY_RECORDS_CATEGORIES_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>

#include "tsunagu/tsg_wire.h"

#define AGENCY_CATEGORIES_MAX 7 /* distinct data categories a letter can name */

/* The data categories, NULL-terminated: identity, health, disability, finances, family,
 * children, free-text. */
extern const char *const agency_data_categories[];

/* True when name is one of the seven. */
bool agency_data_category_valid (const char *name);

/* Checks value, the request member at path (NULL when absent), as data categories: an
 * array of distinct names of the seven.  Problems go to fields.  Returns value (borrowed)
 * when it is such an array, else NULL. */
json_t *agency_categories_parse (json_t *value, const char *path, json_t *fields);

/* True when categories (an array of strings) holds name. */
bool agency_categories_has (const json_t *categories, const char *name);

/* Points header's data_categories at the strings of categories, through slots; both must
 * outlive the header's use.  Leaves the header alone when categories is empty or NULL. */
void agency_categories_header (tsg_header_t *header, const json_t *categories,
                               char *slots[AGENCY_CATEGORIES_MAX]);

/* The data categories of a received header as a new JSON array (the valid names only). */
json_t *agency_categories_of_header (const tsg_header_t *header);

#endif
