/* users.c — reading the staff accounts (users.h) and checking their names and passwords.
 *
 *   USERS  login name (1-32 bytes, no NUL) →
 *          u8 format (1) | u8 role (1 viewer, 2 coordinator, 3 admin) | u8 flags (bit 0:
 *          disabled) | str hash (crypto_pwhash_str text, at most 127 bytes) |
 *          be64 created_at_ms | be64 changed_at_ms | be64 password_at_ms | str changed_by
 *
 * A value that does not read whole, names an unknown format or role, or holds an empty hash is
 * no account: it cannot log in. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/users.h"
#include "tsunagu/tsg_text.h"
#include "tsunagu/tsunagu.h"

/* The hash of a random password nobody kept, made with the parameters of
 * tsg_hub_user_password_hash, so that verifying against it costs what a real one costs. */
#define S_DUMMY_HASH                                                                               \
    "$argon2id$v=19$m=19456,t=2,p=1$ei2TqowG/XZk9qo6MSWy2g$"                                       \
    "mLKInkKFI4bNDHZ1q3n9LOy0UUF2p4cHxrW8zW0tPYM"

/* Decodes the value of account name into *out; false when it is not one. */
static bool
s_decode (const char *name, size_t name_len, const void *data, size_t len, tsg_hub_user_t *out)
{
    memset (out, 0, sizeof *out);
    if (name_len > TSG_HUB_USER_NAME_MAX)
        return false;
    memcpy (out->name, name, name_len);
    out->name[name_len] = '\0';
    tsg_hub_reader_t r;
    tsg_hub_reader_init (&r, data, len);
    if (tsg_hub_read_u8 (&r) != TSG_HUB_USER_FORMAT)
        return false;
    uint8_t role = tsg_hub_read_u8 (&r);
    uint8_t flags = tsg_hub_read_u8 (&r);
    tsg_hub_read_str (&r, out->hash, sizeof out->hash);
    out->created_at_ms = tsg_hub_read_u64 (&r);
    out->changed_at_ms = tsg_hub_read_u64 (&r);
    out->password_at_ms = tsg_hub_read_u64 (&r);
    tsg_hub_read_str (&r, out->changed_by, sizeof out->changed_by);
    out->role = (tsg_hub_staff_role_t) role;
    out->disabled = (flags & 1) != 0;
    return r.ok && r.pos == r.len && role >= TSG_HUB_ROLE_VIEWER && role <= TSG_HUB_ROLE_ADMIN
           && out->hash[0] != '\0' && tsg_hub_user_name_ok (out->name);
}

bool
tsg_hub_user_get (tsg_txn_t *txn, const char *name, tsg_hub_user_t *out)
{
    memset (out, 0, sizeof *out);
    if (!tsg_hub_user_name_ok (name))
        return false;
    MDB_val val;
    if (!tsg_txn_get (txn, tsg_store_db (txn->store, TSG_HUB_DB_USERS), name, strlen (name), &val))
        return false;
    bool ok = s_decode (name, strlen (name), val.mv_data, val.mv_size, out);
    if (!ok) {
        log_warnx ("users: the record of %s is unreadable", name);
        memset (out, 0, sizeof *out);
    }
    return ok;
}

int
tsg_hub_user_list (tsg_txn_t *txn, tsg_hub_user_t **users, size_t *count)
{
    *users = NULL;
    *count = 0;
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_USERS);
    size_t capacity = tsg_txn_count (txn, db);
    if (capacity > TSG_HUB_USERS_MAX)
        capacity = TSG_HUB_USERS_MAX;
    if (capacity == 0)
        return txn->rc;
    tsg_hub_user_t *list = calloc (capacity, sizeof *list);
    if (!list)
        return TSG_ERR_NOMEM;
    size_t n = 0;
    tsg_iter_t it;
    for (tsg_iter_begin (txn, db, &it, NULL, 0); it.valid && n < capacity; tsg_iter_next (&it))
        if (s_decode (it.key.mv_data, it.key.mv_size, it.val.mv_data, it.val.mv_size, &list[n]))
            n++;
    tsg_iter_end (&it);
    if (txn->rc != TSG_OK || n == 0) {
        free (list);
        return txn->rc;
    }
    *users = list;
    *count = n;
    return TSG_OK;
}

bool
tsg_hub_user_name_ok (const char *name)
{
    size_t len = name ? strlen (name) : 0;
    if (len == 0 || len > TSG_HUB_USER_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return false;
    }
    return true;
}

bool
tsg_hub_user_password_ok (const char *name, const char *password, const char **why)
{
    const char *problem = NULL;
    size_t len = password ? strlen (password) : 0;
    if (len < TSG_HUB_USER_PASSWORD_MIN)
        problem = "a password needs at least 10 bytes (a phrase of a few words is good)";
    else if (len > TSG_HUB_USER_PASSWORD_MAX)
        problem = "a password is at most 128 bytes";
    else if (!tsg_text_ok (password, TSG_HUB_USER_PASSWORD_MAX))
        problem = "a password must be valid UTF-8 without control characters";
    else if (name && strcmp (password, name) == 0)
        problem = "a password must not be the user's name";
    if (why)
        *why = problem;
    return problem == NULL;
}

const char *
tsg_hub_staff_role_name (tsg_hub_staff_role_t role)
{
    switch (role) {
    case TSG_HUB_ROLE_VIEWER: return "viewer";
    case TSG_HUB_ROLE_COORDINATOR: return "coordinator";
    case TSG_HUB_ROLE_ADMIN: return "admin";
    }
    return "?";
}

bool
tsg_hub_staff_role_parse (const char *text, tsg_hub_staff_role_t *out)
{
    for (int role = TSG_HUB_ROLE_VIEWER; text && role <= TSG_HUB_ROLE_ADMIN; role++)
        if (strcmp (text, tsg_hub_staff_role_name ((tsg_hub_staff_role_t) role)) == 0) {
            *out = (tsg_hub_staff_role_t) role;
            return true;
        }
    return false;
}

bool
tsg_hub_user_may (const tsg_hub_user_t *user, tsg_hub_staff_role_t needed)
{
    return user && !user->disabled && user->role >= needed && user->role <= TSG_HUB_ROLE_ADMIN;
}

bool
tsg_hub_user_password_matches (const tsg_hub_user_t *user, const char *password)
{
    if (!user || !password || user->hash[0] == '\0'
        || !memchr (user->hash, '\0', sizeof user->hash))
        return false;
    return crypto_pwhash_str_verify (user->hash, password, strlen (password)) == 0;
}

void
tsg_hub_user_password_burn (const char *password)
{
    static const char dummy[TSG_HUB_USER_HASH_SIZE] = S_DUMMY_HASH;
    const char *text = password ? password : "";
    int rc = crypto_pwhash_str_verify (dummy, text, strlen (text));
    (void) rc;
}

json_t *
tsg_hub_user_json (const tsg_hub_user_t *user)
{
    char created[32], changed[32], password[32];
    tsg_iso8601 (user->created_at_ms, created);
    tsg_iso8601 (user->changed_at_ms, changed);
    tsg_iso8601 (user->password_at_ms, password);
    return json_pack ("{s:s, s:s, s:b, s:s, s:s, s:s, s:s}", "name", user->name, "role",
                      tsg_hub_staff_role_name (user->role), "disabled", user->disabled,
                      "created_at", created, "changed_at", changed, "password_at", password,
                      "changed_by", user->changed_by);
}
