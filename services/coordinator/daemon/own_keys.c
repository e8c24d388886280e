/* own_keys.c — the coordinator's own keys through a rotation, on disk and in the store
 * (own_keys.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "coordinator/daemon/own_keys.h"
#include "coordinator/model/store.h"

static void
s_err (char *err, size_t err_size, const char *format, ...)
{
    if (!err || err_size == 0)
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (err, err_size, format, args);
    va_end (args);
}

bool
tsg_hub_own_keys_path (const char *keys_path, const char *suffix, char *out, size_t size)
{
    return tsg_path (out, size, "%s%s", keys_path, suffix);
}

int
tsg_hub_own_keys_announce (const char *keys_path, tsg_txn_t *txn, uint64_t switch_by_ms,
                           tsg_hub_rotation_t *out, char *err, size_t err_size)
{
    tsg_hub_rotation_t was;
    if (!tsg_hub_rotation_get (txn, &was)) {
        s_err (err, err_size, "the store's record of the coordinator's keys is unreadable");
        return TSG_ERR_BAD_INPUT;
    }
    tsg_keys_t *held = NULL;
    if (was.state == TSG_HUB_ROTATION_ANNOUNCED
        && tsg_hub_own_keys_load_next (keys_path, &was, &held, NULL, 0) == TSG_OK) {
        tsg_keys_destroy (&held);
        s_err (err, err_size,
               "a rotation of the coordinator's keys is under way: it ends when "
               "every agency holds the new keys, at its deadline, or with "
               "rotate-keys --finish");
        return TSG_ERR_EXISTS;
    }
    /* An announced rotation whose KEYS.next is gone (a restore without it) is replaced: the
     * agencies are handed the new keys over the lost ones. */
    char next_path[4096];
    if (!tsg_hub_own_keys_path (keys_path, ".next", next_path, sizeof next_path)) {
        s_err (err, err_size, "the key file's path is too long");
        return TSG_ERR_BAD_INPUT;
    }
    tsg_keys_t *next = tsg_keys_generate (TSG_COORDINATOR_ID);
    if (!next) {
        s_err (err, err_size, "out of memory");
        return TSG_ERR_NOMEM;
    }
    int rc = tsg_keys_save_secret (next, next_path);
    if (rc != TSG_OK) {
        s_err (err, err_size, "cannot write %s: %s", next_path, tsg_strerror (rc));
        tsg_keys_destroy (&next);
        return rc;
    }
    tsg_hub_rotation_t r = was; /* the previous keys of an earlier rotation stay known */
    r.state = TSG_HUB_ROTATION_ANNOUNCED;
    r.announced_at_ms = tsg_now_ms ();
    r.switch_by_ms = switch_by_ms;
    r.switched_at_ms = was.switched_at_ms;
    memcpy (r.next_box, tsg_keys_box_public (next), 32);
    memcpy (r.next_sign, tsg_keys_sign_public (next), 32);
    tsg_keys_destroy (&next);
    tsg_hub_rotation_put (txn, &r);
    tsg_registry_touch (txn); /* the running coordinator reloads and hands the keys over */
    *out = r;
    return txn->rc;
}

int
tsg_hub_own_keys_load_next (const char *keys_path, const tsg_hub_rotation_t *r, tsg_keys_t **out,
                            char *err, size_t err_size)
{
    char next_path[4096], why[256] = "";
    if (!tsg_hub_own_keys_path (keys_path, ".next", next_path, sizeof next_path)) {
        s_err (err, err_size, "the key file's path is too long");
        return TSG_ERR_BAD_INPUT;
    }
    tsg_keys_t *next = NULL;
    int rc = tsg_keys_load (next_path, &next, why, sizeof why);
    if (rc != TSG_OK) {
        s_err (err, err_size, "cannot load the next keys %s: %s", next_path,
               why[0] ? why : tsg_strerror (rc));
        return rc;
    }
    if (memcmp (tsg_keys_box_public (next), r->next_box, 32) != 0
        || memcmp (tsg_keys_sign_public (next), r->next_sign, 32) != 0) {
        s_err (err, err_size, "%s holds other keys than the rotation the store records", next_path);
        tsg_keys_destroy (&next);
        return TSG_ERR_BAD_INPUT;
    }
    *out = next;
    return TSG_OK;
}

/* The files of the switch: KEYS.previous, KEYS and its public twin; KEYS.next removed.  Done
 * already when KEYS holds r's next keys. */
static int
s_switch_files (const char *keys_path, const tsg_hub_rotation_t *r, uint8_t previous_box[32],
                uint8_t previous_sign[32], char *err, size_t err_size)
{
    char why[256] = "", previous_path[4096], next_path[4096], public_path[4096];
    if (!tsg_hub_own_keys_path (keys_path, ".previous", previous_path, sizeof previous_path)
        || !tsg_hub_own_keys_path (keys_path, ".next", next_path, sizeof next_path)
        || !tsg_keys_public_path (keys_path, public_path, sizeof public_path)) {
        s_err (err, err_size, "the key file's path is too long");
        return TSG_ERR_BAD_INPUT;
    }
    tsg_keys_t *current = NULL;
    int rc = tsg_keys_load (keys_path, &current, why, sizeof why);
    if (rc != TSG_OK) {
        s_err (err, err_size, "cannot load %s: %s", keys_path, why[0] ? why : tsg_strerror (rc));
        return rc;
    }
    bool done = memcmp (tsg_keys_sign_public (current), r->next_sign, 32) == 0;
    if (done) { /* a switch cut short after KEYS was written: KEYS.previous holds the old */
        tsg_keys_destroy (&current);
        rc = tsg_keys_load (previous_path, &current, why, sizeof why);
        if (rc != TSG_OK) {
            s_err (err, err_size, "cannot load %s: %s", previous_path,
                   why[0] ? why : tsg_strerror (rc));
            return rc;
        }
    }
    memcpy (previous_box, tsg_keys_box_public (current), 32);
    memcpy (previous_sign, tsg_keys_sign_public (current), 32);
    tsg_keys_t *next = NULL;
    if (!done) {
        rc = tsg_keys_save_secret (current, previous_path);
        if (rc == TSG_OK)
            rc = tsg_hub_own_keys_load_next (keys_path, r, &next, err, err_size);
        if (rc == TSG_OK && (rc = tsg_keys_save_secret (next, keys_path)) != TSG_OK)
            s_err (err, err_size, "cannot write %s: %s", keys_path, tsg_strerror (rc));
    }
    else
        rc = tsg_keys_load (keys_path, &next, why, sizeof why);
    if (rc == TSG_OK && (rc = tsg_keys_save_public (next, public_path)) != TSG_OK)
        s_err (err, err_size, "cannot write %s: %s", public_path, tsg_strerror (rc));
    if (rc == TSG_OK && unlink (next_path) != 0 && errno != ENOENT)
        log_warnx ("keys: cannot remove %s: %s", next_path, strerror (errno));
    tsg_keys_destroy (&next);
    tsg_keys_destroy (&current);
    return rc;
}

int
tsg_hub_own_keys_switch (const char *keys_path, tsg_store_t *store, tsg_hub_audit_t *audit,
                         const char *actor, const char *via, const char *why, char *err,
                         size_t err_size)
{
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);
    tsg_hub_rotation_t r;
    if (!tsg_hub_rotation_get (&txn, &r) || r.state != TSG_HUB_ROTATION_ANNOUNCED) {
        tsg_txn_abort (&txn);
        s_err (err, err_size, "no rotation of the coordinator's keys is under way");
        return TSG_ERR_NOT_FOUND;
    }
    int rc = s_switch_files (keys_path, &r, r.previous_box, r.previous_sign, err, err_size);
    if (rc != TSG_OK) {
        tsg_txn_abort (&txn);
        return rc;
    }
    r.state = TSG_HUB_ROTATION_SWITCHED;
    r.switched_at_ms = tsg_now_ms ();
    tsg_hub_rotation_put (&txn, &r);
    tsg_registry_touch (&txn);
    char next_z85[41], previous_z85[41];
    tsg_key_to_z85 (r.next_sign, next_z85);
    tsg_key_to_z85 (r.previous_sign, previous_z85);
    if (audit)
        tsg_hub_audit_add (audit, "registry", NULL, NULL, NULL, "coordinator-keys-switched",
                           json_pack ("{s:s, s:s, s:s, s:s, s:s}", "sign_public", next_z85,
                                      "previous_sign_public", previous_z85, "actor", actor, "via",
                                      via, "why", why));
    rc = tsg_hub_audit_commit (audit, &txn);
    if (rc != TSG_OK)
        s_err (err, err_size,
               "the switch could not be recorded: %s (the key files are "
               "switched; the next start completes it)",
               tsg_strerror (rc));
    return rc;
}
