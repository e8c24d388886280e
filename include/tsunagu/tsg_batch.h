/* Batch proofs: one Ed25519 signature over the root of a hash tree covers many letters, and each
 * letter still verifies on its own with its path to that root (proto/README.md §2.1).
 *
 *   leaf     = BLAKE2b-256 (0x00 || the letter's signed bytes)
 *   node     = BLAKE2b-256 (0x01 || left || right); a level's last node without a partner
 *              moves up unchanged
 *   signed   = "tsunagu batch v1" || count (4 bytes, big-endian) || root   (52 bytes)
 *
 * No serialized Letter can be those 52 bytes: a Letter never starts with 't' (0x74 is field 14
 * as an end-group tag, which the decoder refuses), so a batch signature is never a letter's. */
#ifndef TSG_BATCH_H_INCLUDED
#define TSG_BATCH_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSG_BATCH_MAX            64 /* letters under one signature */
#define TSG_BATCH_DEPTH_MAX      6  /* levels of a tree of TSG_BATCH_MAX leaves */
#define TSG_BATCH_HASH_SIZE      32
#define TSG_BATCH_STATEMENT_SIZE 52 /* what the signature covers */

/* The leaf of one letter. */
void tsg_batch_leaf (uint8_t out[TSG_BATCH_HASH_SIZE], const uint8_t *signed_bytes, size_t len);

/* A tree over 2..TSG_BATCH_MAX leaves: its root and each leaf's path, bottom up. */
typedef struct {
    size_t count;                                                          /* leaves */
    uint8_t root[TSG_BATCH_HASH_SIZE];                                     /* the top node */
    uint8_t path[TSG_BATCH_MAX][TSG_BATCH_DEPTH_MAX][TSG_BATCH_HASH_SIZE]; /* siblings */
    uint8_t path_len[TSG_BATCH_MAX];                                       /* how many of them */
} tsg_batch_tree_t;

/* Builds tree over leaves[0..count-1]; count must be 2..TSG_BATCH_MAX (assert). */
void tsg_batch_tree_build (tsg_batch_tree_t *tree, const uint8_t (*leaves)[TSG_BATCH_HASH_SIZE],
                           size_t count);

/* How many siblings the path of leaf index in a tree of count leaves has, or -1 when index and
 * count describe no leaf of a batch (count outside 2..TSG_BATCH_MAX, index >= count). */
int tsg_batch_path_length (uint32_t index, uint32_t count);

/* Walks from leaf up the path (path_len siblings of 32 bytes, checked against
 * tsg_batch_path_length) into root.  False, root untouched, when the shape does not fit. */
bool tsg_batch_root (uint8_t root[TSG_BATCH_HASH_SIZE], const uint8_t leaf[TSG_BATCH_HASH_SIZE],
                     uint32_t index, uint32_t count, const uint8_t *const *path, size_t path_len);

/* The bytes a batch's signature covers. */
void tsg_batch_statement (uint8_t out[TSG_BATCH_STATEMENT_SIZE], uint32_t count,
                          const uint8_t root[TSG_BATCH_HASH_SIZE]);

/* Roots this thread has verified lately, by signing key: a letter of a batch already seen costs
 * a few hashes instead of a signature check.  Remembers the last 64; nothing grows. */
bool tsg_batch_cache_holds (const uint8_t sign_public[32],
                            const uint8_t statement[TSG_BATCH_STATEMENT_SIZE]);
void tsg_batch_cache_add (const uint8_t sign_public[32],
                          const uint8_t statement[TSG_BATCH_STATEMENT_SIZE]);

#endif
