/* The agency store's schema version (tsg_schema.h) and its migrations.
 *
 *   1  the format of the release before versions were kept (no meta "schema.version"); the
 *      agency store has not changed since, so a store without the key is stamped 1
 *
 * A new migration: raise AGENCY_SCHEMA, add its row to the table in schema.c (idempotent: it
 * may run again after a kill -9) and say in docs/configuration.md (Upgrades) what it
 * changes. */
#ifndef AGENCY_RECORDS_SCHEMA_H_INCLUDED
#define AGENCY_RECORDS_SCHEMA_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "tsunagu/tsg_schema.h"

/* The schema this binary writes. */
#define AGENCY_SCHEMA 1

/* The agency store's table of migrations. */
extern const tsg_schema_t agency_schema;

/* Opens the store in dir (agency_store_open) and brings it to AGENCY_SCHEMA
 * (tsg_schema_migrate; the copy before a migration goes to dir/backup-before-schema-N).
 * TSG_OK and *out, or a TSG_ERR_* with an English sentence in err and *out untouched
 * (TSG_ERR_EXISTS: the store is newer than this binary). */
int agency_store_open_current (const char *dir, size_t map_size, tsg_store_t **out, char *err,
                               size_t err_size);

/* Whether this binary can use store, as start-up decides, changing nothing (for -n): true and
 * *version, or false with a sentence in err (newer than the binary, or unreadable). */
bool agency_schema_usable (tsg_store_t *store, unsigned *version, char *err, size_t err_size);

#endif
