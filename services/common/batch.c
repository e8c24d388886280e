/* batch.c — the hash trees of batch proofs and the cache of verified roots (tsg_batch.h). */
#include <assert.h>
#include <sodium.h>
#include <string.h>

#include "tsunagu/tsg_batch.h"

#define CACHE_SLOTS 64

static const char s_statement_tag[] = "tsunagu batch v1"; /* 16 bytes, no terminator signed */

void
tsg_batch_leaf (uint8_t out[TSG_BATCH_HASH_SIZE], const uint8_t *signed_bytes, size_t len)
{
    static const uint8_t prefix = 0x00;
    crypto_generichash_state state;
    crypto_generichash_init (&state, NULL, 0, TSG_BATCH_HASH_SIZE);
    crypto_generichash_update (&state, &prefix, 1);
    crypto_generichash_update (&state, signed_bytes, len);
    crypto_generichash_final (&state, out, TSG_BATCH_HASH_SIZE);
}

static void
s_node (uint8_t out[TSG_BATCH_HASH_SIZE], const uint8_t left[TSG_BATCH_HASH_SIZE],
        const uint8_t right[TSG_BATCH_HASH_SIZE])
{
    uint8_t pair[1 + 2 * TSG_BATCH_HASH_SIZE];
    pair[0] = 0x01;
    memcpy (pair + 1, left, TSG_BATCH_HASH_SIZE);
    memcpy (pair + 1 + TSG_BATCH_HASH_SIZE, right, TSG_BATCH_HASH_SIZE);
    crypto_generichash (out, TSG_BATCH_HASH_SIZE, pair, sizeof pair, NULL, 0);
}

void
tsg_batch_tree_build (tsg_batch_tree_t *tree, const uint8_t (*leaves)[TSG_BATCH_HASH_SIZE],
                      size_t count)
{
    assert (count >= 2 && count <= TSG_BATCH_MAX);
    uint8_t level[TSG_BATCH_MAX][TSG_BATCH_HASH_SIZE];
    memcpy (level, leaves, count * TSG_BATCH_HASH_SIZE);
    tree->count = count;
    size_t position[TSG_BATCH_MAX]; /* each leaf's node on the current level */
    for (size_t i = 0; i < count; i++) {
        position[i] = i;
        tree->path_len[i] = 0;
    }
    size_t width = count;
    while (width > 1) {
        for (size_t i = 0; i < count; i++) {
            size_t sibling = position[i] ^ 1;
            if (sibling < width)
                memcpy (tree->path[i][tree->path_len[i]++], level[sibling], TSG_BATCH_HASH_SIZE);
            position[i] >>= 1;
        }
        size_t next = 0;
        for (size_t j = 0; j < width; j += 2, next++) {
            if (j + 1 < width)
                s_node (level[next], level[j], level[j + 1]);
            else
                memmove (level[next], level[j], TSG_BATCH_HASH_SIZE);
        }
        width = next;
    }
    memcpy (tree->root, level[0], TSG_BATCH_HASH_SIZE);
}

int
tsg_batch_path_length (uint32_t index, uint32_t count)
{
    if (count < 2 || count > TSG_BATCH_MAX || index >= count)
        return -1;
    int length = 0;
    for (uint32_t width = count, at = index; width > 1; width = (width + 1) / 2, at >>= 1)
        if ((at ^ 1) < width)
            length++;
    return length;
}

bool
tsg_batch_root (uint8_t root[TSG_BATCH_HASH_SIZE], const uint8_t leaf[TSG_BATCH_HASH_SIZE],
                uint32_t index, uint32_t count, const uint8_t *const *path, size_t path_len)
{
    int expected = tsg_batch_path_length (index, count);
    if (expected < 0 || (size_t) expected != path_len)
        return false;
    uint8_t node[TSG_BATCH_HASH_SIZE];
    memcpy (node, leaf, sizeof node);
    size_t used = 0;
    for (uint32_t width = count, at = index; width > 1; width = (width + 1) / 2, at >>= 1) {
        if ((at ^ 1) >= width)
            continue; /* the level's last node moves up unchanged */
        if (at & 1)
            s_node (node, path[used], node);
        else
            s_node (node, node, path[used]);
        used++;
    }
    memcpy (root, node, sizeof node);
    return true;
}

void
tsg_batch_statement (uint8_t out[TSG_BATCH_STATEMENT_SIZE], uint32_t count,
                     const uint8_t root[TSG_BATCH_HASH_SIZE])
{
    memcpy (out, s_statement_tag, 16);
    out[16] = (uint8_t) (count >> 24);
    out[17] = (uint8_t) (count >> 16);
    out[18] = (uint8_t) (count >> 8);
    out[19] = (uint8_t) count;
    memcpy (out + 20, root, TSG_BATCH_HASH_SIZE);
}

/* One verified root: the key it verified with and the statement. */
typedef struct {
    uint8_t sign_public[32];
    uint8_t statement[TSG_BATCH_STATEMENT_SIZE];
} s_slot_t;

static _Thread_local s_slot_t s_cache[CACHE_SLOTS];
static _Thread_local size_t s_cache_used; /* slots filled so far (at most CACHE_SLOTS) */
static _Thread_local size_t s_cache_next; /* the slot the next root replaces */

bool
tsg_batch_cache_holds (const uint8_t sign_public[32],
                       const uint8_t statement[TSG_BATCH_STATEMENT_SIZE])
{
    for (size_t i = 0; i < s_cache_used; i++)
        if (memcmp (s_cache[i].statement, statement, TSG_BATCH_STATEMENT_SIZE) == 0
            && memcmp (s_cache[i].sign_public, sign_public, 32) == 0)
            return true;
    return false;
}

void
tsg_batch_cache_add (const uint8_t sign_public[32],
                     const uint8_t statement[TSG_BATCH_STATEMENT_SIZE])
{
    s_slot_t *slot = &s_cache[s_cache_next];
    memcpy (slot->sign_public, sign_public, 32);
    memcpy (slot->statement, statement, TSG_BATCH_STATEMENT_SIZE);
    s_cache_next = (s_cache_next + 1) % CACHE_SLOTS;
    if (s_cache_used < CACHE_SLOTS)
        s_cache_used++;
}
