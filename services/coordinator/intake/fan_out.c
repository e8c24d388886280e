/* fan_out.c — what the coordinator passes on to the agencies on a case: an unchanged copy of
 * each case event and consent letter for every other agency on it, and at the end of a batch
 * one CASE_UPDATE of its own for every agency on each case the batch changed, so that every
 * agency's copy of a case keeps in step with the coordinator's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/intake/case_rules.h"
#include "coordinator/intake/casework_parts.h"
#include "coordinator/model/mailbox.h"

void
hub_casework_fan_out (tsg_hub_casework_t *self, const tsg_hub_case_t *c, const char *sender,
                      const tsg_letter_t *letter, const uint8_t *envelope, size_t len,
                      const char *consent_id)
{
    tsg_hub_message_t msg = { .state = TSG_HUB_MSG_STORED,
                              .kind = letter->kind,
                              .at_ms = self->now_ms };
    tsg_hub_copy (msg.sender, sizeof msg.sender, sender);
    tsg_hub_copy (msg.recipient, sizeof msg.recipient, TSG_COORDINATOR_ID);
    tsg_hub_message_put (self->txn, letter->message_id.data, &msg);
    for (size_t i = 0; c && i < c->n_agencies; i++) {
        const char *to = c->agencies[i];
        const Tsunagu__V1__AgencyEntry *entry = tsg_hub_directory_find (self->directory, to);
        if (strcmp (to, sender) == 0 || !entry
            || entry->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED)
            continue;
        uint64_t seq =
            tsg_hub_mailbox_put_copy (self->txn, to, sender, letter->kind, letter->message_id.data,
                                      envelope, len, self->now_ms);
        if (seq == 0)
            continue;
        self->note_mail (self->arg, to);
        if (consent_id && *consent_id && tsg_hub_sealed_body_for (letter, to))
            tsg_hub_consent_note_mail (self->txn, consent_id, to, seq);
    }
}

/* ---- CASE_UPDATE ------------------------------------------------------------------- */

/* The batch's CASE_UPDATEs, packed as they are made and signed together before they go into the
 * mailboxes, in the order they were made. */
typedef struct {
    char to[TSG_ID_MAX + 1];                 /* the agency */
    uint8_t message_id[TSG_MESSAGE_ID_SIZE]; /* the letter's id */
    uint8_t *packed;                         /* the serialized letter (owned) */
    size_t len;                              /* its size */
    bool together;                           /* the agency verifies batch proofs */
} s_update_t;

typedef struct {
    s_update_t *items; /* the updates, in order */
    size_t count;      /* how many */
    size_t capacity;   /* allocated */
} s_updates_t;

/* Packs c's CASE_UPDATE for agency to onto updates.  False when it could not: the batch's
 * transaction has failed (logged). */
static bool
s_update_pack (tsg_hub_casework_t *self, s_updates_t *updates, const char *to,
               Tsunagu__V1__CaseUpdate *update, const Tsunagu__V1__AgencyEntry *entry)
{
    if (updates->count == updates->capacity) {
        size_t capacity = updates->capacity ? 2 * updates->capacity : 16;
        s_update_t *grown = realloc (updates->items, capacity * sizeof *grown);
        if (!grown) {
            self->txn->rc = TSG_ERR_NOMEM; /* the batch fails: nothing is announced by half */
            return false;
        }
        updates->items = grown;
        updates->capacity = capacity;
    }
    s_update_t *u = &updates->items[updates->count];
    tsg_letter_t letter;
    tsg_header_t header;
    tsg_letter_prepare (&letter, &header, u->message_id, TSUNAGU__V1__KIND__KIND_CASE_UPDATE,
                        TSG_COORDINATOR_ID, to);
    header.case_id = update->case_id;
    letter.case_update = update;
    int rc = tsg_letter_pack (&letter, &u->packed, &u->len);
    if (rc != TSG_OK) {
        log_warnx ("cases: cannot seal the update of case %s for %s: %s", update->case_id, to,
                   tsg_strerror (rc));
        self->txn->rc = rc;
        return false;
    }
    tsg_hub_copy (u->to, sizeof u->to, to);
    u->together = entry->batch_proofs;
    updates->count++;
    return true;
}

/* Packs c's CASE_UPDATE for each agency on it onto updates. */
static void
s_announce (tsg_hub_casework_t *self, const tsg_hub_case_t *c, s_updates_t *updates)
{
    Tsunagu__V1__CaseUpdate update = TSUNAGU__V1__CASE_UPDATE__INIT;
    char *agencies[TSG_HUB_CASE_AGENCIES_MAX], *tags[TSG_HUB_CASE_TAGS_MAX];
    char *roster[TSG_HUB_CASE_ROSTER_MAX];
    Tsunagu__V1__PlanRole roles[TSG_HUB_CASE_ROLES_MAX], *role_ptrs[TSG_HUB_CASE_ROLES_MAX];
    for (size_t i = 0; i < c->n_agencies; i++)
        agencies[i] = (char *) c->agencies[i];
    for (size_t i = 0; i < c->n_tags; i++)
        tags[i] = (char *) c->tags[i];
    for (size_t i = 0; i < c->n_roster; i++)
        roster[i] = (char *) c->roster[i];
    for (size_t i = 0; i < c->n_roles; i++) {
        tsunagu__v1__plan_role__init (&roles[i]);
        roles[i].agency_id = (char *) c->roles[i].agency;
        roles[i].role = (char *) c->roles[i].role;
        role_ptrs[i] = &roles[i];
    }
    update.case_id = (char *) c->id;
    update.state = (char *) tsg_case_state_name (c->state);
    update.version = c->version;
    update.n_agencies = c->n_agencies;
    update.agencies = agencies;
    update.n_tags = c->n_tags;
    update.tags = tags;
    update.roster_kind = (Tsunagu__V1__MeetingKind) c->roster_kind;
    update.n_roster = c->n_roster;
    update.roster = roster;
    update.n_roles = c->n_roles;
    update.roles = role_ptrs;
    update.next_review_on = (char *) c->next_review_on;
    update.last_event_id = (char *) c->last_event_id;
    update.last_event_type = (char *) c->last_event_type;
    update.last_event_by = (char *) c->last_event_by;
    update.updated_at_ms = c->updated_at_ms;

    for (size_t i = 0; i < c->n_agencies && self->txn->rc == TSG_OK; i++) {
        const char *to = c->agencies[i];
        const Tsunagu__V1__AgencyEntry *entry = tsg_hub_directory_find (self->directory, to);
        if (!entry || entry->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED)
            continue;
        if (!s_update_pack (self, updates, to, &update, entry))
            return;
    }
}

/* Signs the packed updates (those to agencies that verify batch proofs together) and stores each
 * in its agency's mailbox, in order. */
static void
s_updates_post (tsg_hub_casework_t *self, s_updates_t *updates)
{
    size_t n = updates->count;
    const uint8_t **packed = calloc (n ? n : 1, sizeof *packed);
    size_t *lens = calloc (n ? n : 1, sizeof *lens);
    bool *together = calloc (n ? n : 1, sizeof *together);
    uint8_t **wire = calloc (n ? n : 1, sizeof *wire);
    size_t *wire_len = calloc (n ? n : 1, sizeof *wire_len);
    int rc = TSG_ERR_NOMEM;
    if (packed && lens && together && wire && wire_len) {
        for (size_t i = 0; i < n; i++) {
            packed[i] = updates->items[i].packed;
            lens[i] = updates->items[i].len;
            together[i] = updates->items[i].together;
        }
        rc = tsg_envelopes_sign (packed, lens, together, n, self->keys, wire, wire_len);
    }
    if (rc != TSG_OK) {
        log_warnx ("cases: cannot sign %zu case updates: %s", n, tsg_strerror (rc));
        self->txn->rc = rc;
    }
    for (size_t i = 0; rc == TSG_OK && i < n; i++) {
        const s_update_t *u = &updates->items[i];
        if (tsg_hub_mailbox_put (self->txn, u->to, TSG_COORDINATOR_ID,
                                 TSUNAGU__V1__KIND__KIND_CASE_UPDATE, u->message_id, wire[i],
                                 wire_len[i], self->now_ms)
            != 0)
            self->note_mail (self->arg, u->to);
    }
    for (size_t i = 0; wire && i < n; i++)
        free (wire[i]);
    free (packed);
    free (lens);
    free (together);
    free (wire);
    free (wire_len);
}

static int
s_id_cmp (const void *a, const void *b)
{
    return strcmp (a, b);
}

void
hub_casework_announce_changed (tsg_hub_casework_t *self)
{
    if (self->n_changed == 0 || self->txn->rc != TSG_OK)
        return;
    qsort (self->changed, self->n_changed, sizeof *self->changed, s_id_cmp);
    s_updates_t updates = { 0 };
    for (size_t i = 0; i < self->n_changed && self->txn->rc == TSG_OK; i++) {
        if (i > 0 && strcmp (self->changed[i], self->changed[i - 1]) == 0)
            continue;
        if (tsg_hub_case_get (self->txn, self->changed[i], self->now))
            s_announce (self, self->now, &updates);
    }
    if (self->txn->rc == TSG_OK)
        s_updates_post (self, &updates);
    for (size_t i = 0; i < updates.count; i++)
        free (updates.items[i].packed);
    free (updates.items);
}
