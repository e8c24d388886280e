/* schema.c — the read side of the coordinator store's schema version (schema.h). */
#include "coordinator/model/schema.h"
#include "coordinator/model/store.h"

/* What reading the version needs: META and the databases (no migrations). */
static const tsg_schema_t s_read_only = {
    .name = "coordinator",
    .current = TSG_HUB_SCHEMA,
    .meta_db = TSG_HUB_DB_META,
    .db_count = TSG_HUB_DB_COUNT,
};

int
tsg_hub_schema_version (tsg_store_t *store, unsigned *version)
{
    return tsg_schema_read (store, &s_read_only, version);
}

bool
tsg_hub_schema_usable (tsg_store_t *store, unsigned *version, char *err, size_t err_size)
{
    return tsg_schema_usable (store, &s_read_only, version, err, err_size);
}
