/* schema_write.c — the coordinator store's migrations, in order (schema.h), and the opening
 * of the store at start-up that runs them. */
#include "coordinator/model/cases.h"
#include "coordinator/model/referrals.h"
#include "coordinator/model/schema.h"
#include "coordinator/model/store.h"

static const tsg_migration_t s_migrations[] = {
    { 2, "cases indexed for listing (CASE_ORDER, CASE_DUE)", tsg_hub_case_index_build },
    { 3, "overdue-list entries name their recipient (DUE)", tsg_hub_due_recipients },
};

const tsg_schema_t tsg_hub_schema = {
    .name = "coordinator",
    .current = TSG_HUB_SCHEMA,
    .migrations = s_migrations,
    .count = sizeof s_migrations / sizeof s_migrations[0],
    .meta_db = TSG_HUB_DB_META,
    .db_count = TSG_HUB_DB_COUNT,
};

int
tsg_hub_store_open_current (const char *data_dir, size_t map_size, tsg_store_t **out, char *err,
                            size_t err_size)
{
    return tsg_schema_open (tsg_hub_store_open, data_dir, map_size, &tsg_hub_schema, data_dir, out,
                            err, err_size);
}
