/* Key files: one X25519 pair (CURVE transport and crypto_box bodies) and one Ed25519 pair
 * (signatures) per party.  Secrets live in sodium_malloc'd memory and are wiped on destroy.
 *
 * Secret file format (text, mode 0600, refused when group or others may read it):
 *     # tsunagu secret keys for <id> — keep private
 *     id = eldercare-chuo
 *     box-public = <z85, 40 chars>
 *     box-secret = <z85, 40 chars>
 *     sign-public = <z85, 40 chars>
 *     sign-secret = <z85 of the 32-byte seed, 40 chars>
 * Public file: the same without the two secret lines (mode 0644). */
#ifndef TSG_KEYS_H_INCLUDED
#define TSG_KEYS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _tsg_keys_t tsg_keys_t;

/* New random key pairs for id.  NULL on allocation failure. */
tsg_keys_t *tsg_keys_generate (const char *id);

/* Loads a secret key file.  Refuses (TSG_ERR_PERMISSION) a file whose mode lets
 * group or others read or write it; TSG_ERR_BAD_INPUT with a sentence in err for a
 * malformed file, including a pair whose public half does not match its secret. */
int tsg_keys_load (const char *path, tsg_keys_t **out, char *err, size_t err_size);

/* Writes the secret file (mode 0600) or the public file (mode 0644) atomically. */
int tsg_keys_save_secret (const tsg_keys_t *self, const char *path);
int tsg_keys_save_public (const tsg_keys_t *self, const char *path);

/* The public key file that goes with a secret key file: "x.key" → "x.pub", anything else
 * gets ".pub" appended, into out.  False when it does not fit. */
bool tsg_keys_public_path (const char *secret_path, char *out, size_t size);

/* Loads a public key file (as written by tsg_keys_save_public) into the two arrays. */
int tsg_keys_load_public (const char *path, char id_out[33], uint8_t box_public[32],
                          uint8_t sign_public[32], char *err, size_t err_size);

const char *tsg_keys_id (const tsg_keys_t *self);
const uint8_t *tsg_keys_box_public (const tsg_keys_t *self);  /* 32 bytes */
const uint8_t *tsg_keys_box_secret (const tsg_keys_t *self);  /* 32 bytes */
const uint8_t *tsg_keys_sign_public (const tsg_keys_t *self); /* 32 bytes */
const uint8_t *tsg_keys_sign_secret (const tsg_keys_t *self); /* 64 bytes (libsodium form) */

/* Copies with's keys (and id) into self, so that everything that borrows self signs and
 * seals with them from now on (the coordinator's switch to new keys). */
void tsg_keys_replace (tsg_keys_t *self, const tsg_keys_t *with);

/* Wipes and frees; safe on NULL and twice; sets *self_p to NULL. */
void tsg_keys_destroy (tsg_keys_t **self_p);

#endif
