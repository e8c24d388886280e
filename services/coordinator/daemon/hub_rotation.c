/* hub_rotation.c — the rotation of the coordinator's own keys in the running hub
 * (model/rotation.h, daemon/own_keys.h, proto/README.md §6). */
#include <errno.h>
#include <string.h>
#include <zmq.h>

#include "coordinator/daemon/hub_parts.h"
#include "coordinator/daemon/own_keys.h"

#define SWITCH_RETRY_MS 60000 /* after a switch that failed (logged) */
#define REBIND_DELAY_MS 1000  /* from the switch's directories to the new listener */
#define REBIND_RETRY_MS 100   /* while the old listener's port is not free yet */

/* Forgets the next keys (no rotation under way, or it switched). */
static void
s_forget_next (tsg_hub_t *self)
{
    tsg_keys_destroy (&self->next_keys);
    tsg_hub_directory_set_next (self->directory, NULL, 0);
}

void
hub_rotation_load (tsg_hub_t *self)
{
    if (!self->keys_path)
        return;
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    tsg_hub_rotation_t r;
    bool ok = tsg_hub_rotation_get (&txn, &r);
    tsg_txn_abort (&txn);
    if (!ok) {
        log_warnx ("keys: the store's record of the coordinator's keys is unreadable");
        return;
    }
    self->rotation = r;
    if (r.state != TSG_HUB_ROTATION_ANNOUNCED) {
        s_forget_next (self);
        return;
    }
    char why[512] = "";
    if (memcmp (tsg_keys_sign_public (self->keys), r.next_sign, 32) == 0) {
        /* The key file holds the next keys already: a switch a crash cut short. */
        if (tsg_hub_own_keys_switch (self->keys_path, self->store, self->audit, "coordinator",
                                     "start", "a switch cut short", why, sizeof why)
            == TSG_OK)
            log_info ("keys: the switch to the coordinator's new keys is complete");
        else
            log_warnx ("keys: %s", why);
        s_forget_next (self);
        return;
    }
    if (self->next_keys && memcmp (tsg_keys_sign_public (self->next_keys), r.next_sign, 32) == 0) {
        tsg_hub_directory_set_next (self->directory, self->next_keys, r.switch_by_ms);
        return;
    }
    s_forget_next (self);
    if (tsg_hub_own_keys_load_next (self->keys_path, &r, &self->next_keys, why, sizeof why)
        != TSG_OK) {
        log_warnx ("keys: the rotation cannot go on: %s", why);
        return;
    }
    tsg_hub_directory_set_next (self->directory, self->next_keys, r.switch_by_ms);
    log_info ("keys: handing the coordinator's next keys over in every directory");
}

int
hub_rotation_holds (void *arg, const char *agency)
{
    tsg_hub_t *self = arg;
    if (!self->next_keys)
        return -1;
    tsg_hub_session_t *s = tsg_hub_sessions_find (self->sessions, agency);
    return s && tsg_hub_session_holds (s, tsg_keys_sign_public (self->next_keys));
}

/* True when every active agency has a session whose HELLO says it holds the next keys. */
static bool
s_all_hold (tsg_hub_t *self)
{
    const uint8_t *next = tsg_keys_sign_public (self->next_keys);
    for (size_t i = 0; i < tsg_hub_directory_size (self->directory); i++) {
        const Tsunagu__V1__AgencyEntry *e = tsg_hub_directory_at (self->directory, i);
        if (e->status != TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE)
            continue;
        tsg_hub_session_t *s = tsg_hub_sessions_find (self->sessions, e->id);
        if (!s || !tsg_hub_session_holds (s, next))
            return false;
    }
    return true;
}

/* The switch itself (see hub_rotation_check); true when it switched. */
static bool
s_switch (tsg_hub_t *self, bool all_hold, uint64_t now)
{
    char why[512] = "";
    int rc = tsg_hub_own_keys_switch (
        self->keys_path, self->store, self->audit, "coordinator", "hub",
        all_hold ? "every active agency holds the new keys" : "the deadline passed", why,
        sizeof why);
    if (rc != TSG_OK) {
        log_warnx ("keys: the switch to the new keys failed (tried again in a minute): %s", why);
        self->rotation_retry_at = now + SWITCH_RETRY_MS;
        return false;
    }
    tsg_keys_replace (self->keys, self->next_keys); /* everything borrowing them signs anew */
    s_forget_next (self);
    log_info ("keys: the coordinator switched to its new keys (%s); the listener follows in "
              "a second",
              all_hold ? "every active agency holds them" : "the deadline passed");
    self->rebind_at = now + REBIND_DELAY_MS;
    return true;
}

/* The listener bound again with the new CURVE key: every connection on the old one ends and
 * the agencies connect again, to the new server key. */
static void
s_rebind (tsg_hub_t *self, uint64_t now)
{
    if (zmq_unbind (self->router, self->endpoint) != 0 && zmq_errno () != ENOENT)
        log_debug ("keys: unbind %s: %s", self->endpoint, zmq_strerror (zmq_errno ()));
    if (zmq_setsockopt (self->router, ZMQ_CURVE_SECRETKEY, tsg_keys_box_secret (self->keys), 32)
            != 0
        || zmq_bind (self->router, self->endpoint) != 0) {
        log_debug ("keys: cannot bind %s with the new key yet: %s", self->endpoint,
                   zmq_strerror (zmq_errno ()));
        self->rebind_at = now + REBIND_RETRY_MS;
        return;
    }
    self->rebind_at = 0;
    for (size_t i = tsg_hub_sessions_size (self->sessions); i-- > 0;)
        tsg_hub_sessions_drop (self->sessions,
                               tsg_hub_session_id (tsg_hub_sessions_at (self->sessions, i)),
                               "the coordinator switched to its new keys");
    log_info ("keys: listening on %s with the new keys", self->endpoint);
}

bool
hub_rotation_check (tsg_hub_t *self, uint64_t now)
{
    if (self->rebind_at && now >= self->rebind_at)
        s_rebind (self, now);
    if (!self->next_keys || self->rotation.state != TSG_HUB_ROTATION_ANNOUNCED
        || now < self->rotation_retry_at)
        return false;
    bool all_hold = s_all_hold (self);
    return tsg_hub_rotation_due (&self->rotation, all_hold, tsg_now_ms ())
           && s_switch (self, all_hold, now);
}
