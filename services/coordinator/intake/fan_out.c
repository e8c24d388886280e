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

/* Seals and stores c's CASE_UPDATE for each agency on it. */
static void
s_announce (tsg_hub_casework_t *self, const tsg_hub_case_t *c)
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
        tsg_letter_t letter;
        tsg_header_t header;
        uint8_t message_id[TSG_MESSAGE_ID_SIZE];
        tsg_letter_prepare (&letter, &header, message_id, TSUNAGU__V1__KIND__KIND_CASE_UPDATE,
                            TSG_COORDINATOR_ID, to);
        header.case_id = (char *) c->id;
        letter.case_update = &update;
        int rc = hub_casework_post (self, to, &letter);
        if (rc != TSG_OK) {
            log_warnx ("cases: cannot seal the update of case %s for %s: %s", c->id, to,
                       tsg_strerror (rc));
            return;
        }
    }
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
    for (size_t i = 0; i < self->n_changed && self->txn->rc == TSG_OK; i++) {
        if (i > 0 && strcmp (self->changed[i], self->changed[i - 1]) == 0)
            continue;
        if (tsg_hub_case_get (self->txn, self->changed[i], self->now))
            s_announce (self, self->now);
    }
}
