/* schema.c — the agency store's migrations, in order (schema.h), and the opening of the store
 * that runs them. */
#include "tsunagu/tsunagu.h"
#include "agency/records/schema.h"
#include "agency/records/store.h"

const tsg_schema_t agency_schema = {
    .name = "agency",
    .current = AGENCY_SCHEMA,
    .migrations = NULL, /* none yet: schema 1 is the first */
    .count = 0,
    .meta_db = AGENCY_DB_META,
    .db_count = AGENCY_DB_COUNT,
};

int
agency_store_open_current (const char *dir, size_t map_size, tsg_store_t **out, char *err,
                           size_t err_size)
{
    return tsg_schema_open (agency_store_open, dir, map_size, &agency_schema, dir, out, err,
                            err_size);
}

bool
agency_schema_usable (tsg_store_t *store, unsigned *version, char *err, size_t err_size)
{
    return tsg_schema_usable (store, &agency_schema, version, err, err_size);
}
