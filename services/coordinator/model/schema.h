/* The coordinator store's schema version (tsg_schema.h) and its migrations.
 *
 *   1  the format of the release before versions were kept (no META "schema.version")
 *   2  CASE_ORDER and CASE_DUE built for listing cases at scale (tsg_hub_case_index_build)
 *   3  DUE values name the referral's recipient (tsg_hub_due_recipients)
 *
 * A new migration: raise TSG_HUB_SCHEMA, add its row to the table in schema_write.c, keep it
 * idempotent (it may run again after a kill -9) and say in docs/configuration.md (Upgrades)
 * what it changes. */
#ifndef TSG_HUB_SCHEMA_H_INCLUDED
#define TSG_HUB_SCHEMA_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_schema.h"

/* The schema this binary writes. */
#define TSG_HUB_SCHEMA 3

/* The store's version (tsg_schema_read: 0 for a new, empty store).  TSG_OK or a TSG_ERR_*. */
int tsg_hub_schema_version (tsg_store_t *store, unsigned *version);

/* Whether this binary can use store, as start-up decides it, without changing anything: true
 * (and *version) when it can, false with a sentence in err when the store is newer than the
 * binary or its version cannot be read.  For -n and tsunaguctl. */
bool tsg_hub_schema_usable (tsg_store_t *store, unsigned *version, char *err, size_t err_size);

/* -n: the schema of data_dir's store as start-up would judge it, changing nothing.  Prints
 * "DIR/store: why" to report and returns 1 when start-up would refuse it (newer than this
 * binary, or its version unreadable); otherwise says on note (when not NULL) what start-up
 * will migrate, if anything, and returns 0.  A data directory without a store passes. */
int tsg_hub_schema_check (const char *data_dir, size_t map_size, FILE *report, FILE *note);

/* The write side (schema_write.c). */

/* The coordinator's table of migrations. */
extern const tsg_schema_t tsg_hub_schema;

/* Opens data_dir's store (tsg_hub_store_open) and brings it to TSG_HUB_SCHEMA
 * (tsg_schema_migrate; the copy before a migration goes to data_dir/backup-before-schema-N).
 * TSG_OK and *out, or a TSG_ERR_* with an English sentence in err and *out untouched
 * (TSG_ERR_EXISTS: the store is newer than this binary). */
int tsg_hub_store_open_current (const char *data_dir, size_t map_size, tsg_store_t **out, char *err,
                                size_t err_size);

#endif
