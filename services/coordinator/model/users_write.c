/* users_write.c — the one writer of the staff accounts (users.h; the record's bytes are in
 * users.c), and the hashing of their passwords, inside the coordinator. */
#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/users.h"
#include "tsunagu/tsunagu.h"

#define S_OPSLIMIT 2u                      /* Argon2id passes (OWASP: t=2) */
#define S_MEMLIMIT ((size_t) 19456 * 1024) /* bytes of memory (OWASP: m=19456 KiB, p=1) */

int
tsg_hub_user_password_hash (const char *password, char hash[TSG_HUB_USER_HASH_SIZE])
{
    memset (hash, 0, TSG_HUB_USER_HASH_SIZE);
    if (crypto_pwhash_str_alg (hash, password, strlen (password), S_OPSLIMIT, S_MEMLIMIT,
                               crypto_pwhash_ALG_ARGON2ID13)
        != 0) {
        memset (hash, 0, TSG_HUB_USER_HASH_SIZE);
        return TSG_ERR_NOMEM;
    }
    return TSG_OK;
}

void
tsg_hub_user_put (tsg_txn_t *txn, const tsg_hub_user_t *user)
{
    if (txn->rc != TSG_OK)
        return;
    assert (tsg_hub_user_name_ok (user->name));
    assert (user->role >= TSG_HUB_ROLE_VIEWER && user->role <= TSG_HUB_ROLE_ADMIN);
    assert (user->hash[0] != '\0' && strlen (user->hash) < TSG_HUB_USER_HASH_SIZE);
    tsg_hub_writer_t w;
    tsg_hub_writer_init (&w);
    tsg_hub_write_u8 (&w, TSG_HUB_USER_FORMAT);
    tsg_hub_write_u8 (&w, (uint8_t) user->role);
    tsg_hub_write_u8 (&w, user->disabled ? 1 : 0);
    tsg_hub_write_str (&w, user->hash);
    tsg_hub_write_u64 (&w, user->created_at_ms);
    tsg_hub_write_u64 (&w, user->changed_at_ms);
    tsg_hub_write_u64 (&w, user->password_at_ms);
    tsg_hub_write_str (&w, user->changed_by);
    if (!w.ok)
        txn->rc = TSG_ERR_NOMEM;
    else
        tsg_txn_put (txn, tsg_store_db (txn->store, TSG_HUB_DB_USERS), user->name,
                     strlen (user->name), w.data, w.len);
    tsg_hub_writer_free (&w);
}

void
tsg_hub_user_remove (tsg_txn_t *txn, const char *name)
{
    assert (tsg_hub_user_name_ok (name));
    tsg_txn_del (txn, tsg_store_db (txn->store, TSG_HUB_DB_USERS), name, strlen (name));
}
