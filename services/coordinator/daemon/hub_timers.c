/* hub_timers.c — what the loop does by the clock: a changed registry reloaded and pushed
 * (sessions of agencies no longer active end), idle sessions ended and stalled windows
 * rewound, consents whose validity passed ended (within the second), retention pruned and
 * the store's room checked, ZAP's refusal summaries written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "coordinator/model/store.h"
#include "coordinator/daemon/hub_parts.h"

void
hub_registry_check (tsg_hub_t *self)
{
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    uint64_t generation = tsg_registry_generation (&txn);
    bool changed = txn.rc == TSG_OK && generation != tsg_hub_directory_serial (self->directory);
    int rc = changed ? tsg_hub_directory_load (self->directory, &txn) : TSG_OK;
    tsg_txn_abort (&txn);
    if (!changed)
        return;
    if (rc != TSG_OK) {
        log_warnx ("registry: cannot reload: %s", tsg_strerror (rc));
        return;
    }
    log_info ("registry changed: generation %llu, %zu agencies", (unsigned long long) generation,
              tsg_hub_directory_size (self->directory));
    hub_rotation_load (self); /* the directories below hand the next keys over, if any */
    tsg_hub_intake_registry_changed (self->intake);
    for (size_t i = tsg_hub_sessions_size (self->sessions); i-- > 0;) {
        tsg_hub_session_t *s = tsg_hub_sessions_at (self->sessions, i);
        if (!tsg_hub_directory_active (self->directory, tsg_hub_session_id (s)))
            tsg_hub_sessions_drop (self->sessions, tsg_hub_session_id (s),
                                   "the agency is no longer active");
        else
            tsg_hub_session_set_directory_due (s, true);
    }
    hub_send_directories (self);
}

/* Ends the key rotations whose deadline passed: the next keys become the agency's keys and
 * the old ones are refused from then on, though the agency was not heard with the new ones. */
static void
s_rotations_due (tsg_hub_t *self)
{
    uint64_t now = tsg_now_ms ();
    for (size_t i = 0; i < tsg_hub_directory_size (self->directory); i++) {
        const Tsunagu__V1__AgencyEntry *e = tsg_hub_directory_at (self->directory, i);
        if (e->next_box_public.len != 32 || e->rotate_deadline_ms == 0
            || now < e->rotate_deadline_ms)
            continue;
        char id[TSG_ID_MAX + 1];
        snprintf (id, sizeof id, "%s", e->id);
        tsg_txn_t txn;
        tsg_txn_begin (self->store, &txn, true);
        if (!tsg_registry_switch_keys (&txn, id)) {
            tsg_txn_abort (&txn);
            continue;
        }
        if (self->audit)
            tsg_hub_audit_add (self->audit, "registry", NULL, NULL, NULL, "agency-keys-switched",
                               json_pack ("{s:s, s:s, s:s}", "agency", id, "actor", "coordinator",
                                          "via", "deadline"));
        int rc = tsg_hub_audit_commit (self->audit, &txn);
        if (rc == TSG_OK)
            log_info ("registry: %s's key rotation reached its deadline: its new keys are its "
                      "keys now, the old ones are refused",
                      id);
        else
            log_warnx ("registry: %s's key rotation could not end: %s", id, tsg_strerror (rc));
        return; /* the directory is stale now: one a turn, the next after the reload */
    }
}

/* Retention: one short pass of the sweep over MESSAGES (limits.h), in its own transaction,
 * and whether the store is near its ceiling. */
static void
s_housekeeping (tsg_hub_t *self)
{
    tsg_hub_intake_prune (self->intake, self->store);
    size_t used = 0, map = 0;
    if (tsg_store_usage (self->store, &used, &map) == TSG_OK)
        tsg_hub_intake_set_store_full (
            self->intake, used > self->map_max / 100 * (100 - TSG_HUB_STORE_RESERVE_PERCENT));
}

void
hub_timers (tsg_hub_t *self, uint64_t now)
{
    hub_live_tick (self, now);
    if (now - self->registry_checked_at >= TSG_HUB_REGISTRY_CHECK_MS) {
        self->registry_checked_at = now;
        hub_registry_check (self);
        s_rotations_due (self);
        if (hub_rotation_check (self, now))
            hub_registry_check (self); /* the new directory, signed with the new keys */
    }
    if (now - self->sessions_checked_at >= 1000) {
        self->sessions_checked_at = now;
        tsg_hub_sessions_expire (self->sessions, now, TSG_HUB_IDLE_MS);
        for (size_t i = 0; i < tsg_hub_sessions_size (self->sessions); i++)
            tsg_hub_session_check_stall (tsg_hub_sessions_at (self->sessions, i), now,
                                         TSG_HUB_STALL_MS);
        /* A directory half way to its end goes out again to whoever holds it. */
        bool refresh = false;
        uint64_t wall = tsg_now_ms ();
        for (size_t i = 0; i < tsg_hub_sessions_size (self->sessions); i++) {
            tsg_hub_session_t *s = tsg_hub_sessions_at (self->sessions, i);
            if (!tsg_hub_session_directory_due (s)
                && tsg_hub_directory_stale (
                    hub_live_directory_until_ms (self, tsg_hub_session_id (s)), wall)) {
                tsg_hub_session_set_directory_due (s, true);
                refresh = true;
            }
        }
        if (refresh)
            hub_send_directories (self);
        /* An expired consent withholds its mail at once (within the second). */
        if (tsg_hub_intake_expire (self->intake, self->store) > 0)
            hub_note_effects (self, now);
        s_housekeeping (self);
        tsg_hub_zap_flush (self->zap);
    }
}
