/* The coordinator's own keys through a rotation (model/rotation.h), on disk and in the store:
 * the files beside the configured key file KEYS (KEYS.next while the rotation is under way,
 * KEYS.previous after it, and the public file KEYS's .pub twin rewritten at the switch), and
 * the record that says where the rotation stands, written with its audit record.
 *
 * Every step can be cut short by kill -9 and taken again: the next keys are written before
 * the record names them, and the switch writes KEYS.previous, then KEYS, then the record; a
 * start that finds KEYS holding the announced next keys completes the record
 * (tsg_hub_own_keys_switch again). */
#ifndef TSG_HUB_OWN_KEYS_H_INCLUDED
#define TSG_HUB_OWN_KEYS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/model/audit.h"
#include "coordinator/model/rotation.h"

/* keys_path with suffix (".next", ".previous") into out.  False when it does not fit. */
bool tsg_hub_own_keys_path (const char *keys_path, const char *suffix, char *out, size_t size);

/* Makes new keys, writes them to KEYS.next (0600), and records in txn the rotation as
 * announced (switch by switch_by_ms), with *out the record written.  TSG_OK, or a TSG_ERR_*
 * with a sentence in err (txn then untouched): TSG_ERR_EXISTS while a rotation is under way
 * (one whose KEYS.next is lost or is not the one recorded is replaced instead). */
int tsg_hub_own_keys_announce (const char *keys_path, tsg_txn_t *txn, uint64_t switch_by_ms,
                               tsg_hub_rotation_t *out, char *err, size_t err_size);

/* The next keys of the announced rotation r, from KEYS.next, refused unless they are the
 * ones r names.  TSG_OK and *out, or a TSG_ERR_* with a sentence in err. */
int tsg_hub_own_keys_load_next (const char *keys_path, const tsg_hub_rotation_t *r,
                                tsg_keys_t **out, char *err, size_t err_size);

/* The switch: KEYS kept as KEYS.previous, the next keys made KEYS (and the public file
 * rewritten), KEYS.next removed, then the record SWITCHED with its audit record
 * ("coordinator-keys-switched": actor, via, why) and the registry generation moved, in one
 * transaction of store.  Also completes a switch a crash cut short.  TSG_OK, or a TSG_ERR_*
 * with a sentence in err. */
int tsg_hub_own_keys_switch (const char *keys_path, tsg_store_t *store, tsg_hub_audit_t *audit,
                             const char *actor, const char *via, const char *why, char *err,
                             size_t err_size);

#endif
