/* Staff accounts of the coordinator's web dashboard (USERS): a login name, a role, whether the
 * account is disabled, and an Argon2id hash of its password; never the password itself.  The
 * coordinator is their one writer (users_write.c, from the control commands of
 * daemon/admin_users.c); the web and tsunaguctl read them (users.c, the read side).
 *
 * Roles, each allowing what the one before it allows:
 *   viewer       sees every page of the dashboard
 *   coordinator  also records case events and acknowledges alerts
 *   admin        also manages (staff accounts are managed with tsunaguctl on the server)
 *
 * A web session ends when its user is disabled, removed, or changes password: the web reads the
 * record on every request (disabled, or password_at_ms later than the session's start). */
#ifndef TSG_HUB_USERS_H_INCLUDED
#define TSG_HUB_USERS_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsg_store.h"

#define TSG_HUB_USER_NAME_MAX     32  /* bytes of a login name */
#define TSG_HUB_USER_HASH_SIZE    128 /* crypto_pwhash_STRBYTES: the hash text and its NUL */
#define TSG_HUB_USER_ACTOR_MAX    64  /* bytes of who changed the account last */
#define TSG_HUB_USER_PASSWORD_MIN 10  /* bytes of the shortest password */
#define TSG_HUB_USER_PASSWORD_MAX 128 /* bytes of the longest password */
#define TSG_HUB_USER_FORMAT       1   /* the first byte of a USERS value */

/* The most users tsg_hub_user_list lists: a coordinator has a handful of staff. */
#define TSG_HUB_USERS_MAX 1000

/* What a staff member may do; each role allows what the roles before it allow. */
typedef enum {
    TSG_HUB_ROLE_VIEWER = 1,  /* sees */
    TSG_HUB_ROLE_COORDINATOR, /* also records case events and acknowledges alerts */
    TSG_HUB_ROLE_ADMIN        /* also manages */
} tsg_hub_staff_role_t;

/* One staff account as stored. */
typedef struct {
    char name[TSG_HUB_USER_NAME_MAX + 1];        /* the login name (the key) */
    tsg_hub_staff_role_t role;                   /* what it may do */
    bool disabled;                               /* true: it may not log in, its sessions end */
    char hash[TSG_HUB_USER_HASH_SIZE];           /* crypto_pwhash_str text (Argon2id) */
    uint64_t created_at_ms;                      /* when it was added */
    uint64_t changed_at_ms;                      /* when it was last changed (added, at first) */
    uint64_t password_at_ms;                     /* when its password was last set */
    char changed_by[TSG_HUB_USER_ACTOR_MAX + 1]; /* who made the last change */
} tsg_hub_user_t;

/* The account name in *out; false when there is none or its record is unreadable (txn->rc
 * then tells a failure of the store from absence). */
bool tsg_hub_user_get (tsg_txn_t *txn, const char *name, tsg_hub_user_t *out);

/* Every readable account, sorted by name, at most TSG_HUB_USERS_MAX, in a new array the caller
 * frees (NULL and 0 for none).  TSG_OK or a TSG_ERR_*. */
int tsg_hub_user_list (tsg_txn_t *txn, tsg_hub_user_t **users, size_t *count);

/* True when name may be a login name: 1-32 bytes of a-z, 0-9, '.', '_' and '-', starting with
 * a letter or a digit. */
bool tsg_hub_user_name_ok (const char *name);

/* True when password may be name's: 10-128 bytes of valid UTF-8 without control characters,
 * and not the name itself.  Otherwise *why (when why is not NULL) says what is wrong in an
 * English sentence. */
bool tsg_hub_user_password_ok (const char *name, const char *password, const char **why);

/* "viewer", "coordinator", "admin" ("?" for anything else). */
const char *tsg_hub_staff_role_name (tsg_hub_staff_role_t role);

/* The role text names into *out; false when it names none. */
bool tsg_hub_staff_role_parse (const char *text, tsg_hub_staff_role_t *out);

/* True when user is enabled and its role allows what needed allows. */
bool tsg_hub_user_may (const tsg_hub_user_t *user, tsg_hub_staff_role_t needed);

/* True when password is user's (crypto_pwhash_str_verify; ~20-40 ms).  Says nothing about
 * whether the account is disabled. */
bool tsg_hub_user_password_matches (const tsg_hub_user_t *user, const char *password);

/* Verifies password against a fixed dummy hash and forgets the answer, so that a login with an
 * unknown name costs as much as one with a wrong password. */
void tsg_hub_user_password_burn (const char *password);

/* {"name", "role", "disabled", "created_at", "changed_at", "password_at" (ISO-8601 UTC),
 * "changed_by"}: the account as answers show it, without its hash.  NULL when memory ran out. */
json_t *tsg_hub_user_json (const tsg_hub_user_t *user);

/* ---- The write side (users_write.c, the coordinator only). ---- */

/* Hashes password (Argon2id13, opslimit 2, memlimit 19 MiB: OWASP's m=19456 KiB, t=2, p=1) into
 * hash.  TSG_OK, or TSG_ERR_NOMEM when the memory the hash needs could not be had. */
int tsg_hub_user_password_hash (const char *password, char hash[TSG_HUB_USER_HASH_SIZE]);

/* Writes user under its name, replacing the record there; a failure is left in txn->rc. */
void tsg_hub_user_put (tsg_txn_t *txn, const tsg_hub_user_t *user);

/* Removes the account name; removing none is not an error. */
void tsg_hub_user_remove (tsg_txn_t *txn, const char *name);

#endif
