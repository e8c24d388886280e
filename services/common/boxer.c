/* boxer.c — encrypted bodies (crypto_box, the shared key precomputed once per peer, tsg_wire.h). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"

#define BOXER_BUCKETS 64

/* One peer's precomputed shared key. */
typedef struct s_peer_t {
    uint8_t public_key[crypto_box_PUBLICKEYBYTES]; /* the peer's X25519 public key */
    uint8_t shared[crypto_box_BEFORENMBYTES];      /* crypto_box_beforenm (peer, us) */
    struct s_peer_t *next;                         /* next in the same bucket */
} s_peer_t;

struct _tsg_boxer_t {
    const tsg_keys_t *keys;           /* our keys (borrowed) */
    s_peer_t *buckets[BOXER_BUCKETS]; /* peers by first byte of their key */
    tsg_boxer_t *previous;            /* our keys before a rotation (owned), or NULL */
    uint8_t (*aliases)[3][32];        /* peers' other keys: [current, previous, next] (zeros:
                                         none) */
    size_t alias_count;               /* entries of aliases */
};

tsg_boxer_t *
tsg_boxer_new (const tsg_keys_t *keys)
{
    tsg_boxer_t *self = calloc (1, sizeof *self);
    if (self)
        self->keys = keys;
    return self;
}

void
tsg_boxer_destroy (tsg_boxer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_boxer_t *self = *self_p;
    for (int i = 0; i < BOXER_BUCKETS; i++) {
        for (s_peer_t *peer = self->buckets[i], *next; peer; peer = next) {
            next = peer->next;
            sodium_memzero (peer, sizeof *peer);
            free (peer);
        }
    }
    tsg_boxer_destroy (&self->previous);
    free (self->aliases);
    free (self);
    *self_p = NULL;
}

int
tsg_boxer_alias (tsg_boxer_t *self, const uint8_t peer_public[32], const uint8_t previous[32],
                 const uint8_t next[32])
{
    size_t i = 0;
    while (i < self->alias_count && memcmp (self->aliases[i][0], peer_public, 32) != 0)
        i++;
    if (i == self->alias_count) {
        if (!previous && !next)
            return TSG_OK;
        uint8_t (*more)[3][32] = realloc (self->aliases, (self->alias_count + 1) * sizeof *more);
        if (!more)
            return TSG_ERR_NOMEM;
        self->aliases = more;
        memcpy (more[i][0], peer_public, 32);
        self->alias_count++;
    }
    memset (self->aliases[i][1], 0, 64);
    if (previous)
        memcpy (self->aliases[i][1], previous, 32);
    if (next)
        memcpy (self->aliases[i][2], next, 32);
    return TSG_OK;
}

/* The other key (which: 1 previous, 2 next) of peer_public, or NULL. */
static const uint8_t *
s_alias (const tsg_boxer_t *self, const uint8_t peer_public[32], int which)
{
    static const uint8_t zero[32] = { 0 };
    for (size_t i = 0; i < self->alias_count; i++)
        if (memcmp (self->aliases[i][0], peer_public, 32) == 0)
            return memcmp (self->aliases[i][which], zero, 32) != 0 ? self->aliases[i][which] : NULL;
    return NULL;
}

int
tsg_boxer_set_previous (tsg_boxer_t *self, const tsg_keys_t *previous)
{
    tsg_boxer_destroy (&self->previous);
    if (!previous)
        return TSG_OK;
    self->previous = tsg_boxer_new (previous);
    return self->previous ? TSG_OK : TSG_ERR_NOMEM;
}

/* The shared key with peer_public, computed once; NULL on failure. */
static const uint8_t *
s_shared_key (tsg_boxer_t *self, const uint8_t peer_public[32])
{
    s_peer_t **bucket = &self->buckets[peer_public[0] % BOXER_BUCKETS];
    for (s_peer_t *peer = *bucket; peer; peer = peer->next)
        if (memcmp (peer->public_key, peer_public, 32) == 0)
            return peer->shared;
    s_peer_t *peer = calloc (1, sizeof *peer);
    if (!peer)
        return NULL;
    memcpy (peer->public_key, peer_public, 32);
    if (crypto_box_beforenm (peer->shared, peer_public, tsg_keys_box_secret (self->keys)) != 0) {
        free (peer);
        return NULL;
    }
    peer->next = *bucket;
    *bucket = peer;
    return peer->shared;
}

int
tsg_body_seal (tsg_boxer_t *self, const uint8_t peer_public[32], const char *content_type,
               const uint8_t *content, size_t content_len, uint8_t **out, size_t *out_len)
{
    Tsunagu__V1__Body body = TSUNAGU__V1__BODY__INIT;
    body.content_type = (char *) content_type;
    body.content.data = (uint8_t *) content;
    body.content.len = content_len;
    size_t plain_len = tsunagu__v1__body__get_packed_size (&body);
    size_t box_len = crypto_box_NONCEBYTES + crypto_box_MACBYTES + plain_len;
    if (box_len > TSG_BODY_MAX)
        return TSG_ERR_TOO_LARGE;
    const uint8_t *shared = s_shared_key (self, peer_public);
    if (!shared)
        return TSG_ERR_CRYPTO;
    uint8_t *plain = malloc (plain_len ? plain_len : 1);
    uint8_t *box = malloc (box_len);
    if (!plain || !box) {
        free (plain);
        free (box);
        return TSG_ERR_NOMEM;
    }
    tsunagu__v1__body__pack (&body, plain);
    randombytes_buf (box, crypto_box_NONCEBYTES);
    int rc = crypto_box_easy_afternm (box + crypto_box_NONCEBYTES, plain, plain_len, box, shared);
    sodium_memzero (plain, plain_len);
    free (plain);
    if (rc != 0) {
        free (box);
        return TSG_ERR_CRYPTO;
    }
    *out = box;
    *out_len = box_len;
    return TSG_OK;
}

/* Opens box from peer_public with own's keys only. */
static int
s_open_with (tsg_boxer_t *own, const uint8_t peer_public[32], const uint8_t *box, size_t box_len,
             Tsunagu__V1__Body **out)
{
    const uint8_t *shared = s_shared_key (own, peer_public);
    if (!shared)
        return TSG_ERR_CRYPTO;
    size_t plain_len = box_len - crypto_box_NONCEBYTES - crypto_box_MACBYTES;
    uint8_t *plain = malloc (plain_len ? plain_len : 1);
    if (!plain)
        return TSG_ERR_NOMEM;
    if (crypto_box_open_easy_afternm (plain, box + crypto_box_NONCEBYTES,
                                      box_len - crypto_box_NONCEBYTES, box, shared)
        != 0) {
        free (plain);
        return TSG_ERR_CRYPTO;
    }
    Tsunagu__V1__Body *body = tsunagu__v1__body__unpack (NULL, plain_len, plain);
    sodium_memzero (plain, plain_len);
    free (plain);
    if (!body)
        return TSG_ERR_BAD_INPUT;
    *out = body;
    return TSG_OK;
}

int
tsg_body_open (tsg_boxer_t *self, const uint8_t peer_public[32], const uint8_t *box, size_t box_len,
               Tsunagu__V1__Body **out)
{
    if (box_len < crypto_box_NONCEBYTES + crypto_box_MACBYTES)
        return TSG_ERR_CRYPTO;
    if (box_len > TSG_BODY_MAX)
        return TSG_ERR_TOO_LARGE;
    /* Around a key rotation a body may be sealed by the peer's previous or next keys, or to
     * our previous ones: each is tried after the current pair. */
    const uint8_t *peers[3] = { peer_public, s_alias (self, peer_public, 1),
                                s_alias (self, peer_public, 2) };
    tsg_boxer_t *owns[2] = { self, self->previous };
    int rc = TSG_ERR_CRYPTO;
    for (int p = 0; p < 3 && rc == TSG_ERR_CRYPTO; p++)
        for (int o = 0; o < 2 && rc == TSG_ERR_CRYPTO; o++)
            if (peers[p] && owns[o])
                rc = s_open_with (owns[o], peers[p], box, box_len, out);
    return rc;
}
