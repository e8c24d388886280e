/* schema.c — the read side of the coordinator store's schema version (schema.h). */
#include <sys/stat.h>

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

int
tsg_hub_schema_check (const char *data_dir, size_t map_size, FILE *report, FILE *note)
{
    char path[4096];
    struct stat st;
    if (!data_dir
        || snprintf (path, sizeof path, "%s/store/data.mdb", data_dir) >= (int) sizeof path
        || stat (path, &st) != 0)
        return 0; /* start-up makes a new store; opening it is checked apart */
    tsg_store_t *store = NULL;
    if (tsg_hub_store_open (data_dir, map_size, &store) != TSG_OK)
        return 0; /* the check of the store itself reports it */
    unsigned version = 0;
    char why[512] = "";
    bool usable = tsg_hub_schema_usable (store, &version, why, sizeof why);
    tsg_store_destroy (&store);
    snprintf (path, sizeof path, "%s/store", data_dir);
    if (!usable) {
        fprintf (report, "%s: %s\n", path, why);
        return 1;
    }
    if (note && version >= 1 && version < TSG_HUB_SCHEMA)
        fprintf (note,
                 "%s: schema %u; start-up copies it to %s/" TSG_SCHEMA_BACKUP_PREFIX
                 "%u/data.mdb and migrates it to schema %u\n",
                 path, version, data_dir, version + 1, TSG_HUB_SCHEMA);
    return 0;
}
