/* The coordinator's in-memory copy of the registry, and the signed DIRECTORY letter built from it.
 */
#ifndef TSG_HUB_DIRECTORY_H_INCLUDED
#define TSG_HUB_DIRECTORY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"

/* How long a DIRECTORY stays valid (proto/README.md §6). */
#define TSG_HUB_DIRECTORY_VALID_MS (7ULL * 24 * 3600 * 1000)
/* How far before now a DIRECTORY's validity starts: the clock skew the hub accepts. */
#define TSG_HUB_DIRECTORY_SLACK_MS (5ULL * 60 * 1000)

typedef struct _tsg_hub_directory_t tsg_hub_directory_t;

/* A new, empty directory whose letters are signed with keys (borrowed: keys must outlive
 * it).  NULL on allocation failure. */
tsg_hub_directory_t *tsg_hub_directory_new (const tsg_keys_t *keys);

/* While the coordinator's own keys are handed over (model/rotation.h): every DIRECTORY from
 * now on names next's public keys, endorsed by next's signing key for the current one, and
 * the switch deadline; NULL ends that (after the switch, whose keys the directory then signs
 * with: keys is borrowed and switched in place, tsg_keys_replace). */
void tsg_hub_directory_set_next (tsg_hub_directory_t *self, const tsg_keys_t *next,
                                 uint64_t switch_by_ms);

/* Frees the copy; safe on NULL and twice. */
void tsg_hub_directory_destroy (tsg_hub_directory_t **self_p);

/* Replaces the copy with the registry as txn sees it.  Entries that are not usable (bad id,
 * keys not 32 bytes) are skipped with a warning.  On failure returns the error and leaves
 * the old copy in place.  Every entry pointer handed out before is invalid afterwards. */
int tsg_hub_directory_load (tsg_hub_directory_t *self, tsg_txn_t *txn);

/* The registry generation the copy was loaded at; the DIRECTORY's serial. */
uint64_t tsg_hub_directory_serial (const tsg_hub_directory_t *self);

/* Number of agencies in the copy. */
size_t tsg_hub_directory_size (const tsg_hub_directory_t *self);

/* The agency with id, or with box (CURVE) public key key (its current one, or the next one
 * of a key rotation under way), or NULL.  Borrowed until the next load. */
const Tsunagu__V1__AgencyEntry *tsg_hub_directory_find (const tsg_hub_directory_t *self,
                                                        const char *id);
const Tsunagu__V1__AgencyEntry *tsg_hub_directory_find_key (const tsg_hub_directory_t *self,
                                                            const uint8_t key[32]);

/* True when a DIRECTORY an agency holds, valid until until_ms (wall clock; 0: it has none
 * from us), is past half its validity at now_ms and should be sent again: a session that
 * lasts for days never lets the agency's copy expire (it would refuse new work, 503). */
bool tsg_hub_directory_stale (uint64_t until_ms, uint64_t now_ms);

/* The i-th agency of the copy (i < tsg_hub_directory_size), sorted by id. */
const Tsunagu__V1__AgencyEntry *tsg_hub_directory_at (const tsg_hub_directory_t *self, size_t i);

/* True when id names an agency that is active in the copy. */
bool tsg_hub_directory_active (const tsg_hub_directory_t *self, const char *id);

/* A DIRECTORY letter for recipient (every agency in the copy, serial = the generation,
 * valid for 7 days from now), signed by the coordinator, as a serialized Envelope in *out
 * (caller frees).  Returns TSG_OK or the sealing error. */
int tsg_hub_directory_seal (const tsg_hub_directory_t *self, const char *recipient, uint8_t **out,
                            size_t *out_len);

#endif
